import type { AuditWho } from '../audit/audit.ts';
import { backupRunning, backupsInUse, lastSucceededSnapshotAt } from '../backup/backup-records.ts';
import type { Db } from '../db/database.ts';
import { defineJob, jobSpec } from '../queue/jobs.ts';
import type { AssetsService } from './assets.service.ts';
import { type BackupState, purgeHorizon } from './trash.ts';

/**
 * Purges the trash (docs/operations.md "The trash"): assets whose trash period is over and, when
 * backups are in use, that a succeeded backup taken since their deletion holds. Hourly, one at a
 * time across the cluster (trash-schedule.ts), a bounded batch per run, each asset in a
 * transaction of its own: a run cut short leaves nothing half done, and the next one goes on.
 */
export const purgeTrashSpec = jobSpec<Record<string, never>>('assets.purge-trash', {
  maxAttempts: 1,
  priority: 5,
});

/** Assets purged a run at most: hourly, that is 12,000 a day, and no run holds a worker for long. */
export const PURGE_BATCH = 500;

const PURGER: AuditWho = { actor: 'system:trash', credential: null, ip: null };

export interface PurgeTrashDeps {
  db: Db;
  assets: Pick<AssetsService, 'trashDays' | 'trashedBefore' | 'purgeFromTrash'>;
  /** FRAMEHOUSE_BACKUP_SCHEDULE is set: backups are in use before the first one has a row. */
  backupScheduled: boolean;
}

export interface PurgeResult {
  purged: number;
  /** Assets deleted before this time were purgeable; null: none was (a backup runs, or none succeeded). */
  horizon: string | null;
  /** The batch was full: more may be waiting for the next run. */
  more: boolean;
}

/** What the backups say now (src/backup/backup-records.ts). */
export async function backupState(db: Db, scheduled: boolean, now: number): Promise<BackupState> {
  const [inUse, lastSnapshotAt, running] = await Promise.all([
    scheduled ? Promise.resolve(true) : backupsInUse(db),
    lastSucceededSnapshotAt(db),
    backupRunning(db, now),
  ]);
  return { inUse, lastSnapshotAt, running };
}

/** One run of the purge; `now` is the clock (tests pass one of their own). */
export async function purgeTrash(
  deps: PurgeTrashDeps,
  opts: { now?: number; limit?: number; signal?: AbortSignal } = {},
): Promise<PurgeResult> {
  const now = opts.now ?? Date.now();
  const limit = opts.limit ?? PURGE_BATCH;
  const horizon = purgeHorizon(
    now,
    deps.assets.trashDays,
    await backupState(deps.db, deps.backupScheduled, now),
  );
  if (!horizon) return { purged: 0, horizon, more: false };
  const ids = await deps.assets.trashedBefore(horizon, limit);
  let purged = 0;
  for (const id of ids) {
    // A backup that began meanwhile may be listing these objects: the next run goes on.
    if (opts.signal?.aborted || (await backupRunning(deps.db, now))) return { purged, horizon, more: true };
    if (await deps.assets.purgeFromTrash(id, horizon, PURGER)) purged++;
  }
  return { purged, horizon, more: ids.length === limit };
}

export const purgeTrashJob = (deps: PurgeTrashDeps) =>
  defineJob<Record<string, never>>(purgeTrashSpec.type, {
    ...purgeTrashSpec,
    async handler({ log, signal }) {
      try {
        const result = await purgeTrash(deps, { signal });
        if (result.purged > 0 || result.more) log.info({ ...result }, 'trash: assets purged');
      } catch (err) {
        // The next hourly run tries again: nothing is half done (one transaction per asset).
        log.warn({ err }, 'trash: purging failed');
      }
    },
  });
