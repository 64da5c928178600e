import type { FastifyInstance } from 'fastify';
import { readBackupGauges } from '../backup/backup-gauges.ts';
import { registerBackupAdminRoutes } from '../backup/backups-admin.routes.ts';
import { type BackupSettings, BackupsReader } from '../backup/backups-read.service.ts';
import type { Config } from '../config/config.ts';
import type { Metrics } from '../ops/metrics.ts';
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
