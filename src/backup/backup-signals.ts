import type { Db } from '../db/database.ts';
import { recordEvent } from '../events/outbox.ts';
import { type BackupJson, presentBackup } from './backup.presenter.ts';
import { backupRowById } from './backups-read.repo.ts';

/**
 * What a finished backup tells the world: `backup.succeeded` or `backup.failed` in the outbox,
 * which webhooks deliver and which the admins' failure mail (src/notifications/backup-mail.ts)
 * follows. The metrics need nothing from here: they read the backups table at each scrape.
 * The target is left out: events are readable with `assets:read`, the target is admins' business.
 */
export function backupEventData(b: BackupJson): Record<string, unknown> {
  return {
    backup_id: b.id,
    trigger: b.trigger,
    status: b.status,
    started_at: b.started_at,
    finished_at: b.finished_at,
    duration_ms: b.duration_ms,
    size_bytes: b.size_bytes,
    objects_total: b.objects_total,
    objects_copied: b.objects_copied,
    verification: b.verification,
    verification_problems: b.verification_problems.slice(0, 10),
    error: b.error,
  };
}

/** Announces the outcome of the run recorded under `backupId` (its row as the API shows it). */
export async function announceBackupOutcome(
  db: Db,
  backupId: string,
  now = Date.now(),
): Promise<BackupJson | null> {
  const row = await backupRowById(db, backupId);
  if (!row) return null;
  const backup = presentBackup(row, now);
  await announceBackup(db, backup);
  return backup;
}

/** A running backup (not stale) announces nothing: it has no outcome yet. */
export async function announceBackup(db: Db, backup: BackupJson): Promise<void> {
  if (backup.status === 'running') return;
  await recordEvent(
    db,
    backup.status === 'succeeded' ? 'backup.succeeded' : 'backup.failed',
    null,
    backupEventData(backup),
  );
}

/**
 * A scheduled run that failed before it could record a row (the target cannot even be opened):
 * still a failed backup for whoever listens.
 */
export async function announceUnrecordedFailure(
  db: Db,
  run: { trigger: 'cli' | 'schedule'; startedAt: string; error: { code: string; message: string } },
): Promise<void> {
  await recordEvent(db, 'backup.failed', null, {
    backup_id: null,
    trigger: run.trigger,
    status: 'failed',
    started_at: run.startedAt,
    finished_at: new Date().toISOString(),
    duration_ms: null,
    size_bytes: null,
    objects_total: null,
    objects_copied: null,
    verification: null,
    verification_problems: [],
    error: run.error,
  });
}
