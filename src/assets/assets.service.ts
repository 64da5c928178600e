import type { Transaction } from 'kysely';
import { type AuditWho, recordAudit } from '../audit/audit.ts';
import type { Principal } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import type { AssetRow, Database, Mp4Support, RenditionRow, TrackRow } from '../db/schema.ts';
import {
  deleteDownloadRows,
  downloadRows,
  readyDownload,
  syncDownloads,
} from '../downloads/downloads.service.ts';
import { recordEvent } from '../events/outbox.ts';
import { deleteAssetObjectsSpec, probeSpec } from '../pipeline/job-specs.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { displayFilename, displayText } from '../shared/display-text.ts';
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { isoNow } from '../shared/time.ts';
import { type AssetJson, presentAsset } from './asset.presenter.ts';
import { type AssetFilter, assetsRepo, type ListCursor } from './assets.repo.ts';
import { purgeAfter } from './trash.ts';

export type { AssetFilter };

export interface StoredSource {
  assetId: string;
  sourceKey: string;
  filename: string | null;
  title: string | null;
  /** Null while the source is still to come (fetched from a URL). */
  size: number | null;
  sha256: string | null;
  /** Which MP4 download to make once the ladder is there (default none). */
  mp4Support?: Mp4Support;
}

/** Titles and file names are capped at this many characters. */
const MAX_NAME = 500;

export type PlaybackPolicy = 'public' | 'signed';

export interface AssetPatch {
  title?: string | null;
  playback_policy?: PlaybackPolicy;
  mp4_support?: Mp4Support;
}

/**
 * Asset lifecycle: create from a stored source, read, list, edit, delete. A deleted asset goes to
 * the trash for `trashDays` (0: deleted at once), hidden from every reader here, until it is
 * restored or purged (docs/operations.md "The trash").
 */
export class AssetsService {
  readonly #db: Db;
  readonly #queue: JobQueue;
  readonly #tracks: AssetTracks | undefined;
  readonly #trashDays: number;

  constructor(deps: { db: Db; queue: JobQueue; tracks?: AssetTracks; trashDays?: number }) {
    this.#db = deps.db;
    this.#queue = deps.queue;
    this.#tracks = deps.tracks;
    this.#trashDays = deps.trashDays ?? 0;
  }

  /** Days a deleted asset stays in the trash; 0: deletion is immediate. */
  get trashDays(): number {
    return this.#trashDays;
  }

  /**
   * The source is already in the object store. One transaction creates the asset row, its
   * playback id, the first job (probe) and the `asset.created` event: none exists without the others.
   */
  async createFromSource(
    given: StoredSource,
    who: AuditWho,
    extra?: (trx: Transaction<Database>) => Promise<void>,
    /** Instead of the probe: the job that brings the source first (a URL to fetch). */
    firstJob?: (trx: Transaction<Database>) => Promise<unknown>,
  ): Promise<AssetJson> {
    const now = isoNow();
    // Whoever made the source (multipart, tus, a URL, a bucket import), its names are display text.
    const source: StoredSource = {
      ...given,
      filename: displayFilename(given.filename, MAX_NAME),
      title: displayText(given.title, MAX_NAME),
    };
    await this.#db.transaction().execute(async (trx) => {
      await assetsRepo.insert(trx, {
        id: source.assetId,
        status: 'waiting',
        kind: null,
        title: source.title ?? titleFromFilename(source.filename),
        source_key: source.sourceKey,
        source_filename: source.filename,
        source_size: source.size,
        source_sha256: source.sha256,
        duration: null,
        width: null,
        height: null,
        is_360: 0,
        progress: null,
        media_info: null,
        errors: '[]',
        created_at: now,
        updated_at: now,
        created_by: who.actor,
        mp4_support: source.mp4Support ?? 'none',
      });
      await assetsRepo.insertPlaybackId(trx, {
        id: newId(),
        asset_id: source.assetId,
        policy: 'public',
        created_at: now,
      });
      if (firstJob) await firstJob(trx);
      else await this.#enqueueProbe(trx, source.assetId);
      await recordEvent(trx, 'asset.created', source.assetId, {
        filename: source.filename,
        size: source.size,
      });
      await recordAudit(trx, who, {
        action: 'asset.created',
        target: { type: 'asset', id: source.assetId },
        details: { filename: source.filename, size: source.size },
      });
      if (extra) await extra(trx);
    });
    return this.get(source.assetId);
  }

  /**
   * Editors manage the assets they made; admins, API keys (made by admins) and open mode
   * manage every asset. Throws 403 otherwise, 404 when there is no such asset (or it is in the
   * trash, unless `inTrash` asks for one there too: restoring it).
   */
  async assertCanManage(id: string, principal: Principal, opts: { inTrash?: boolean } = {}): Promise<void> {
    const asset = opts.inTrash
      ? await assetsRepo.get(this.#db, id)
      : await assetsRepo.getVisible(this.#db, id);
    if (!asset) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
    const owner = ownerFilterOf(principal);
    if (owner && asset.created_by !== owner) throw new AppError('FH_ERR_NOT_OWNER');
  }

  /** 404 for an asset that does not exist or is in the trash. */
  async assertExists(id: string): Promise<void> {
    if (!(await assetsRepo.getVisible(this.#db, id))) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
  }

  async get(id: string): Promise<AssetJson> {
    const asset = await assetsRepo.getVisible(this.#db, id);
    if (!asset) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
    return this.#present(asset);
  }

  async #present(asset: AssetRow): Promise<AssetJson> {
    const id = asset.id;
    const [renditions, playbackIds, tracks, downloads] = await Promise.all([
      assetsRepo.renditions(this.#db, [id]),
      assetsRepo.playbackIds(this.#db, [id]),
      this.#tracksOf([id]),
      downloadRows(this.#db, [id]),
    ]);
    return presentAsset(asset, renditions, playbackIds, tracks, downloads, this.#trashDays);
  }

  /** The stored row, for features that need more than the API shows (images, rooms); not in the trash. */
  row(id: string): Promise<AssetRow | undefined> {
    return assetsRepo.getVisible(this.#db, id);
  }

  /** The titles of assets (null: untitled; those that do not exist are left out), for lists naming many. */
  async titles(ids: string[]): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    return new Map((await assetsRepo.titles(this.#db, ids)).map((a) => [a.id, a.title]));
  }

  /** The asset behind a playback id, with that id's policy (none for an asset in the trash). */
  byPlaybackId(playbackId: string): Promise<(AssetRow & { policy: string }) | undefined> {
    return assetsRepo.assetByPlaybackId(this.#db, playbackId);
  }

  /** The asset's MP4 (or M4A) download when it is made; a coded error saying why not otherwise. */
  readyDownload(asset: Pick<AssetRow, 'id' | 'kind' | 'mp4_support'>, ext: 'mp4' | 'm4a') {
    return readyDownload(this.#db, asset, ext);
  }

  /** The asset's renditions as stored, in ladder order. */
  renditionRows(assetId: string): Promise<RenditionRow[]> {
    return assetsRepo.renditions(this.#db, [assetId]);
  }

  async list(
    limit: number,
    cursor?: string,
    filter: AssetFilter = {},
  ): Promise<{ data: AssetJson[]; next_cursor: string | null }> {
    const after = cursor ? decodeCursor(cursor) : undefined;
    const rows = await assetsRepo.list(this.#db, limit + 1, after, filter);
    const at = (r: AssetRow) => (filter.trashed ? (r.deleted_at ?? '') : r.created_at);
    const page = rows.slice(0, limit);
    const ids = page.map((r) => r.id);
    const [renditions, playbackIds, tracks, downloads] = await Promise.all([
      assetsRepo.renditions(this.#db, ids),
      assetsRepo.playbackIds(this.#db, ids),
      this.#tracksOf(ids),
      downloadRows(this.#db, ids),
    ]);
    const last = page.at(-1);
    return {
      data: page.map((a) =>
        presentAsset(
          a,
          renditions.filter((r) => r.asset_id === a.id),
          playbackIds.filter((p) => p.asset_id === a.id),
          tracks.filter((t) => t.asset_id === a.id),
          downloads.filter((d) => d.asset_id === a.id),
          this.#trashDays,
        ),
      ),
      next_cursor: rows.length > limit && last ? encodeCursor(at(last), last.id) : null,
    };
  }

  /** The trash, newest deletion first: an editor's own assets, everyone's for the others. */
  listTrash(
    limit: number,
    cursor: string | undefined,
    principal: Principal,
    filter: Omit<AssetFilter, 'trashed' | 'createdBy'> = {},
  ): Promise<{ data: AssetJson[]; next_cursor: string | null }> {
    const owner = ownerFilterOf(principal);
    return this.list(limit, cursor, { ...filter, trashed: true, ...(owner ? { createdBy: owner } : {}) });
  }

  async update(id: string, patch: AssetPatch, who: AuditWho): Promise<AssetJson> {
    const { playback_policy: policy, ...fields } = patch;
    if (typeof fields.title === 'string') fields.title = displayText(fields.title, MAX_NAME);
    await this.#db.transaction().execute(async (trx) => {
      if (!(await assetsRepo.getVisible(trx, id))) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
      const changed = await assetsRepo.update(trx, id, fields);
      if (!changed) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
      if (policy) {
        const previous = await assetsRepo.setPlaybackPolicy(trx, id, policy);
        if (previous.some((p) => p !== policy)) {
          await recordAudit(trx, who, {
            action: 'asset.playback_policy_changed',
            target: { type: 'asset', id },
            details: { from: previous[0], to: policy },
          });
        }
      }
      // Made, replaced or removed to match (an errored one is tried again).
      if (patch.mp4_support) await syncDownloads(trx, this.#queue, id, { retryErrored: true });
      // The playback ids let a cache in front (framehouse edge, a CDN) purge what it holds of them.
      const playbackIds = (await assetsRepo.playbackIds(trx, [id])).map((p) => p.id);
      await recordEvent(trx, 'asset.updated', id, { changes: Object.keys(patch), playback_ids: playbackIds });
      await recordAudit(trx, who, {
        action: 'asset.updated',
        target: { type: 'asset', id },
        details: { changes: Object.keys(patch) },
      });
    });
    return this.get(id);
  }

  /**
   * Into the trash (hidden, unplayable, restorable) when there is one; otherwise deleted at once.
   * Either way caches in front forget it now: `asset.deleted` names its playback ids.
   */
  async delete(id: string, who: AuditWho): Promise<void> {
    if (this.#trashDays === 0) {
      if (!(await this.#db.transaction().execute((trx) => this.#purge(trx, id, who, { fromTrash: false }))))
        throw new AppError('FH_ERR_ASSET_NOT_FOUND');
      return;
    }
    await this.#db.transaction().execute(async (trx) => {
      const at = isoNow();
      if (!(await assetsRepo.moveToTrash(trx, id, who.actor, at)))
        throw new AppError('FH_ERR_ASSET_NOT_FOUND');
      const playbackIds = (await assetsRepo.playbackIds(trx, [id])).map((p) => p.id);
      const purge = purgeAfter(at, this.#trashDays);
      await recordAudit(trx, who, {
        action: 'asset.deleted',
        target: { type: 'asset', id },
        details: { trash: true, purge_after: purge },
      });
      await recordEvent(trx, 'asset.deleted', id, {
        playback_ids: playbackIds,
        trash: true,
        purge_after: purge,
      });
    });
  }

  /**
   * Deletes an asset now, from the trash or not (an admin's "delete forever"): the rows in this
   * transaction, the objects by a job. 404 when there is no such asset.
   */
  async purgeNow(id: string, who: AuditWho): Promise<void> {
    const purged = await this.#db.transaction().execute(async (trx) => {
      const asset = await assetsRepo.get(trx, id);
      if (!asset) return false;
      return this.#purge(trx, id, who, { fromTrash: asset.deleted_at !== null });
    });
    if (!purged) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
  }

  /** Assets deleted before `before` (ISO), oldest deletion first: what the purge takes next. */
  trashedBefore(before: string, limit: number): Promise<string[]> {
    return assetsRepo.trashedBefore(this.#db, before, limit);
  }

  /**
   * Purges one asset of the trash in one transaction, if it is still there and was deleted
   * before `before` (a restore meanwhile wins). False when there was nothing to do: a second
   * run is harmless.
   */
  purgeFromTrash(id: string, before: string, who: AuditWho): Promise<boolean> {
    return this.#db.transaction().execute((trx) => this.#purge(trx, id, who, { fromTrash: true, before }));
  }

  /** Out of the trash, as it was: 409 when the asset is not in the trash, 404 when there is none. */
  async restore(id: string, who: AuditWho): Promise<AssetJson> {
    await this.#db.transaction().execute(async (trx) => {
      const before = await assetsRepo.get(trx, id);
      // Asked again when it fails: a purge that committed meanwhile makes it a 404, not a 409.
      if (!(await assetsRepo.restoreFromTrash(trx, id)))
        throw new AppError(
          (await assetsRepo.get(trx, id)) ? 'FH_ERR_ASSET_NOT_IN_TRASH' : 'FH_ERR_ASSET_NOT_FOUND',
        );
      // Caches in front (framehouse edge, a CDN) may hold the 404s it answered meanwhile.
      const playbackIds = (await assetsRepo.playbackIds(trx, [id])).map((p) => p.id);
      await recordAudit(trx, who, {
        action: 'asset.restored',
        target: { type: 'asset', id },
        details: { deleted_at: before?.deleted_at ?? null, deleted_by: before?.deleted_by ?? null },
      });
      await recordEvent(trx, 'asset.restored', id, { playback_ids: playbackIds });
    });
    return this.get(id);
  }

  /**
   * Today's delete: the rows now; a job removes the stored objects (it retries if the store is
   * down). An asset from the trash is locked first and purged only if it is still there; its
   * `asset.deleted` was sent when it went to the trash. False when there was nothing to delete.
   */
  async #purge(
    trx: Transaction<Database>,
    id: string,
    who: AuditWho,
    from: { fromTrash: boolean; before?: string },
  ): Promise<boolean> {
    if (from.fromTrash && !(await assetsRepo.lockTrashed(trx, id, from.before))) return false;
    const trashed = from.fromTrash ? await assetsRepo.get(trx, id) : undefined;
    // Read before they go: caches in front purge by playback id (see the event below).
    const playbackIds = (await assetsRepo.playbackIds(trx, [id])).map((p) => p.id);
    if (!(await assetsRepo.delete(trx, id))) return false;
    await deleteDownloadRows(trx, id); // their objects go with the asset's other objects
    await enqueueJob(
      this.#queue,
      trx,
      deleteAssetObjectsSpec,
      { assetId: id },
      { dedupeKey: `delete:${id}` },
    );
    if (from.fromTrash) {
      await recordAudit(trx, who, {
        action: 'asset.purged',
        target: { type: 'asset', id },
        details: { deleted_at: trashed?.deleted_at ?? null, deleted_by: trashed?.deleted_by ?? null },
      });
      return true;
    }
    await recordAudit(trx, who, { action: 'asset.deleted', target: { type: 'asset', id } });
    await recordEvent(trx, 'asset.deleted', id, { playback_ids: playbackIds });
    return true;
  }

  /**
   * The source of an asset that waited for it (fetched from a URL) is stored now: its size and
   * hash recorded and the probe enqueued in one transaction. False when the asset is gone or
   * has its source already (a job run twice).
   */
  async sourceStored(
    id: string,
    stored: { size: number; sha256: string; filename?: string },
  ): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const asset = await assetsRepo.get(trx, id);
      if (asset?.status !== 'waiting' || asset.source_size !== null) return false;
      await assetsRepo.update(trx, id, {
        source_size: stored.size,
        source_sha256: stored.sha256,
        ...(stored.filename ? { source_filename: stored.filename } : {}),
      });
      await this.#enqueueProbe(trx, id);
      return true;
    });
  }

  #enqueueProbe(trx: Transaction<Database>, assetId: string) {
    return enqueueJob(this.#queue, trx, probeSpec, { assetId }, { dedupeKey: `probe:${assetId}` });
  }

  #tracksOf(ids: string[]): Promise<TrackRow[]> {
    return this.#tracks ? this.#tracks.ofAssets(ids) : Promise.resolve([]);
  }
}

/** Where an asset's subtitle and caption tracks come from (the captions feature's service). */
export interface AssetTracks {
  ofAssets(assetIds: string[]): Promise<TrackRow[]>;
}

/** An editor sees and manages the assets they made; everyone else (admins, keys, open mode) all. */
function ownerFilterOf(principal: Principal): string | null {
  return principal.kind === 'user' && principal.role !== 'admin' ? `user:${principal.id}` : null;
}

function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): ListCursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string') return { at, id };
  } catch {
    // fall through to the coded error
  }
  throw new AppError('FH_ERR_CURSOR_INVALID');
}

/** Without a title, an asset is named after its file: `Harbour tour.mp4` → `Harbour tour`. */
function titleFromFilename(filename: string | null): string | null {
  const base = filename?.split(/[\\/]/).pop() ?? '';
  const title = base.replace(/\.[A-Za-z0-9]{1,8}$/, '').trim();
  return title ? title.slice(0, 500) : null;
}
