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
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { isoNow } from '../shared/time.ts';
import { type AssetJson, presentAsset } from './asset.presenter.ts';
import { type AssetFilter, assetsRepo } from './assets.repo.ts';

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

export type PlaybackPolicy = 'public' | 'signed';

export interface AssetPatch {
  title?: string | null;
  playback_policy?: PlaybackPolicy;
  mp4_support?: Mp4Support;
}

/** Asset lifecycle: create from a stored source, read, list, edit, delete. */
export class AssetsService {
  readonly #db: Db;
  readonly #queue: JobQueue;
  readonly #tracks: AssetTracks | undefined;

  constructor(deps: { db: Db; queue: JobQueue; tracks?: AssetTracks }) {
    this.#db = deps.db;
    this.#queue = deps.queue;
    this.#tracks = deps.tracks;
  }

  /**
   * The source is already in the object store. One transaction creates the asset row, its
   * playback id, the first job (probe) and the `asset.created` event: none exists without the others.
   */
  async createFromSource(
    source: StoredSource,
    who: AuditWho,
    extra?: (trx: Transaction<Database>) => Promise<void>,
    /** Instead of the probe: the job that brings the source first (a URL to fetch). */
    firstJob?: (trx: Transaction<Database>) => Promise<unknown>,
  ): Promise<AssetJson> {
    const now = isoNow();
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
   * manage every asset. Throws 403 otherwise, 404 when there is no such asset.
   */
  async assertCanManage(id: string, principal: Principal): Promise<void> {
    if (principal.kind !== 'user' || principal.role === 'admin') return;
    const asset = await assetsRepo.get(this.#db, id);
    if (!asset) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
    if (asset.created_by !== `user:${principal.id}`) throw new AppError('FH_ERR_NOT_OWNER');
  }

  async get(id: string): Promise<AssetJson> {
    const asset = await assetsRepo.get(this.#db, id);
    if (!asset) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
    const [renditions, playbackIds, tracks, downloads] = await Promise.all([
      assetsRepo.renditions(this.#db, [id]),
      assetsRepo.playbackIds(this.#db, [id]),
      this.#tracksOf([id]),
      downloadRows(this.#db, [id]),
    ]);
    return presentAsset(asset, renditions, playbackIds, tracks, downloads);
  }

  /** The stored row, for features that need more than the API shows (delivery, images). */
  row(id: string): Promise<AssetRow | undefined> {
    return assetsRepo.get(this.#db, id);
  }

  /** The titles of assets (null: untitled; those that do not exist are left out), for lists naming many. */
  async titles(ids: string[]): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    return new Map((await assetsRepo.titles(this.#db, ids)).map((a) => [a.id, a.title]));
  }

  /** The asset behind a playback id, with that id's policy. */
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
        ),
      ),
      next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  async update(id: string, patch: AssetPatch, who: AuditWho): Promise<AssetJson> {
    const { playback_policy: policy, ...fields } = patch;
    await this.#db.transaction().execute(async (trx) => {
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

  /** Removes the rows now; a job removes the stored objects (it retries if the store is down). */
  async delete(id: string, who: AuditWho): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      // Read before they go: caches in front purge by playback id (see the event below).
      const playbackIds = (await assetsRepo.playbackIds(trx, [id])).map((p) => p.id);
      const deleted = await assetsRepo.delete(trx, id);
      if (!deleted) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
      await deleteDownloadRows(trx, id); // their objects go with the asset's other objects
      await recordAudit(trx, who, { action: 'asset.deleted', target: { type: 'asset', id } });
      await enqueueJob(
        this.#queue,
        trx,
        deleteAssetObjectsSpec,
        { assetId: id },
        { dedupeKey: `delete:${id}` },
      );
      await recordEvent(trx, 'asset.deleted', id, { playback_ids: playbackIds });
    });
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

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
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
