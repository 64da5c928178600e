import type { Kysely, Selectable } from 'kysely';
import type { BackupsTable, Database } from '../db/schema.ts';

type Executor = Kysely<Database>;

export type BackupRow = Selectable<BackupsTable>;

/**
 * Backups newest first (started_at, then id, both descending), after the cursor's backup: the
 * order of backups_started_idx, read from the cursor on.
 */
export function listBackupRows(
  db: Executor,
  limit: number,
  after?: { startedAt: string; id: string },
): Promise<BackupRow[]> {
  let q = db.selectFrom('backups').selectAll();
  if (after)
    q = q
      .where('started_at', '<=', after.startedAt)
      .where((eb) => eb.or([eb('started_at', '<', after.startedAt), eb('id', '<', after.id)]));
  return q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export function backupRowById(db: Executor, id: string): Promise<BackupRow | undefined> {
  return db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The newest scheduled run that started in [from, to) (to null: no end): the run of a slot. */
export function newestScheduledRowIn(
  db: Executor,
  from: string,
  to: string | null,
): Promise<BackupRow | undefined> {
  let q = db
    .selectFrom('backups')
    .selectAll()
    .where('trigger', '=', 'schedule')
    .where('started_at', '>=', from);
  if (to !== null) q = q.where('started_at', '<', to);
  return q.orderBy('started_at', 'desc').limit(1).executeTakeFirst();
}

/** The newest run a node started at or after `since` with this trigger: the one a caller just made. */
export function newestRowOf(
  db: Executor,
  where: { trigger: 'cli' | 'schedule'; node: string; since: string },
): Promise<BackupRow | undefined> {
  return db
    .selectFrom('backups')
    .selectAll()
    .where('trigger', '=', where.trigger)
    .where('node', '=', where.node)
    .where('started_at', '>=', where.since)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The newest succeeded backup: what the "last" gauges describe. */
export function newestSucceededRow(
  db: Executor,
): Promise<Pick<BackupRow, 'started_at' | 'finished_at' | 'size_bytes'> | undefined> {
  return db
    .selectFrom('backups')
    .select(['started_at', 'finished_at', 'size_bytes'])
    .where('status', '=', 'succeeded')
    .where('finished_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Failed runs by trigger: rows marked failed, and running rows whose heartbeat is older than
 * `staleBefore` (their process died: they will never be marked).
 */
export async function failureCounts(
  db: Executor,
  staleBefore: string,
): Promise<Array<{ trigger: string; failures: number }>> {
  const rows = await db
    .selectFrom('backups')
    .select((eb) => ['trigger', eb.fn.countAll<number | string>().as('failures')])
    .where((eb) =>
      eb.or([
        eb('status', '=', 'failed'),
        eb.and([eb('status', '=', 'running'), eb('heartbeat_at', '<', staleBefore)]),
      ]),
    )
    .groupBy('trigger')
    .execute();
  return rows.map((r) => ({ trigger: r.trigger, failures: Number(r.failures) }));
}
