import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { dialectOf } from '../db/dialect-helpers.ts';
import type { Database, QoeHourlyRow } from '../db/schema.ts';
import {
  ROLLUP_VIEW_COLUMNS,
  type RollupDimension,
  type RollupScope,
  type RollupView,
  STORED_SUMS,
} from './rollup-delta.ts';
import { type Granularity, ROLLUP_TABLE } from './rollups.repo.ts';

type Executor = Kysely<Database>;

/** A range of whole hours or days (epoch ms), `from` included, `to` excluded. */
export interface TimeRange {
  from: number;
  to: number;
}

export type TotalRow = Pick<
  QoeHourlyRow,
  (typeof STORED_SUMS)[number] | 'startup_hist' | 'score_hist' | 'rebuffer_hist'
> & { bucket: number };

/**
 * The rollup rows of one granularity. Both tables have the same columns but the time's name
 * (`hour`, `day`); the queries below are written once, against `qoe_hourly`'s names.
 */
const tableOf = (g: Granularity) => ROLLUP_TABLE[g] as 'qoe_hourly';
const timeOf = (g: Granularity) => g as 'hour';

/**
 * `scope = ? and scope_id = ?`. The rows of `all` are one range of the primary key (scope,
 * dimension, time…); those of one asset or stream are found by `<table>_scope_idx` (scope_id,
 * dimension, time), so their `scope = ?` is written so that it cannot use an index: without
 * statistics SQLite preferred the primary key, which holds every asset's rows of the range (an
 * asset's countries over 30 days meant reading every asset's). Portable: on PostgreSQL the
 * planner has its statistics and reads the same rows either way.
 */
function oneScope<Q extends SelectQueryBuilder<Database, 'qoe_hourly', object>>(
  q: Q,
  scope: RollupScope,
  scopeId: string,
): Q {
  if (scope === 'all') return q.where('scope', '=', 'all').where('scope_id', '=', '') as Q;
  return q.where(sql<string>`${sql.ref('scope')} || ''`, '=', scope).where('scope_id', '=', scopeId) as Q;
}

/** The `total` rows of one scope (all, an asset, a live stream) over the range, one per hour or day. */
export async function totalRows(
  db: Executor,
  g: Granularity,
  scope: RollupScope,
  scopeId: string,
  range: TimeRange,
): Promise<TotalRow[]> {
  const time = timeOf(g);
  const q = db
    .selectFrom(tableOf(g))
    .select([
      sql.ref<number>(time).as('bucket'),
      ...STORED_SUMS,
      'startup_hist',
      'score_hist',
      'rebuffer_hist',
    ])
    .where('dimension', '=', 'total')
    .where(time, '>=', range.from)
    .where(time, '<', range.to);
  return (await oneScope(q, scope, scopeId).execute()) as TotalRow[];
}

/** One group's sums, and its stored startup histograms one after another (see addConcatenatedCounts). */
export type GroupRow = Record<(typeof STORED_SUMS)[number], number> & { key: string; startup_hists: string };

/** The startup histograms of a group's rows, concatenated by the database. */
function concatenated(db: Executor, column: 'startup_hist'): RawBuilder<string> {
  return dialectOf(db as unknown as Kysely<unknown>) === 'postgres'
    ? sql<string>`string_agg(${sql.ref(column)}, '')`
    : sql<string>`group_concat(${sql.ref(column)}, '')`;
}

/**
 * Sums per group over the range, added up by the database: with `dimension` a breakdown
 * (rendition, device, os, browser, country) the groups are its values within one scope; with
 * `byScopeId` they are the assets or live streams themselves (their `total` rows).
 */
export async function groupRows(
  db: Executor,
  g: Granularity,
  query:
    | { scope: RollupScope; scopeId: string; dimension: RollupDimension; byScopeId?: false }
    | { scope: 'asset' | 'live'; byScopeId: true },
  range: TimeRange,
): Promise<GroupRow[]> {
  const key = query.byScopeId ? 'scope_id' : 'value';
  const time = timeOf(g);
  let q = db
    .selectFrom(tableOf(g))
    .select((eb) => [
      eb.ref(key).as('key'),
      ...STORED_SUMS.map((k) => eb.fn.sum<number>(k).as(k)),
      concatenated(db, 'startup_hist').as('startup_hists'),
    ])
    .where('dimension', '=', query.byScopeId ? 'total' : query.dimension)
    .where(time, '>=', range.from)
    .where(time, '<', range.to)
    .groupBy(key);
  // Across assets or streams: the primary key's range. Within one scope: its index.
  q = query.byScopeId ? q.where('scope', '=', query.scope) : oneScope(q, query.scope, query.scopeId);
  const rows = (await q.execute()) as unknown as Record<string, unknown>[];
  return rows.map((r) => {
    const out = { key: String(r.key), startup_hists: String(r.startup_hists ?? '') } as GroupRow;
    for (const k of STORED_SUMS) out[k] = Number(r[k] ?? 0);
    return out;
  });
}

/** Per asset over the range: views and score sums (for the worst assets). */
export async function assetScoreRows(
  db: Executor,
  g: Granularity,
  range: TimeRange,
  assetId?: string,
): Promise<{ asset_id: string; views: number; scored_views: number; score_sum: number }[]> {
  const time = timeOf(g);
  let q = db
    .selectFrom(tableOf(g))
    .select((eb) => [
      'scope_id',
      eb.fn.sum<number>('views').as('views'),
      eb.fn.sum<number>('scored_views').as('scored_views'),
      eb.fn.sum<number>('score_sum').as('score_sum'),
    ])
    .where('dimension', '=', 'total')
    .where(time, '>=', range.from)
    .where(time, '<', range.to)
    .groupBy('scope_id');
  q = assetId === undefined ? q.where('scope', '=', 'asset') : oneScope(q, 'asset', assetId);
  return (await q.execute()).map((r) => ({
    asset_id: r.scope_id,
    views: Number(r.views),
    scored_views: Number(r.scored_views),
    score_sum: Number(r.score_sum),
  }));
}

/**
 * The open views that started in the range (of an asset or live stream when given). Read through
 * the open-views index (closed_at, received_at): there are few of them, whereas an asset's index
 * would walk every view of the asset in the range, closed ones included. Filtered here so no
 * planner picks that index.
 */
export async function openViews(
  db: Executor,
  range: TimeRange,
  filter: { assetId?: string | undefined; liveStreamId?: string | undefined },
): Promise<RollupView[]> {
  const rows = (await db
    .selectFrom('qoe_views')
    .select([...ROLLUP_VIEW_COLUMNS])
    .where('closed_at', 'is', null)
    .where('started_at', '>=', range.from)
    .where('started_at', '<', range.to)
    .execute()) as RollupView[];
  return rows.filter(
    (v) =>
      (filter.assetId === undefined || v.asset_id === filter.assetId) &&
      (filter.liveStreamId === undefined || v.live_stream_id === filter.liveStreamId),
  );
}

/**
 * A live stream's open views that were watching during the range, whenever they started (a
 * long session may have begun before it). All open views, through their index, filtered here.
 */
export async function openLiveViewsDuring(
  db: Executor,
  liveStreamId: string,
  range: TimeRange,
): Promise<Pick<RollupView, 'live_stream_id' | 'started_at' | 'last_report_at'>[]> {
  const rows = await db
    .selectFrom('qoe_views')
    .select(['live_stream_id', 'started_at', 'last_report_at'])
    .where('closed_at', 'is', null)
    .execute();
  return rows.filter(
    (v) => v.live_stream_id === liveStreamId && v.started_at < range.to && v.last_report_at >= range.from,
  );
}

/** A live stream's closed viewers per minute over the range. */
export function liveMinuteRows(
  db: Executor,
  liveStreamId: string,
  range: TimeRange,
): Promise<{ minute: number; viewers: number }[]> {
  return db
    .selectFrom('qoe_live_minutes')
    .select(['minute', 'viewers'])
    .where('live_stream_id', '=', liveStreamId)
    .where('minute', '>=', range.from)
    .where('minute', '<', range.to)
    .orderBy('minute')
    .execute();
}
