import type { Insertable, Kysely, Transaction, Updateable } from 'kysely';
import type { Db } from '../db/database.ts';
import { dialectOf } from '../db/dialect-helpers.ts';
import type { Database, QoeViewEventsTable, QoeViewsTable } from '../db/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

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
 * SQL of the report ingest path (src/qoe/report-writer.ts): views found and locked by session id,
 * made, updated, and their timelines. Runs on SQLite and PostgreSQL.
 */
export const viewsRepo = {
  /** One transaction (SQLite: BEGIN IMMEDIATE, the write lock taken at once, across processes). */
  transaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return db.transaction().execute(work);
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
      let query = trx
        .selectFrom('qoe_views')
        .select(['id', 'sid', 'playback_id', 'closed_at', 'received_at', 'state'])
        .where('sid', 'in', part)
        .orderBy('sid');
      if (postgres) query = query.forUpdate();
      rows.push(...(await query.execute()));
    }
    return rows;
  },

  /** Makes a view unless one with its `sid` exists (made meanwhile by another process): false then. */
  async insertView(trx: Executor, view: NewView): Promise<boolean> {
    const made = await trx
      .insertInto('qoe_views')
      .values(view)
      .onConflict((oc) => oc.column('sid').doNothing())
      .returning('id')
      .executeTakeFirst();
    return made !== undefined;
  },

  async updateView(trx: Executor, id: string, update: ViewUpdate): Promise<void> {
    await trx.updateTable('qoe_views').set(update).where('id', '=', id).execute();
  },

  /** Adds events to timelines; one already there (a retried POST) is kept once. Returns those added. */
  async insertEvents(trx: Executor, events: readonly ViewEvent[]): Promise<EventKey[]> {
    const added: EventKey[] = [];
    for (const part of chunks(events)) {
      added.push(
        ...(await trx
          .insertInto('qoe_view_events')
          .values(part)
          .onConflict((oc) => oc.columns(['view_id', 'ts', 'sn', 'event']).doNothing())
          .returning(['view_id', 'ts', 'sn', 'event'])
          .execute()),
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
