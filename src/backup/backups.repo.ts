import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { BackupsTable } from '../db/schema.ts';

/** One run's row in `backups` (migration 0017). */
export type BackupRow = Selectable<BackupsTable>;

export async function insertRunning(
  db: Db,
  row: Pick<BackupRow, 'id' | 'trigger' | 'target' | 'objects_mode' | 'node' | 'started_at'> & {
    secrets_included: boolean;
  },
): Promise<void> {
  await db
    .insertInto('backups')
    .values({
      ...row,
      secrets_included: row.secrets_included ? 1 : 0,
      status: 'running',
      heartbeat_at: row.started_at,
    })
    .execute();
}

export async function heartbeat(db: Db, id: string, at: string): Promise<void> {
  await db
    .updateTable('backups')
    .set({ heartbeat_at: at })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .execute();
}

export async function recordSnapshotAt(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('backups').set({ snapshot_at: at }).where('id', '=', id).execute();
}

type Outcome = Partial<
  Pick<
    BackupRow,
    | 'database_bytes'
    | 'size_bytes'
    | 'objects_total'
    | 'objects_bytes'
    | 'objects_copied'
    | 'verification'
    | 'verification_problems'
    | 'error_code'
    | 'error_message'
  >
>;

/** The end of a run: `succeeded` or `failed`, with what it wrote; returns the row as it stands. */
export async function finish(
  db: Db,
  id: string,
  status: 'succeeded' | 'failed',
  finishedAt: string,
  outcome: Outcome,
): Promise<BackupRow> {
  await db
    .updateTable('backups')
    .set({ ...outcome, status, finished_at: finishedAt, heartbeat_at: finishedAt })
    .where('id', '=', id)
    .execute();
  return db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
