import { type Kysely, sql, type Transaction } from 'kysely';
import { dialectOf } from '../db/dialect-helpers.ts';
import type { Database } from '../db/schema.ts';

/**
 * Where readers of the outbox may safely read up to: the settled horizon.
 *
 * Readers hand events out in `seq` order and remember the last one (a cursor), so they must
 * never hand out an event while one with a lower `seq` may still appear. On SQLite that cannot
 * happen: one writer at a time draws its `seq` and commits before the next one starts. On
 * PostgreSQL `seq` comes from a sequence when the row is inserted, but transactions commit in
 * their own order: one that drew 5 can commit after one that drew 6, and a reader that moved
 * past 6 in between would never see 5.
 *
 * So on PostgreSQL the writers announce themselves, and readers stop below every writer still
 * at work:
 * - A writer, before it draws a `seq`, reads the sequence (every `seq` drawn so far is ≤ v0),
 *   then takes a shared transaction-level advisory lock keyed by v0. Every `seq` it draws is
 *   > v0, and the lock is held until its transaction ends; PostgreSQL releases such a lock only
 *   after the commit is visible to new snapshots.
 * - A reader reads the sequence (V: every `seq` drawn so far), then the keys of the locks held
 *   (`pg_locks`). H = min(V, every key). Any `seq` ≤ H was drawn before V was read, by a writer
 *   that held its lock since; that lock is gone (its key would be < that seq ≤ H), so the writer
 *   had ended before the lock scan. A query made after the scan (a new statement, so a newer
 *   snapshot) therefore sees every committed row ≤ H, and no row ≤ H can appear later.
 *
 * Only this installation's event writers hold readers back, for as long as their transactions
 * run (the application's are short: a few statements, no I/O but the database's), and an
 * announced writer that is left idle is ended by the server after WRITER_IDLE_LIMIT_MS. An
 * unrelated long transaction — a migration, a backup, an open psql session, another database on
 * the same server — holds no such lock and is not waited for (unlike a horizon taken from the
 * snapshot's `xmin`, which every transaction of the cluster holds back). No transaction ids
 * are involved, so there is no wraparound to care for; the lock keys are the low 31 bits of v0,
 * read back relative to V (`unwrapKey`), so the sequence may grow past 2^31.
 */

/** The advisory-lock key space: 31 bits (a non-negative int4). */
const KEY_SPACE = 2 ** 31;

/** How long an announced writer may sit idle in its transaction before the server ends it. */
export const WRITER_IDLE_LIMIT_MS = 60_000;

/**
 * A table read by cursor with this scheme: its `seq` column and the sequence PostgreSQL draws it
 * from (`bigserial` names it `{table}_seq_seq`). The outbox (`events`) is one; the live room's
 * fan-out log (`live_room_events`) another. Each table's writers hold back only its own readers.
 */
export interface SequencedLog {
  table: 'events' | 'live_room_events';
}

export const OUTBOX_LOG: SequencedLog = { table: 'events' };

// The lock's first key: the table (its oid), so that installations in other schemas of the same
// database, other logs, and other users of advisory locks, do not hold us back.
const ownerKey = (log: SequencedLog) =>
  sql`(${sql.lit(log.table)}::regclass::oid::bigint % ${sql.lit(KEY_SPACE)})`;
// `seq`'s sequence, as `bigserial` made it. Every value drawn so far is ≤ this.
const DRAWN = sql`(case when is_called then last_value else last_value - 1 end)`;
const sequenceOf = (log: SequencedLog) => sql.table(`${log.table}_seq_seq`);

/**
 * Announces an event writer (PostgreSQL only; call it in the writer's transaction before each
 * insert into `events`). A no-op on SQLite.
 */
export function announceEventWriter(trx: Transaction<Database>): Promise<void> {
  return announceWriter(trx, OUTBOX_LOG);
}

/** Announces a writer of `log` (see announceEventWriter). */
export async function announceWriter(trx: Transaction<Database>, log: SequencedLog): Promise<void> {
  if (dialectOf(trx as unknown as Kysely<unknown>) !== 'postgres') return;
  await sql`select
      set_config('idle_in_transaction_session_timeout', ${String(WRITER_IDLE_LIMIT_MS)}, true),
      pg_advisory_xact_lock_shared(${ownerKey(log)}::int4, (${DRAWN} % ${sql.lit(KEY_SPACE)})::int4)
    from ${sequenceOf(log)}`.execute(trx);
}

/**
 * The settled horizon: every event with `seq` ≤ it that will ever exist is visible to a query
 * started after this returns. Call it outside any transaction (a transaction's snapshot may be
 * older than the lock scan).
 */
export async function settledHorizon(db: Kysely<Database>): Promise<number> {
  return (await logHorizon(db, OUTBOX_LOG)).horizon;
}

/**
 * The settled horizon of `log`, and how far its sequence has been drawn: `drawn > horizon` means
 * a writer was still at work, so a reader may want to look again soon rather than at its next poll.
 */
export async function logHorizon(
  db: Kysely<Database>,
  log: SequencedLog,
): Promise<{ horizon: number; drawn: number }> {
  if (db.isTransaction) throw new Error('settledHorizon must be called outside a transaction');
  if (dialectOf(db as unknown as Kysely<unknown>) === 'sqlite') {
    const row = await db
      .selectFrom(log.table)
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    const seq = Number(row?.seq ?? 0);
    return { horizon: seq, drawn: seq };
  }
  // Three statements, in this order: the sequence, the locks, then (the caller's) rows.
  const drawn = await sql<{ drawn: number }>`select ${DRAWN} as drawn from ${sequenceOf(log)}`.execute(db);
  const v = Number(drawn.rows[0]?.drawn ?? 0);
  const held = await sql<{ key: number }>`select objid::bigint as key from pg_locks
    where locktype = 'advisory' and objsubid = 2
      and database = (select oid from pg_database where datname = current_database())
      and classid::bigint = ${ownerKey(log)}`.execute(db);
  let horizon = v;
  for (const { key } of held.rows) horizon = Math.min(horizon, unwrapKey(Number(key), v));
  return { horizon, drawn: v };
}

/**
 * A lock key (v0 modulo 2^31) read back as the v0 nearest to V. Writers still at work are far
 * less than 2^30 draws behind (or ahead of: announced after V was read) the sequence.
 */
export function unwrapKey(key: number, v: number): number {
  const d = (((key - v) % KEY_SPACE) + KEY_SPACE) % KEY_SPACE;
  return v + (d >= KEY_SPACE / 2 ? d - KEY_SPACE : d);
}
