import { type Kysely, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { dialectOf } from '../db/dialect-helpers.ts';
import type { UsageStorageTable } from '../db/schema.ts';
import type { UsageCount } from './usage-meter.ts';

// Rows per INSERT: 7 bound values each stays far under SQLite's and PostgreSQL's parameter limits.
const CHUNK = 500;

const KEY_COLUMNS = ['bucket', 'owner', 'subject_kind', 'subject_id', 'metric', 'dimension'] as const;

/**
 * Counts in primary-key order. Writers that upsert the same rows in one transaction each must lock
 * them in the same order, or two nodes flushing at once deadlock on PostgreSQL.
 */
export function inKeyOrder(counts: readonly UsageCount[]): UsageCount[] {
  return [...counts].sort((a, b) => {
    for (const c of KEY_COLUMNS) if (a[c] !== b[c]) return a[c] < b[c] ? -1 : 1;
    return 0;
  });
}

/**
 * Adds counts to usage_records (`value = value + excluded.value`): any number of writers, no
 * coordination beyond taking the rows in key order.
 */
async function addCounts(db: Db, counts: UsageCount[]): Promise<void> {
  const sorted = inKeyOrder(counts);
  for (let i = 0; i < sorted.length; i += CHUNK) {
    await db
      .insertInto('usage_records')
      .values(sorted.slice(i, i + CHUNK))
      .onConflict((oc) =>
        oc
          .columns([...KEY_COLUMNS])
          .doUpdateSet({ value: sql<number>`usage_records.value + excluded.value` }),
      )
      .execute();
  }
}

/** Ids in lists of at most CHUNK: one IN list each (SQLite takes 32,766 parameters, PostgreSQL 65,535). */
export function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}

export interface UsageSum {
  key: string;
  metric: string;
  dimension: string;
  value: number;
}

export type UsageGrouping = 'day' | 'user' | 'asset';

export const usageRepo = {
  /** One flush: every count in one transaction (all or nothing, so a failed flush can be retried whole). */
  add(db: Db, counts: UsageCount[]): Promise<void> {
    if (counts.length === 0) return Promise.resolve();
    return db.transaction().execute((trx) => addCounts(trx, counts));
  },

  /**
   * Sums per group, metric and dimension over buckets in [fromIso, toIso). The key: the day
   * (`2026-12-03`), the owner, or `{kind}/{id}/{owner}` per subject (ids hold no `/`).
   */
  async sums(
    db: Db,
    o: { fromIso: string; toIso: string; groupBy: UsageGrouping; owner?: string | undefined },
  ): Promise<UsageSum[]> {
    // Plain columns (and one expression without parameters): PostgreSQL matches GROUP BY to them.
    const day = sql<string>`substr(bucket, 1, 10)`;
    let q = db
      .selectFrom('usage_records')
      .select(['metric', 'dimension', (eb) => eb.fn.sum<number | string>('value').as('value')])
      .where('bucket', '>=', o.fromIso)
      .where('bucket', '<', o.toIso);
    if (o.owner !== undefined) q = q.where('owner', '=', o.owner);
    const grouped =
      o.groupBy === 'day'
        ? q.select(day.as('key')).groupBy([day, 'metric', 'dimension']).orderBy(day)
        : o.groupBy === 'user'
          ? q.select(sql<string>`owner`.as('key')).groupBy(['owner', 'metric', 'dimension']).orderBy('owner')
          : q
              .select(sql<string>`subject_kind || '/' || subject_id || '/' || owner`.as('key'))
              .groupBy(['subject_kind', 'subject_id', 'owner', 'metric', 'dimension'])
              .orderBy('subject_kind')
              .orderBy('subject_id');
    const rows = await grouped.execute();
    return rows.map((r) => ({
      key: r.key,
      metric: r.metric,
      dimension: r.dimension,
      value: Number(r.value),
    }));
  },

  /** E-mail addresses of users by id. */
  async emails(db: Db, userIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const ids of chunks(userIds))
      for (const r of await db.selectFrom('users').select(['id', 'email']).where('id', 'in', ids).execute())
        out.set(r.id, r.email);
    return out;
  },

  /** Titles of assets and live streams by id. */
  async titles(db: Db, assetIds: string[], streamIds: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    for (const ids of chunks(assetIds))
      for (const r of await db.selectFrom('assets').select(['id', 'title']).where('id', 'in', ids).execute())
        out.set(r.id, r.title);
    for (const ids of chunks(streamIds))
      for (const r of await db
        .selectFrom('live_streams')
        .select(['id', 'title'])
        .where('id', 'in', ids)
        .execute())
        out.set(r.id, r.title);
    return out;
  },

  /** The subject and owner behind playback ids (assets' and live streams'). */
  async subjectsOfPlaybackIds(
    db: Db,
    ids: string[],
  ): Promise<Map<string, { kind: 'asset' | 'live_stream'; id: string; owner: string | null }>> {
    const out = new Map<string, { kind: 'asset' | 'live_stream'; id: string; owner: string | null }>();
    if (ids.length === 0) return out;
    const assets = await db
      .selectFrom('playback_ids')
      .innerJoin('assets', 'assets.id', 'playback_ids.asset_id')
      .select(['playback_ids.id as pid', 'assets.id as id', 'assets.created_by as owner'])
      .where('playback_ids.id', 'in', ids)
      .execute();
    for (const r of assets) out.set(r.pid, { kind: 'asset', id: r.id, owner: r.owner });
    const streams = await db
      .selectFrom('live_playback_ids')
      .innerJoin('live_streams', 'live_streams.id', 'live_playback_ids.live_stream_id')
      .select(['live_playback_ids.id as pid', 'live_streams.id as id', 'live_streams.created_by as owner'])
      .where('live_playback_ids.id', 'in', ids)
      .execute();
    for (const r of streams) out.set(r.pid, { kind: 'live_stream', id: r.id, owner: r.owner });
    return out;
  },

  /**
   * An edge report, counted once: its id is recorded and its counts added in one transaction;
   * false (nothing added) when the id was counted before.
   */
  async addEdgeReport(
    db: Db,
    report: { id: string; edge: string; receivedAt: string },
    counts: UsageCount[],
  ): Promise<boolean> {
    return db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('usage_edge_reports')
        .values({ id: report.id, edge: report.edge, received_at: report.receivedAt })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await addCounts(trx, counts);
      return true;
    });
  },

  /** Forgets report ids received before `beforeIso` (an edge retries for minutes, not days). */
  async pruneEdgeReports(db: Db, beforeIso: string): Promise<number> {
    const res = await db
      .deleteFrom('usage_edge_reports')
      .where('received_at', '<', beforeIso)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  },

  /** The live stream of each broadcast id. */
  async streamsOfBroadcasts(db: Db, broadcastIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < broadcastIds.length; i += CHUNK) {
      const rows = await db
        .selectFrom('live_broadcasts')
        .select(['id', 'live_stream_id'])
        .where('id', 'in', broadcastIds.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) out.set(r.id, r.live_stream_id);
    }
    return out;
  },

  /** When the last walk that found anything sampled (ISO), or null. */
  async newestSample(db: Db): Promise<string | null> {
    const row = await db
      .selectFrom('usage_storage')
      .select((eb) => eb.fn.max('sampled_at').as('at'))
      .executeTakeFirst();
    return row?.at ?? null;
  },

  storageLevels(db: Db): Promise<UsageStorageTable[]> {
    return db.selectFrom('usage_storage').selectAll().execute();
  },

  /** Owners of assets and live streams by id (the walk finds ids in keys). */
  async ownersOf(
    db: Db,
    assetIds: string[],
    streamIds: string[],
  ): Promise<{ assets: Map<string, string | null>; streams: Map<string, string | null> }> {
    const assets = new Map<string, string | null>();
    const streams = new Map<string, string | null>();
    for (let i = 0; i < assetIds.length; i += CHUNK) {
      const rows = await db
        .selectFrom('assets')
        .select(['id', 'created_by'])
        .where('id', 'in', assetIds.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) assets.set(r.id, r.created_by);
    }
    for (let i = 0; i < streamIds.length; i += CHUNK) {
      const rows = await db
        .selectFrom('live_streams')
        .select(['id', 'created_by'])
        .where('id', 'in', streamIds.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) streams.set(r.id, r.created_by);
    }
    return { assets, streams };
  },

  /**
   * One walk's outcome in one transaction: the integrated byte-seconds added, the new levels
   * written, and the levels of what is gone removed. Compare-and-set: the levels are read again
   * under lock (SQLite's transactions take the write lock at BEGIN; PostgreSQL locks the rows), and
   * if they are no longer exactly the ones the walk integrated from (`integrated`), another walk
   * recorded meanwhile and nothing is written: false. `signal` is checked last, before the commit:
   * a walk that lost its lease writes nothing.
   */
  async recordWalk(
    db: Db,
    o: {
      integrated: Pick<UsageStorageTable, 'asset_id' | 'category' | 'sampled_at'>[];
      counts: UsageCount[];
      levels: UsageStorageTable[];
      gone: { asset_id: string; category: string }[];
      signal?: AbortSignal | undefined;
    },
  ): Promise<boolean> {
    const postgres = dialectOf(db as unknown as Kysely<unknown>) === 'postgres';
    return db.transaction().execute(async (trx) => {
      const read = trx
        .selectFrom('usage_storage')
        .select(['asset_id', 'category', 'sampled_at'])
        .orderBy('asset_id')
        .orderBy('category');
      const current = await (postgres ? read.forUpdate() : read).execute();
      const seen = new Map(o.integrated.map((l) => [`${l.asset_id}\u0000${l.category}`, l.sampled_at]));
      if (
        current.length !== seen.size ||
        current.some((l) => seen.get(`${l.asset_id}\u0000${l.category}`) !== l.sampled_at)
      )
        return false;
      await addCounts(trx, o.counts);
      for (let i = 0; i < o.levels.length; i += CHUNK) {
        await trx
          .insertInto('usage_storage')
          .values(o.levels.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc.columns(['asset_id', 'category']).doUpdateSet((eb) => ({
              owner: eb.ref('excluded.owner'),
              bytes: eb.ref('excluded.bytes'),
              objects: eb.ref('excluded.objects'),
              sampled_at: eb.ref('excluded.sampled_at'),
            })),
          )
          .execute();
      }
      for (const g of o.gone)
        await trx
          .deleteFrom('usage_storage')
          .where('asset_id', '=', g.asset_id)
          .where('category', '=', g.category)
          .execute();
      o.signal?.throwIfAborted();
      return true;
    });
  },
};
