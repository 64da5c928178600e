import { assetRecords } from '../assets/asset-records.ts';
import { type AuditWho, recordAudit } from '../audit/audit.ts';
import type { Db } from '../db/database.ts';
import type { TrackRow } from '../db/schema.ts';
import { recordEvent } from '../events/outbox.ts';
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { isoNow } from '../shared/time.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { type Captions, readCaptions, writeWebVtt } from './caption-file.ts';
import type { SubtitleRendition } from './hls-subtitles.ts';
import { presentTrack, type TrackJson } from './track.presenter.ts';
import { tracksRepo } from './tracks.repo.ts';

export type TrackKind = 'subtitles' | 'captions';

export interface NewTrack {
  /** The uploaded WebVTT or SRT file. */
  file: Buffer;
  language: string;
  /** What players show; by default the language's own name (`한국어`, `English`). */
  name?: string | null;
  kind?: TrackKind;
  isDefault?: boolean;
}

const MAX_NAME = 100;
// Parsed tracks kept for serving segments: a player asks for every segment of the track it shows.
const PARSED_CACHE_SIZE = 64;

/**
 * Subtitle and caption tracks of an asset: an uploaded file becomes WebVTT in the object store
 * and a row that the master playlist is built from. The caller has checked that the asset
 * exists and that the request may edit it.
 */
export class TracksService {
  readonly #db: Db;
  readonly #store: ObjectStore;
  readonly #parsed = new Map<string, Promise<Captions>>();

  constructor(deps: { db: Db; store: ObjectStore }) {
    this.#db = deps.db;
    this.#store = deps.store;
  }

  async add(assetId: string, input: NewTrack, who: AuditWho): Promise<TrackJson> {
    const language = canonicalLanguage(input.language);
    const kind = input.kind ?? 'subtitles';
    const name = trackName(input.name, language, kind);
    const captions = await readCaptions(input.file);
    if (await tracksRepo.nameTaken(this.#db, assetId, name)) throw nameTaken(name);

    const id = newId();
    const key = mediaKeys.track(assetId, id);
    // The file first, then the row: a row never points at a file that is not there.
    await this.#store.put(key, writeWebVtt(captions));
    const row: TrackRow = {
      id,
      asset_id: assetId,
      kind,
      language,
      name,
      is_default: input.isDefault ? 1 : 0,
      status: 'ready',
      source_format: captions.format,
      cue_count: captions.cues.length,
      object_key: key,
      created_by: who.actor,
      created_at: isoNow(),
    };
    try {
      await this.#db.transaction().execute(async (trx) => {
        if (row.is_default) await tracksRepo.clearDefault(trx, assetId);
        await tracksRepo.insert(trx, row);
        await recordEvent(trx, 'asset.track.ready', assetId, {
          ...eventData(row),
          playback_ids: await playbackIdsOf(trx, assetId),
        });
        await recordAudit(trx, who, {
          action: 'asset.track.added',
          target: { type: 'asset', id: assetId },
          details: { track_id: id, language, kind, name, cues: row.cue_count },
        });
      });
    } catch (e) {
      await this.#store.delete(key).catch(() => {});
      // Two requests naming their tracks alike at once: the unique index lets one through.
      if (await tracksRepo.nameTaken(this.#db, assetId, name)) throw nameTaken(name);
      throw e;
    }
    return presentTrack(row);
  }

  async get(assetId: string, trackId: string): Promise<TrackJson> {
    return presentTrack(await this.#find(assetId, trackId));
  }

  /** Removes the row (and with it the rendition from the master playlist), then the file. */
  async delete(assetId: string, trackId: string, who: AuditWho): Promise<void> {
    const row = await this.#db.transaction().execute(async (trx) => {
      const deleted = await tracksRepo.delete(trx, assetId, trackId);
      if (!deleted) throw new AppError('FH_ERR_TRACK_NOT_FOUND');
      await recordEvent(trx, 'asset.track.deleted', assetId, {
        ...eventData(deleted),
        playback_ids: await playbackIdsOf(trx, assetId),
      });
      await recordAudit(trx, who, {
        action: 'asset.track.deleted',
        target: { type: 'asset', id: assetId },
        details: { track_id: trackId, language: deleted.language, name: deleted.name },
      });
      return deleted;
    });
    this.#parsed.delete(trackId);
    // Left behind if the store is down now: deleting the asset removes its whole tracks folder.
    await this.#store.delete(row.object_key).catch(() => {});
  }

  /** Every track of these assets (for the asset's `tracks`). */
  ofAssets(assetIds: string[]): Promise<TrackRow[]> {
    return tracksRepo.ofAssets(this.#db, assetIds);
  }

  /** The subtitle renditions of an asset's master playlist, in the order the tracks were added. */
  async renditions(assetId: string): Promise<SubtitleRendition[]> {
    return (await tracksRepo.ofAssets(this.#db, [assetId])).map((t) => ({
      id: t.id,
      kind: t.kind,
      language: t.language,
      name: t.name,
      isDefault: t.is_default === 1,
    }));
  }

  /**
   * A track's cues, read from the store once and kept (a track never changes; it is replaced).
   * The row is looked up every time: a track deleted through another api node is gone here too.
   */
  async captions(assetId: string, trackId: string): Promise<Captions> {
    const row = await this.#find(assetId, trackId);
    const cached = this.#parsed.get(trackId);
    if (cached) return cached;
    const parsing = this.#store
      .getBuffer(row.object_key)
      .then((bytes) => readCaptions(bytes))
      .catch((e: unknown) => {
        this.#parsed.delete(trackId);
        throw e;
      });
    if (this.#parsed.size >= PARSED_CACHE_SIZE) {
      const oldest = this.#parsed.keys().next().value;
      if (oldest !== undefined) this.#parsed.delete(oldest);
    }
    this.#parsed.set(trackId, parsing);
    return parsing;
  }

  async #find(assetId: string, trackId: string): Promise<TrackRow> {
    const row = await tracksRepo.get(this.#db, assetId, trackId);
    if (!row) throw new AppError('FH_ERR_TRACK_NOT_FOUND');
    return row;
  }
}

/** A BCP 47 tag, canonical (`EN-us` → `en-US`, `eng` → `en`), or a 400 saying what is expected. */
export function canonicalLanguage(tag: string): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag.trim());
    if (canonical) return canonical;
  } catch {
    // RangeError: not a well-formed tag
  }
  throw new AppError(
    'FH_ERR_VALIDATION',
    `"${tag.slice(0, 40)}" is not a BCP 47 language tag: use one like en, ko, pt-BR or zh-Hant.`,
    { field: 'language' },
  );
}

/**
 * The name players list. Written into the master playlist as a quoted string, so no `"` and
 * no control characters; without one, the language's own name (`한국어`), `(CC)` for captions.
 */
export function trackName(given: string | null | undefined, language: string, kind: TrackKind): string {
  const name = given?.trim();
  if (!name) {
    const own =
      new Intl.DisplayNames([language], { type: 'language', fallback: 'code' }).of(language) ?? language;
    const capitalized = own.charAt(0).toLocaleUpperCase(language) + own.slice(1);
    return kind === 'captions' ? `${capitalized} (CC)` : capitalized;
  }
  if (name.length > MAX_NAME || /["\p{Cc}]/u.test(name)) {
    throw new AppError(
      'FH_ERR_VALIDATION',
      `A track name is at most ${MAX_NAME} characters, without double quotes or control characters.`,
      { field: 'name' },
    );
  }
  return name;
}

const nameTaken = (name: string) =>
  new AppError('FH_ERR_TRACK_NAME_TAKEN', `This asset already has a track named "${name}".`, {
    field: 'name',
  });

/** The master playlist changes with the tracks: a cache in front (framehouse edge) purges these ids. */
const playbackIdsOf = async (trx: Parameters<typeof assetRecords.playbackIds>[0], assetId: string) =>
  (await assetRecords.playbackIds(trx, [assetId])).map((p) => p.id);

const eventData = (t: TrackRow) => ({
  track_id: t.id,
  kind: t.kind,
  language: t.language,
  name: t.name,
  default: t.is_default === 1,
});
