import { backupRunning } from '../backup/backup-records.ts';
import type { Db } from '../db/database.ts';
import { isoNow } from '../shared/time.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import { type ObjectStore, UnsupportedByStoreError } from '../storage/object-store.ts';
import type { ColdTier } from './cold-tier.ts';
import { lifecycleRepo } from './lifecycle.repo.ts';
import {
  ASSET_FOLDERS,
  dropOriginalDueAt,
  horizon,
  isDue,
  type LifecycleRules,
  moveColdDueAt,
  uploadExpiresAt,
} from './rules.ts';

/** Assets taken per query: each is a few listings and copies, and the run checks its budget between. */
const BATCH = 25;
/** Abandoned multipart uploads aborted per run at most. */
const MAX_ABORTS = 1000;
/** A run stops starting new work after this; the next hour's run goes on. */
const DEFAULT_BUDGET_MS = 10 * 60_000;

/** What the job counts (framehouse_lifecycle_objects_total / _bytes_total). */
export type CountedAction = 'drop-original' | 'move-cold' | 'expire-upload';

export interface LifecycleDeps {
  db: Db;
  store: ObjectStore;
  rules: LifecycleRules;
  /** The cold tier the configuration names; null: none. */
  cold: ColdTier | null;
  count(action: CountedAction, objects: number, bytes: number): void;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  now?: () => number;
}

export interface LifecycleSummary {
  dropped: { assets: number; objects: number; bytes: number };
  cold: { assets: number; objects: number; bytes: number };
  /** Abandoned multipart uploads aborted; `unsupported` when the store cannot list them. */
  multipart: { aborted: number; unsupported: boolean };
  /** The budget ran out with work left (the next run goes on). */
  more: boolean;
  /** Assets whose step failed (logged; the others went on, the next run tries them again). */
  failed: { assetId: string; error: string }[];
}

/**
 * One run of the rules (the `storage.lifecycle` job): originals dropped, assets moved to the
 * cold tier, abandoned multipart uploads aborted, each in bounded batches until nothing is due
 * or the time budget is spent. Every step is idempotent: objects are removed or moved before
 * the row says so, and a step run again finds nothing left to do for what is done.
 * Resumable uploads are expired by the uploads sweep of the api nodes (they own the staging).
 */
export async function applyLifecycleRules(
  deps: LifecycleDeps,
  opts: { signal?: AbortSignal; budgetMs?: number } = {},
): Promise<LifecycleSummary> {
  const now = deps.now ?? Date.now;
  const started = now();
  // A backup lists the store after its database snapshot: an original dropped or an object moved
  // between the two would be in neither the inventory nor the store it lists. The run stops for
  // as long as one runs (checked before each asset) and the next run goes on.
  let backupSeen = false;
  const stop = () =>
    backupSeen || opts.signal?.aborted === true || now() - started > (opts.budgetMs ?? DEFAULT_BUDGET_MS);
  const pauseForBackup = async (): Promise<boolean> => {
    if (!backupSeen && (await backupRunning(deps.db))) {
      backupSeen = true;
      deps.log.info({}, 'lifecycle: a backup is running; the rules wait for the next run');
    }
    return backupSeen;
  };
  const summary: LifecycleSummary = {
    dropped: { assets: 0, objects: 0, bytes: 0 },
    cold: { assets: 0, objects: 0, bytes: 0 },
    multipart: { aborted: 0, unsupported: false },
    more: false,
    failed: [],
  };
  const failed = (assetId: string, err: unknown) => {
    summary.failed.push({ assetId, error: (err as Error).message });
    deps.log.warn({ err, assetId }, 'lifecycle: an asset could not be handled');
  };
  const { rules } = deps;

  if (rules.dropOriginalDays !== null) {
    const before = horizon(rules.dropOriginalDays, now());
    const more = await inBatches(
      () => lifecycleRepo.finishedLadders(deps.db, 'drop-original', BATCH, before),
      async (asset) => {
        if (await pauseForBackup()) return;
        if (!isDue(dropOriginalDueAt(asset, rules), now())) return;
        const { objects, bytes } = await sizeOf(deps.store, mediaKeys.sourcePrefix(asset.id));
        await deps.store.deletePrefix(mediaKeys.sourcePrefix(asset.id));
        await lifecycleRepo.markSourceDropped(deps.db, asset.id, isoNow());
        deps.count('drop-original', objects, bytes);
        summary.dropped.assets++;
        summary.dropped.objects += objects;
        summary.dropped.bytes += bytes;
        deps.log.info({ assetId: asset.id, objects, bytes }, 'lifecycle: original dropped');
      },
      stop,
      failed,
    );
    if (more) summary.more = true;
  }

  const cold = deps.cold;
  if (cold && rules.coldDays !== null) {
    const before = horizon(rules.coldDays, now());
    const more = await inBatches(
      () => lifecycleRepo.finishedLadders(deps.db, 'move-cold', BATCH, before),
      async (asset) => {
        if (await pauseForBackup()) return;
        if (!isDue(moveColdDueAt(asset, rules), now())) return;
        let objects = 0;
        let bytes = 0;
        for (const [folder, { cold: goes }] of Object.entries(ASSET_FOLDERS)) {
          if (!goes) continue;
          for await (const o of deps.store.listDetailed(`${folder}/${asset.id}/`)) {
            const moved = await cold.move(o.key);
            if (!moved.moved) continue;
            // Counted as it goes: an asset stopped halfway has its moved objects counted once.
            deps.count('move-cold', 1, moved.bytes);
            objects++;
            bytes += moved.bytes;
          }
        }
        await lifecycleRepo.markCold(deps.db, asset.id, isoNow());
        summary.cold.assets++;
        summary.cold.objects += objects;
        summary.cold.bytes += bytes;
        deps.log.info(
          { assetId: asset.id, objects, bytes, tier: cold.description },
          'lifecycle: moved to the cold tier',
        );
      },
      stop,
      failed,
    );
    if (more) summary.more = true;
  }

  if (backupSeen) summary.more = true;
  if (deps.store.listMultipartUploads && deps.store.abortMultipartUpload && !stop()) {
    try {
      summary.multipart.aborted = await abortAbandonedUploads(deps, now());
    } catch (err) {
      if (!(err instanceof UnsupportedByStoreError)) throw err;
      summary.multipart.unsupported = true;
      deps.log.info(
        { reason: err.message },
        'lifecycle: abandoned multipart uploads cannot be listed in this store',
      );
    }
  }
  return summary;
}

/**
 * Pages of work, each item done in turn, until a page comes back short or `stop` says so. One
 * item's failure is reported and the others go on: a bad object must not hold back every other
 * asset, hour after hour.
 */
async function inBatches<T extends { id: string }>(
  page: () => Promise<T[]>,
  each: (item: T) => Promise<void>,
  stop: () => boolean,
  failed: (id: string, err: unknown) => void,
): Promise<boolean> {
  const seen = new Set<string>();
  for (;;) {
    const items = await page();
    let progressed = false;
    for (const item of items) {
      if (stop()) return true;
      if (seen.has(item.id)) continue;
      seen.add(item.id);
      progressed = true;
      await each(item).catch((err: unknown) => failed(item.id, err));
    }
    // A short page is the last; a page of items done already means they cannot be acted on
    // (the row did not change): stop rather than loop on them.
    if (items.length < BATCH || !progressed) return false;
  }
}

/**
 * Multipart uploads under the store's prefix begun before the horizon and never finished: left
 * by a process that died mid-upload, or by a resumable upload whose record is gone. A resumable
 * upload still alive (its row unfinished and younger than the horizon) is never touched, whatever
 * date the service reports.
 */
async function abortAbandonedUploads(deps: LifecycleDeps, now: number): Promise<number> {
  const list = deps.store.listMultipartUploads;
  const abort = deps.store.abortMultipartUpload;
  if (!list || !abort) return 0;
  const cutoff = horizon(deps.rules.unfinishedUploadDays, now);
  const due: { key: string; uploadId: string }[] = [];
  for await (const u of list.call(deps.store)) {
    if (uploadExpiresAt(u.initiated, deps.rules) <= now) due.push(u);
    if (due.length >= MAX_ABORTS) break;
  }
  const tusIds = due.flatMap((u) => (u.key.startsWith('tus/') ? [u.key.slice(4)] : []));
  const alive = await lifecycleRepo.aliveUploads(deps.db, tusIds, cutoff);
  let aborted = 0;
  for (const u of due) {
    if (u.key.startsWith('tus/') && alive.has(u.key.slice(4))) continue;
    await abort.call(deps.store, u.key, u.uploadId);
    aborted++;
    deps.log.info({ key: u.key }, 'lifecycle: abandoned multipart upload aborted');
  }
  // Its parts' sizes are not listed with it: counted as uploads, not bytes.
  if (aborted > 0) deps.count('expire-upload', aborted, 0);
  return aborted;
}

async function sizeOf(store: ObjectStore, prefix: string): Promise<{ objects: number; bytes: number }> {
  let objects = 0;
  let bytes = 0;
  for await (const o of store.listDetailed(prefix)) {
    objects++;
    bytes += o.size;
  }
  return { objects, bytes };
}

/** `last_viewed_at` of an asset (the record of views calls this, throttled). */
export function recordViewed(db: Db, assetId: string, at: string): Promise<void> {
  return lifecycleRepo.recordViewed(db, assetId, at);
}
