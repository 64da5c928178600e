import { type Kysely, type RawBuilder, sql } from 'kysely';
import { dialectOf } from '../db/dialect-helpers.ts';
import type { Database, QoeHourlyRow } from '../db/schema.ts';
import { bucketCount, type HistogramSpec, STARTUP_MS } from './histograms.ts';
import {
  ROLLUP_VIEW_COLUMNS,
  type RollupDimension,
  type RollupScope,
  type RollupView,
  STORED_SUMS,
} from './rollup-delta.ts';

type Executor = Kysely<Database>;

/** A range of whole hours (epoch ms), `from` included, `to` excluded. */
export interface HourRange {
  from: number;
  to: number;
}

export type TotalRow = Pick<
  QoeHourlyRow,
  'hour' | (typeof STORED_SUMS)[number] | 'startup_hist' | 'score_hist' | 'rebuffer_hist'
>;

/**
 * The `total` rows of one scope (all, an asset, a live stream) over the range, one per hour:
 * few enough (24 a day) to read whole and add up here, histograms included.
 */
export function totalRows(
  db: Executor,
  scope: RollupScope,
  scopeId: string,
  range: HourRange,
): Promise<TotalRow[]> {
  return db
    .selectFrom('qoe_hourly')
    .select(['hour', ...STORED_SUMS, 'startup_hist', 'score_hist', 'rebuffer_hist'])
    .where('scope', '=', scope)
    .where('dimension', '=', 'total')
    .where('scope_id', '=', scopeId)
    .where('hour', '>=', range.from)
    .where('hour', '<', range.to)
    .execute();
}

/** One group's sums and its startup histogram, added up by the database. */
export type GroupRow = Record<(typeof STORED_SUMS)[number], number> & { key: string; startup_hist: number[] };

/**
 * Bucket `i` of a stored histogram, summed. Rows can be many (an hour per group and value over
 * months), so the counts are added by the database rather than read out row by row; the JSON
 * path differs between the two.
 */
function histogramBucketSum(db: Executor, column: string, i: number): RawBuilder<number> {
  if (dialectOf(db as unknown as Kysely<unknown>) === 'postgres')
    return sql<number>`coalesce(sum((${sql.ref(column)}::jsonb ->> ${sql.lit(i)})::bigint), 0)`;
  return sql<number>`coalesce(sum(json_extract(${sql.ref(column)}, ${sql.lit(`$[${i}]`)})), 0)`;
}

const bucketAliases = (prefix: string, spec: HistogramSpec) =>
  Array.from({ length: bucketCount(spec) }, (_, i) => `${prefix}${i}`);

/**
 * Sums per group over the range: with `dimension` a breakdown (rendition, device, os, browser,
 * country) the groups are its values within one scope; with `byScopeId` they are the assets or
 * live streams themselves (their `total` rows).
 */
export async function groupRows(
  db: Executor,
  query:
    | { scope: RollupScope; scopeId: string; dimension: RollupDimension; byScopeId?: false }
    | { scope: 'asset' | 'live'; scopeId?: string; byScopeId: true },
  range: HourRange,
): Promise<GroupRow[]> {
  const key = query.byScopeId ? 'scope_id' : 'value';
  const startup = bucketAliases('s', STARTUP_MS);
  let q = db
    .selectFrom('qoe_hourly')
    .select((eb) => [
      eb.ref(key).as('key'),
      ...STORED_SUMS.map((k) => eb.fn.sum<number>(k).as(k)),
      ...startup.map((alias, i) => histogramBucketSum(db, 'startup_hist', i).as(alias)),
    ])
    .where('scope', '=', query.scope)
    .where('dimension', '=', query.byScopeId ? 'total' : query.dimension)
    .where('hour', '>=', range.from)
    .where('hour', '<', range.to)
    .groupBy(key);
  if (query.scopeId !== undefined) q = q.where('scope_id', '=', query.scopeId);
  const rows = (await q.execute()) as unknown as Record<string, unknown>[];
  return rows.map((r) => {
    const out = { key: String(r.key) } as GroupRow;
    for (const k of STORED_SUMS) out[k] = Number(r[k] ?? 0);
    out.startup_hist = startup.map((alias) => Number(r[alias] ?? 0));
    return out;
  });
}

/** Per asset over the range: views and score sums (for the worst assets). */
export async function assetScoreRows(
  db: Executor,
  range: HourRange,
  assetId?: string,
): Promise<{ asset_id: string; views: number; scored_views: number; score_sum: number }[]> {
  let q = db
    .selectFrom('qoe_hourly')
    .select((eb) => [
      'scope_id',
      eb.fn.sum<number>('views').as('views'),
      eb.fn.sum<number>('scored_views').as('scored_views'),
      eb.fn.sum<number>('score_sum').as('score_sum'),
    ])
    .where('scope', '=', 'asset')
    .where('dimension', '=', 'total')
    .where('hour', '>=', range.from)
    .where('hour', '<', range.to)
    .groupBy('scope_id');
  if (assetId !== undefined) q = q.where('scope_id', '=', assetId);
  return (await q.execute()).map((r) => ({
    asset_id: r.scope_id,
    views: Number(r.views),
    scored_views: Number(r.scored_views),
    score_sum: Number(r.score_sum),
  }));
}

/** The open views that started in the range (of an asset or live stream when given). */
export async function openViews(
  db: Executor,
  range: HourRange,
  filter: { assetId?: string; liveStreamId?: string },
): Promise<RollupView[]> {
  let q = db
    .selectFrom('qoe_views')
    .select([...ROLLUP_VIEW_COLUMNS])
    .where('closed_at', 'is', null)
    .where('started_at', '>=', range.from)
    .where('started_at', '<', range.to);
  if (filter.assetId !== undefined) q = q.where('asset_id', '=', filter.assetId);
  if (filter.liveStreamId !== undefined) q = q.where('live_stream_id', '=', filter.liveStreamId);
  return (await q.execute()) as RollupView[];
}

/** A live stream's open views that were watching during the range (whenever they started). */
export async function openLiveViewsDuring(
  db: Executor,
  liveStreamId: string,
  range: HourRange,
): Promise<Pick<RollupView, 'live_stream_id' | 'started_at' | 'last_report_at'>[]> {
  return db
    .selectFrom('qoe_views')
    .select(['live_stream_id', 'started_at', 'last_report_at'])
    .where('live_stream_id', '=', liveStreamId)
    .where('closed_at', 'is', null)
    .where('started_at', '<', range.to)
    .where('last_report_at', '>=', range.from)
    .execute();
}

/** A live stream's closed viewers per minute over the range. */
export function liveMinuteRows(
  db: Executor,
  liveStreamId: string,
  range: HourRange,
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
