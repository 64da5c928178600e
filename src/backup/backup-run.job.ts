import type { Db } from '../db/database.ts';
import { defineJob, type JobDefinition, type JobLogger } from '../queue/jobs.ts';
import { WorkerShutdownError } from '../queue/worker.ts';
import { isoNow } from '../shared/time.ts';
import { isStale, presentBackup } from './backup.presenter.ts';
import { BACKUP_HEARTBEAT_STALE_MS, backupRunning } from './backup-records.ts';
import { type BackupRunPayload, backupRunSpec, nextBackupSlot } from './backup-schedule.ts';
import { announceBackup, announceBackupOutcome, announceUnrecordedFailure } from './backup-signals.ts';
import { newestRowOf, newestScheduledRowIn } from './backups-read.repo.ts';
import type { BackupSettings } from './backups-read.service.ts';

/** The engine's entry point as the job calls it (runBackup in backup.service.ts, deps bound). */
export type RunScheduledBackup = (req: {
  target: string;
  objects: 'all' | 'none';
  passphrase?: string;
  trigger: 'schedule';
  keep: number;
  signal: AbortSignal;
}) => Promise<{ id: string }>;

/**
 * The lease of a running backup. The worker renews it every third; it only has to outlast a
 * database blip. Longer than the backup row's staleness, so that when a dead worker's job is
 * reaped its row already reads as stopped (and onDead can say so).
 */
export const backupRunLeaseMs = (poolDefaultMs: number): number =>
  Math.max(poolDefaultMs, 2 * BACKUP_HEARTBEAT_STALE_MS);

const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('FH_ERR_') ? code : 'FH_ERR_BACKUP_TARGET';
};

const idIn = (err: unknown): string | null => {
  const id = (err as { details?: { backup_id?: unknown } } | null)?.details?.backup_id;
  return typeof id === 'string' ? id : null;
};

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The worker is stopping: the job goes back to the queue and another worker runs the slot. */
const isShutdown = (signal: AbortSignal) => signal.aborted && signal.reason instanceof WorkerShutdownError;

/**
 * `backup.run`: one scheduled backup (docs/operations.md, "Scheduled backups"). A backup that
 * fails is recorded by the engine and announced here (event, admins' mail); the job itself
 * completes, since the next slot is the retry. It fails only when it could not say so.
 */
export function backupRunJob(deps: {
  db: Db;
  settings: BackupSettings;
  /** This process, as the engine records it in `backups.node`. */
  node: string;
  run: RunScheduledBackup;
  poolVisibilityTimeoutMs: number;
}): JobDefinition<BackupRunPayload> {
  const { db, settings } = deps;
  return defineJob<BackupRunPayload>(backupRunSpec.type, {
    ...backupRunSpec,
    // No run-time limit from the pool: a backup takes as long as the data it copies.
    timeoutMs: null,
    visibilityTimeoutMs: backupRunLeaseMs(deps.poolVisibilityTimeoutMs),
    async handler({ payload, signal, log }) {
      if (!settings.cron || payload.cron !== settings.cron) {
        // Queued under a schedule this node no longer has (changed, or removed).
        log.info({ slot: payload.slot, cron: payload.cron }, 'backup slot of another schedule: skipped');
        return;
      }
      if (await backupRunning(db)) {
        // The previous slot's backup is still at work (a schedule tighter than a backup takes):
        // this slot is skipped rather than run beside it.
        log.info({ slot: payload.slot }, 'a backup is still running: this slot is skipped');
        return;
      }
      const startedAt = isoNow();
      let backupId: string | null;
      try {
        backupId = (
          await deps.run({
            target: settings.target,
            objects: settings.objects,
            ...(settings.passphrase ? { passphrase: settings.passphrase } : {}),
            trigger: 'schedule',
            keep: settings.keep,
            signal,
          })
        ).id;
      } catch (err) {
        // Released on shutdown: the slot runs again on another worker; nothing to announce yet.
        if (isShutdown(signal)) throw err;
        // The engine names the run it recorded in the error; otherwise this node's newest run is it.
        backupId =
          idIn(err) ??
          (await newestRowOf(db, { trigger: 'schedule', node: deps.node, since: startedAt }))?.id ??
          null;
        if (!backupId && codeOf(err) === 'FH_ERR_BACKUP_RUNNING') {
          // A CLI backup began since the look above: skipped, as above.
          log.info({ slot: payload.slot }, 'a backup is still running: this slot is skipped');
          return;
        }
        if (!backupId) {
          log.warn({ err }, 'scheduled backup failed before it was recorded');
          await announceUnrecordedFailure(db, {
            trigger: 'schedule',
            startedAt,
            error: { code: codeOf(err), message: messageOf(err) },
          });
          return;
        }
      }
      await report(db, backupId, log);
    },
    async onDead(payload, error) {
      // The worker died (its lease expired) or the handler could not announce: the slot's run,
      // still `running` with a stale heartbeat, is a failure nobody else will announce.
      const slot = new Date(payload.slot);
      const next = nextBackupSlot(payload.cron, slot);
      const row = await newestScheduledRowIn(db, slot.toISOString(), next?.toISOString() ?? null);
      if (row) {
        if (isStale(row, Date.now())) await announceBackup(db, presentBackup(row));
      } else
        await announceUnrecordedFailure(db, {
          trigger: 'schedule',
          startedAt: payload.slot,
          error: { code: 'FH_ERR_BACKUP_TARGET', message: `The scheduled backup did not run: ${error}` },
        });
    },
  });
}

async function report(db: Db, backupId: string, log: JobLogger): Promise<void> {
  const backup = await announceBackupOutcome(db, backupId);
  if (!backup) return;
  const fields = {
    backupId,
    status: backup.status,
    durationMs: backup.duration_ms,
    sizeBytes: backup.size_bytes,
  };
  if (backup.status === 'succeeded') log.info(fields, 'scheduled backup succeeded');
  else log.warn({ ...fields, error: backup.error }, 'scheduled backup failed');
}
