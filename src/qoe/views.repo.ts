import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import {
  type Compilable,
  CompiledQuery,
  type Insertable,
  type Kysely,
  type Transaction,
  type Updateable,
} from 'kysely';
import type { Db } from '../db/database.ts';
import { dialectOf } from '../db/dialect-helpers.ts';
import { BUSY_TIMEOUT_MS } from '../db/node-sqlite-dialect.ts';
import type { Database, QoeViewEventsTable, QoeViewsTable } from '../db/schema.ts';

export type Executor = Kysely<Database> | Transaction<Database>;

const SQLITE_BUSY = 5;
/** How soon a writer whose SQLite lock was taken by another process looks again. */
const LOCK_RETRY_MS = 1;

/** A view as the ingest path needs it to go on: which one, whether closed, the reducer's state. */
export interface OpenViewRow {
  id: string;
  sid: string;
  playback_id: string;
  closed_at: number | null;
  received_at: number;
  state: string;
}

export type NewView = Insertable<QoeViewsTable>;
export type ViewUpdate = Updateable<QoeViewsTable>;
export type ViewEvent = QoeViewEventsTable;
export type EventKey = Pick<QoeViewEventsTable, 'view_id' | 'ts' | 'sn' | 'event'>;

/** Rows per statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 400;

const chunks = <T>(items: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
};

/**
 * Statements of the ingest path built once per shape (dialect, columns, row count) and run again
 * with new values: at a few thousand statements a second, building and compiling each with
 * Kysely cost more CPU than SQLite running it. The first run of a shape checks that the values
 * it is given are the ones Kysely put in the statement, in its order.
 */
const compiledSql = new Map<string, string>();
async function runCompiled<R>(
  ex: Executor,
  shape: string,
  build: () => Compilable<R>,
  values: readonly unknown[],
): Promise<R[]> {
  const key = `${dialectOf(ex as unknown as Kysely<unknown>)}\u0000${shape}`;
  let text = compiledSql.get(key);
  if (text === undefined) {
    const compiled = build().compile();
    if (!isDeepStrictEqual([...compiled.parameters], [...values]))
      throw new Error(`viewsRepo: the values of "${shape}" are not in the statement's order`);
    text = compiled.sql;
    compiledSql.set(key, text);
  }
  return (await ex.executeQuery<R>(CompiledQuery.raw(text, [...values]))).rows;
}

const run = (ex: Executor, text: string) => ex.executeQuery(CompiledQuery.raw(text, []));

/**
 * SQL of the report ingest path (src/qoe/report-writer.ts): views found and locked by session id,
 * made, updated, and their timelines. Runs on SQLite and PostgreSQL.
 */
export const viewsRepo = {
  /**
   * One write transaction. On SQLite its write lock is taken first (BEGIN IMMEDIATE), and without
   * blocking: `serve`'s HTTP processes share the file, and a connection that waits for the lock
   * the usual way (the busy timeout) sleeps inside SQLite, stopping its whole process (node:sqlite
   * is synchronous) while the other process writes. Here a taken lock is asked for again a
   * millisecond later, the process serving requests meanwhile (and queueing more reports for the
   * flush that gets the lock).
   */
  async transaction<T>(db: Db, work: (trx: Executor) => Promise<T>): Promise<T> {
    if (dialectOf(db as unknown as Kysely<unknown>) === 'postgres') return db.transaction().execute(work);
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      // The one connection held throughout: nothing else runs on it while its busy timeout is 0.
      const outcome = await db.connection().execute(async (conn) => {
        if (!(await beginImmediateNow(conn))) return null;
        try {
          const value = await work(conn);
          await run(conn, 'commit');
          return { value };
        } catch (err) {
          await run(conn, 'rollback').catch(() => {});
          throw err;
        }
      });
      if (outcome) return outcome.value;
      if (Date.now() > deadline)
        throw new Error(`the SQLite write lock was not free within ${BUSY_TIMEOUT_MS} ms`);
      await sleep(LOCK_RETRY_MS);
    }
  },

  /**
   * The views of these sessions. On PostgreSQL their rows stay locked (FOR UPDATE, in sid order so
   * two writers take them in the same order) until the transaction ends: another api node writing
   * the same view waits for this one. SQLite's transaction holds the whole database already.
   */
  async lockBySid(trx: Executor, sids: readonly string[]): Promise<OpenViewRow[]> {
    const postgres = dialectOf(trx as unknown as Kysely<unknown>) === 'postgres';
    const rows: OpenViewRow[] = [];
    for (const part of chunks([...sids].sort())) {
      rows.push(
        ...(await runCompiled(
          trx,
          `lock ${part.length}`,
          () => {
            const query = trx
              .selectFrom('qoe_views')
              .select(['id', 'sid', 'playback_id', 'closed_at', 'received_at', 'state'])
              .where('sid', 'in', part)
              .orderBy('sid');
            return postgres ? query.forUpdate() : query;
          },
          part,
        )),
      );
    }
    return rows;
  },

  /** Makes a view unless one with its `sid` exists (made meanwhile by another process): false then. */
  async insertView(trx: Executor, view: NewView): Promise<boolean> {
    const made = await runCompiled(
      trx,
      `insert view ${Object.keys(view).join()}`,
      () =>
        trx
          .insertInto('qoe_views')
          .values(view)
          .onConflict((oc) => oc.column('sid').doNothing())
          .returning('id'),
      Object.values(view),
    );
    return made.length > 0;
  },

  async updateView(trx: Executor, id: string, update: ViewUpdate): Promise<void> {
    await runCompiled(
      trx,
      `update view ${Object.keys(update).join()}`,
      () => trx.updateTable('qoe_views').set(update).where('id', '=', id),
      [...Object.values(update), id],
    );
  },

  /** Adds events to timelines; one already there (a retried POST) is kept once. Returns those added. */
  async insertEvents(trx: Executor, events: readonly ViewEvent[]): Promise<EventKey[]> {
    const added: EventKey[] = [];
    for (const part of chunks(events)) {
      added.push(
        ...(await runCompiled(
          trx,
          `insert events ${part.length}`,
          () =>
            trx
              .insertInto('qoe_view_events')
              .values(part.map(eventColumns))
              .onConflict((oc) => oc.columns(['view_id', 'ts', 'sn', 'event']).doNothing())
              .returning(['view_id', 'ts', 'sn', 'event']),
          part.flatMap((e) => [e.view_id, e.ts, e.sn, e.event, e.state, e.data]),
        )),
      );
    }
    return added;
  },

  /** A view's whole timeline, in the order its reports apply (to recompute the view). */
  timeline(trx: Executor, viewId: string): Promise<ViewEvent[]> {
    return trx
      .selectFrom('qoe_view_events')
      .selectAll()
      .where('view_id', '=', viewId)
      .orderBy('ts')
      .orderBy('sn')
      .orderBy('event')
      .execute();
  },
};

/** BEGIN IMMEDIATE if the write lock is free now; false when another process holds it. */
async function beginImmediateNow(conn: Kysely<Database>): Promise<boolean> {
  await run(conn, 'pragma busy_timeout = 0');
  try {
    await run(conn, 'begin immediate');
    return true;
  } catch (err) {
    if ((err as { errcode?: unknown }).errcode === SQLITE_BUSY) return false;
    throw err;
  } finally {
    await run(conn, `pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/** An event's columns in one order, whatever order its object was built in. */
const eventColumns = (e: ViewEvent): ViewEvent => ({
  view_id: e.view_id,
  ts: e.ts,
  sn: e.sn,
  event: e.event,
  state: e.state,
  data: e.data,
});
