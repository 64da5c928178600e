import type { Db } from '../db/database.ts';
import { BACKUP_HEARTBEAT_STALE_MS } from './backup-records.ts';
import { failureCounts, newestSucceededRow } from './backups-read.repo.ts';

/**
 * What the backup metrics say, read from the backups table at scrape time, so every node reports
 * the same, and CLI runs (which record their rows too) count as much as scheduled ones.
 */
export interface BackupGauges {
  /** The newest succeeded backup; null when none has succeeded (its gauges then have no sample). */
  lastSuccess: { finishedAtSeconds: number; durationSeconds: number; sizeBytes: number } | null;
  /** Failed runs so far, by trigger: marked failed, or running with a stale heartbeat. */
  failures: { cli: number; schedule: number };
}

export async function readBackupGauges(db: Db, now = Date.now()): Promise<BackupGauges> {
  const staleBefore = new Date(now - BACKUP_HEARTBEAT_STALE_MS).toISOString();
  const [last, failures] = await Promise.all([newestSucceededRow(db), failureCounts(db, staleBefore)]);
  const counts = { cli: 0, schedule: 0 };
  for (const f of failures)
    if (f.trigger === 'cli' || f.trigger === 'schedule') counts[f.trigger] = f.failures;
  const finished = last?.finished_at ? Date.parse(last.finished_at) : null;
  return {
    lastSuccess:
      last && finished !== null
        ? {
            finishedAtSeconds: finished / 1000,
            durationSeconds: (finished - Date.parse(last.started_at)) / 1000,
            sizeBytes: Number(last.size_bytes ?? 0),
          }
        : null,
    failures: counts,
  };
}
