import type { Db } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';
import { decodePageCursor, encodePageCursor } from '../shared/page-cursor.ts';
import {
  type BackupJson,
  type BackupScheduleJson,
  presentBackup,
  presentSchedule,
} from './backup.presenter.ts';
import { backupRowById, listBackupRows } from './backups-read.repo.ts';

export interface BackupListQuery {
  limit: number;
  cursor?: string;
}

/** The settings a schedule runs with (FRAMEHOUSE_BACKUP_*). */
export interface BackupSettings {
  cron: string | undefined;
  target: string;
  keep: number;
  objects: 'all' | 'none';
  passphrase: string | undefined;
}

/** `GET /v1/admin/backups` and `GET /v1/admin/backups/{id}`: the runs as recorded, and the schedule. */
export class BackupsReader {
  readonly #db: Db;
  readonly #settings: BackupSettings;
  readonly #now: () => number;

  constructor(deps: { db: Db; settings: BackupSettings; now?: () => number }) {
    this.#db = deps.db;
    this.#settings = deps.settings;
    this.#now = deps.now ?? Date.now;
  }

  async list(
    query: BackupListQuery,
  ): Promise<{ data: BackupJson[]; next_cursor: string | null; schedule: BackupScheduleJson | null }> {
    let after: { startedAt: string; id: string } | undefined;
    if (query.cursor !== undefined) {
      const c = decodePageCursor(query.cursor);
      after = { startedAt: c.createdAt, id: c.id };
    }
    const rows = await listBackupRows(this.#db, query.limit + 1, after);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const now = this.#now();
    return {
      data: page.map((r) => presentBackup(r, now)),
      next_cursor: rows.length > query.limit && last ? encodePageCursor(last.started_at, last.id) : null,
      schedule: presentSchedule(this.#settings, now),
    };
  }

  async get(id: string): Promise<BackupJson> {
    const row = await backupRowById(this.#db, id);
    if (!row) throw new AppError('FH_ERR_BACKUP_NOT_FOUND');
    return presentBackup(row, this.#now());
  }
}
