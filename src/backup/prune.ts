import type { ObjectStore } from '../storage/object-store.ts';
import {
  BACKUPS_PREFIX,
  backupIdTime,
  backupPrefix,
  isBackupId,
  manifestKey,
  POOL_PREFIX,
  POOL_TMP_PREFIX,
} from './archive-layout.ts';
import { HashSetFilter } from './hash-set-filter.ts';
import { readManifest } from './manifest.ts';
import { readInventory } from './object-inventory.ts';

/** A backup folder found in a target. */
export interface StoredBackup {
  id: string;
  complete: boolean;
}

/** Every backup folder of a target, oldest first (ids sort by time). */
export async function listStoredBackups(target: ObjectStore): Promise<StoredBackup[]> {
  const found = new Map<string, StoredBackup>();
  for await (const o of target.listDetailed(BACKUPS_PREFIX)) {
    const id = o.key.slice(BACKUPS_PREFIX.length).split('/')[0] ?? '';
    if (!isBackupId(id)) continue;
    const b = found.get(id) ?? { id, complete: false };
    if (o.key === manifestKey(id)) b.complete = true;
    found.set(id, b);
  }
  return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** A day: an incomplete backup younger than this may still be running; pool objects too. */
export const SETTLE_MS = 24 * 3_600_000;

export interface PruneResult {
  removedBackups: string[];
  poolObjectsRemoved: number;
  poolBytesRemoved: number;
}

/**
 * `--keep N` (docs/operations.md, "Keep"): removes the oldest complete backups beyond `keep`,
 * incomplete ones older than a day, then the pool objects no remaining inventory names. Objects
 * and incomplete backups younger than `settleMs` are left alone: another backup into the same
 * target may be writing them and not have written its inventory yet.
 */
export async function pruneTarget(
  target: ObjectStore,
  opts: {
    keep: number;
    current?: string;
    now?: number;
    settleMs?: number;
    onStep?: (done: number, total: number) => void;
  },
): Promise<PruneResult> {
  const now = opts.now ?? Date.now();
  const settleMs = opts.settleMs ?? SETTLE_MS;
  const backups = await listStoredBackups(target);
  const complete = backups.filter((b) => b.complete);
  const doomed = new Set(complete.slice(0, Math.max(0, complete.length - opts.keep)).map((b) => b.id));
  for (const b of backups) {
    const began = backupIdTime(b.id)?.getTime() ?? now;
    if (!b.complete && b.id !== opts.current && now - began > settleMs) doomed.add(b.id);
  }
  doomed.delete(opts.current ?? '');
  const removedBackups: string[] = [];
  let step = 0;
  for (const id of [...doomed].sort()) {
    // The manifest first: a backup cut short here is incomplete, never complete with files missing.
    await target.delete(manifestKey(id));
    await target.deletePrefix(backupPrefix(id));
    removedBackups.push(id);
    opts.onStep?.(++step, doomed.size + 1);
  }
  const kept = complete.filter((b) => !doomed.has(b.id));
  const pool = await collectPool(
    target,
    kept.map((b) => b.id),
    now,
    settleMs,
  );
  opts.onStep?.(doomed.size + 1, doomed.size + 1);
  return { removedBackups, ...pool };
}

async function collectPool(
  target: ObjectStore,
  keptIds: string[],
  now: number,
  settleMs: number,
): Promise<{ poolObjectsRemoved: number; poolBytesRemoved: number }> {
  let expected = 0;
  // Only sizes the filter: a manifest that cannot be read makes it fuller (keeping more), never wrong.
  for (const id of keptIds)
    expected += (await readManifest(target, id).catch(() => null))?.counts.objects ?? 10_000;
  const named = new HashSetFilter(expected);
  for (const id of keptIds) for await (const e of readInventory(target, id)) named.add(e.sha256);
  let poolObjectsRemoved = 0;
  let poolBytesRemoved = 0;
  for await (const o of target.listDetailed(POOL_PREFIX)) {
    const hash = o.key.slice(o.key.lastIndexOf('/') + 1);
    if (named.mayHave(hash) || now - o.lastModified.getTime() < settleMs) continue;
    await target.delete(o.key);
    poolObjectsRemoved++;
    poolBytesRemoved += o.size;
  }
  // Temporary copies left by a backup that stopped mid-copy.
  for await (const o of target.listDetailed(POOL_TMP_PREFIX))
    if (now - o.lastModified.getTime() >= settleMs) await target.delete(o.key);
  return { poolObjectsRemoved, poolBytesRemoved };
}
