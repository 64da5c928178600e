/**
 * When an asset in the trash may be purged (docs/operations.md "The trash"). Pure: the purge job,
 * the presenter and the storage page ask the same questions with the same answers.
 */

export const DAY_MS = 86_400_000;

/** What the backups say about purging, read once per purge run. */
export interface BackupState {
  /** A schedule is set, or the `backups` table has a row: a purge must wait for a backup. */
  inUse: boolean;
  /** The snapshot time of the newest succeeded backup (ISO), null when none has succeeded. */
  lastSnapshotAt: string | null;
  /** A backup is running somewhere (its heartbeat is fresh): it may be copying these objects. */
  running: boolean;
}

/** Why an asset in the trash stays, or that it may go. */
export type PurgeVerdict = 'purge' | 'in-trash' | 'waiting-on-backup' | 'backup-running';

/** The earliest moment an asset deleted then may be purged (the end of its trash period). */
export function purgeAfter(deletedAt: string, trashDays: number): string {
  return new Date(Date.parse(deletedAt) + trashDays * DAY_MS).toISOString();
}

/**
 * Whether an asset deleted at `deletedAt` may be purged at `now`: its trash period is over and,
 * when backups are in use, a backup whose snapshot was taken after the deletion succeeded (so
 * the asset, objects and all, can still be restored from it); never while a backup runs, whose
 * inventory may list objects it has not copied yet.
 */
export function purgeVerdict(
  deletedAt: string,
  now: number,
  trashDays: number,
  backups: BackupState,
): PurgeVerdict {
  if (Date.parse(purgeAfter(deletedAt, trashDays)) > now) return 'in-trash';
  if (backups.inUse && !(snapshotMs(backups) > Date.parse(deletedAt))) return 'waiting-on-backup';
  if (backups.running) return 'backup-running';
  return 'purge';
}

/**
 * The same rule as a bound for a query: every asset deleted strictly before the returned time
 * may be purged now; null when none may (a backup is running, or none has succeeded yet).
 */
export function purgeHorizon(now: number, trashDays: number, backups: BackupState): string | null {
  if (backups.running) return null;
  // `deleted_at + period <= now` is `deleted_at <= now - period`: one millisecond on, for "before".
  const periodOver = now - trashDays * DAY_MS + 1;
  if (!backups.inUse) return new Date(periodOver).toISOString();
  const snapshot = snapshotMs(backups);
  if (Number.isNaN(snapshot)) return null;
  return new Date(Math.min(snapshot, periodOver)).toISOString();
}

/** Compared as times, not text: the backup records its snapshot time in its own words. */
const snapshotMs = (b: BackupState): number =>
  b.lastSnapshotAt === null ? Number.NaN : Date.parse(b.lastSnapshotAt);
