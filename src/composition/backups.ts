import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { readBackupGauges } from '../backup/backup-gauges.ts';
import { backupRunJob } from '../backup/backup-run.job.ts';
import { startBackupSchedule } from '../backup/backup-schedule.ts';
import { registerBackupAdminRoutes } from '../backup/backups-admin.routes.ts';
import { type BackupSettings, BackupsReader } from '../backup/backups-read.service.ts';
import type { Config } from '../config/config.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import type { Infrastructure } from './infrastructure.ts';

export interface BackupAdmin {
  /** Registers `GET /v1/admin/backups` and `GET /v1/admin/backups/{id}` on the HTTP app. */
  register(app: FastifyInstance): void;
}

/** FRAMEHOUSE_BACKUP_*: what a scheduled backup runs with. */
export function backupSettingsOf(config: Config): BackupSettings {
  return {
    cron: config.backupSchedule,
    target: config.backupTarget,
    keep: config.backupKeep,
    objects: config.backupObjects,
    passphrase: config.backupPassphrase,
  };
}

/** The backups admins read (docs/operations.md, "Scheduled backups"), on every HTTP node. */
export function backupAdmin(config: Config, { db }: Infrastructure): BackupAdmin {
  const backups = new BackupsReader({ db, settings: backupSettingsOf(config) });
  return { register: (app) => registerBackupAdminRoutes(app, { backups }) };
}

/** The backup metrics, read from the backups table at each scrape (every node that serves /metrics). */
export function observeBackups(metrics: Metrics, { db }: Infrastructure): void {
  metrics.observeBackups(() => readBackupGauges(db));
}

/** `backup.run`: registered on every worker (JOB_TYPES lists it), a schedule or not. */
export function backupJobs(config: Config, { db, store }: Infrastructure): AnyJobDefinition[] {
  // As the worker pool names itself: the runs a process made are found by it.
  const node = `${hostname()}-${process.pid}`;
  return [
    backupRunJob({
      db,
      settings: backupSettingsOf(config),
      node,
      // The engine (dump, archive, crypto, pool) loads when a backup runs, not with every server.
      run: async (req) => {
        const { runBackup } = await import('../backup/backup.service.ts');
        return runBackup({ db, store, config, node }, req);
      },
      poolVisibilityTimeoutMs: config.jobVisibilityTimeoutMs,
    }),
  ] as AnyJobDefinition[];
}

/** With FRAMEHOUSE_BACKUP_SCHEDULE, worker nodes ask for each slot's job (one per slot across the cluster). */
export function startBackupJobs(config: Config, { db, queue, log }: Infrastructure): { stop(): void } | null {
  if (!config.backupSchedule) return null;
  return startBackupSchedule({ db, queue }, config.backupSchedule, (err) =>
    log.warn({ err }, 'backups: could not queue the next scheduled run'),
  );
}
