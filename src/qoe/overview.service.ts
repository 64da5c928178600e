import type { Db } from '../db/database.ts';
import { inReadSnapshot } from '../db/read-snapshot.ts';
import { AppError } from '../shared/errors.ts';
import { addConcatenatedCounts, REBUFFER_PERCENTAGE, SCORE, STARTUP_MS } from './histograms.ts';
import { type Metrics, metricsOf } from './metrics.ts';
import {
  assetScoreRows,
  type GroupRow,
  groupRows,
  liveMinuteRows,
  openLiveViewsDuring,
  openViews,
  type TotalRow,
  totalRows,
} from './overview.repo.ts';
import {
  addTally,
  cloneTally,
  DAY_MS,
  dayOf,
  emptyTally,
  HOUR_MS,
  hourOf,
  liveMinuteDeltas,
  type RollupDelta,
  type RollupDimension,
  type RollupScope,
  type RollupView,
  rollupDeltas,
  STORED_SUMS,
  type Tally,
} from './rollup-delta.ts';
import { type Granularity, tallyOfRow } from './rollups.repo.ts';

export const GROUP_BY = ['asset', 'live_stream', 'rendition', 'device', 'os', 'browser', 'country'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface OverviewQuery {
  from?: string;
  to?: string;
  asset_id?: string;
  live_stream_id?: string;
  group_by?: GroupBy;
}

export interface Overview {
  from: string;
  to: string;
  interval: 'hour' | 'day';
  totals: Metrics;
  series: ({ time: string } & Metrics)[];
  histograms: Record<'startup_ms' | 'score' | 'rebuffer_percentage', { bounds: number[]; counts: number[] }>;
  groups: ({ key: string; label: string } & Metrics)[];
  worst_assets: { asset_id: string; title: string | null; views: number; score: number }[];
  concurrency: { time: string; viewers: number }[];
}

/** What the overview needs of other features: titles, through their services. */
export interface TitleSource {
  /** Titles by id (null: untitled); ids that are gone may be left out. */
  titles(ids: string[]): Promise<Map<string, string | null>>;
}

const HOURLY_SERIES_MAX_MS = 72 * HOUR_MS;
const DEFAULT_SPAN_MS = 24 * HOUR_MS;
const MAX_SPAN_MONTHS = 13;
const WORST_ASSETS = 10;
const WORST_ASSETS_MIN_VIEWS = 5;

const validation = (message: string) => new AppError('FH_ERR_VALIDATION', message);
const iso = (ms: number) => new Date(ms).toISOString();

/** The range an overview covers, and how finely. */
export interface ResolvedRange {
  /** Epoch ms, a whole hour (interval `hour`) or UTC day (`day`). */
  from: number;
  to: number;
  interval: Granularity;
}

/**
 * The query's range in whole units of the series: up to 72 h, hours (`from` rounded down, `to`
 * up); beyond, UTC days likewise, read from the daily rollups (a day is then one row, not 24).
 */
export function resolveRange(query: Pick<OverviewQuery, 'from' | 'to'>, now: number): ResolvedRange {
  const parse = (value: string, name: string) => {
    const ms = Date.parse(value);
    if (!Number.isFinite(ms)) throw validation(`${name} is not an ISO-8601 time.`);
    return ms;
  };
  const to = query.to !== undefined ? parse(query.to, 'to') : now;
  const from = query.from !== undefined ? parse(query.from, 'from') : to - DEFAULT_SPAN_MS;
  if (from >= to) throw validation('from must be before to.');
  const earliest = new Date(to);
  earliest.setUTCMonth(earliest.getUTCMonth() - MAX_SPAN_MONTHS);
  if (from < earliest.getTime()) throw validation(`from and to are at most ${MAX_SPAN_MONTHS} months apart.`);
  if (to - from <= HOURLY_SERIES_MAX_MS)
    return { from: hourOf(from), to: hourOf(to - 1) + HOUR_MS, interval: 'hour' };
  return { from: dayOf(from), to: dayOf(to - 1) + DAY_MS, interval: 'day' };
}

/**
 * `GET /v1/qoe/overview`: closed views from the hourly rollups plus the views still open, added
 * up on the fly with the same code that rolls them up when they close. Both are read in one
 * snapshot, and closing moves views from one side to the other in one transaction: each view
 * counts exactly once. Only the open views are read row by row, and they are few (a view closes
 * FRAMEHOUSE_QOE_VIEW_TIMEOUT_MS after its last report).
 */
export class QoeOverviewService {
  readonly #db: Db;
  readonly #assets: TitleSource;
  readonly #streams: TitleSource;

  constructor(deps: { db: Db; assets: TitleSource; streams: TitleSource }) {
    this.#db = deps.db;
    this.#assets = deps.assets;
    this.#streams = deps.streams;
  }

  async overview(query: OverviewQuery, now = Date.now()): Promise<Overview> {
    if (query.asset_id !== undefined && query.live_stream_id !== undefined)
      throw validation('Give asset_id or live_stream_id, not both.');
    const filtered = query.asset_id !== undefined || query.live_stream_id !== undefined;
    if (filtered && (query.group_by === 'asset' || query.group_by === 'live_stream'))
      throw validation(
        `group_by=${query.group_by} reads across assets and live streams: leave out asset_id and live_stream_id.`,
      );
    const range = resolveRange(query, now);
    const [scope, scopeId]: [RollupScope, string] =
      query.asset_id !== undefined
        ? ['asset', query.asset_id]
        : query.live_stream_id !== undefined
          ? ['live', query.live_stream_id]
          : ['all', ''];
    const groupDimension = breakdownOf(query.group_by);
    const byScope = query.group_by === 'asset' ? 'asset' : query.group_by === 'live_stream' ? 'live' : null;
    const worstOn = scope !== 'live';

    const g = range.interval;
    const read = await inReadSnapshot(this.#db, async (db) => ({
      totals: await totalRows(db, g, scope, scopeId, range),
      open: await openViews(db, range, { assetId: query.asset_id, liveStreamId: query.live_stream_id }),
      groups: groupDimension
        ? await groupRows(db, g, { scope, scopeId, dimension: groupDimension }, range)
        : byScope
          ? await groupRows(db, g, { scope: byScope, byScopeId: true }, range)
          : [],
      worst: worstOn ? await assetScoreRows(db, g, range, query.asset_id) : [],
      minutes:
        query.live_stream_id !== undefined ? await liveMinuteRows(db, query.live_stream_id, range) : [],
      openLive:
        query.live_stream_id !== undefined ? await openLiveViewsDuring(db, query.live_stream_id, range) : [],
    }));

    // The open views' deltas, only where the overview reads.
    const open = [
      ...rollupDeltas(read.open, (s, id, dim) => {
        if (s === scope && id === scopeId && (dim === 'total' || dim === groupDimension)) return true;
        if (dim !== 'total') return false;
        return s === byScope || (s === 'asset' && worstOn && (scope === 'all' || id === scopeId));
      }).values(),
    ];
    const { buckets, totals } = seriesOf(
      range,
      read.totals,
      open.filter((d) => isAt(d, scope, 'total') && d.key.scope_id === scopeId),
    );

    let groups: Overview['groups'] = [];
    if (groupDimension) {
      const ofGroups = open.filter((d) => isAt(d, scope, groupDimension) && d.key.scope_id === scopeId);
      groups = groupsOf(read.groups, ofGroups, (d) => d.key.value, null);
    } else if (byScope) {
      const ofGroups = open.filter((d) => isAt(d, byScope, 'total'));
      const keys = new Set([...read.groups.map((g) => g.key), ...ofGroups.map((d) => d.key.scope_id)]);
      const labels = await this.#titles(byScope === 'asset' ? this.#assets : this.#streams, [...keys]);
      groups = groupsOf(read.groups, ofGroups, (d) => d.key.scope_id, labels);
    }

    const worst = worstOf(read.worst, worstOn ? open.filter((d) => isAt(d, 'asset', 'total')) : []);
    const worstTitles = await this.#titles(
      this.#assets,
      worst.map((w) => w.asset_id),
    );

    return {
      from: iso(range.from),
      to: iso(range.to),
      interval: range.interval,
      totals: metricsOf(totals),
      series: [...buckets.entries()].map(([time, t]) => ({ time: iso(time), ...metricsOf(t) })),
      histograms: {
        startup_ms: { bounds: [...STARTUP_MS.bounds], counts: totals.startup_hist },
        score: { bounds: [...SCORE.bounds], counts: totals.score_hist },
        rebuffer_percentage: { bounds: [...REBUFFER_PERCENTAGE.bounds], counts: totals.rebuffer_hist },
      },
      groups,
      worst_assets: worst.map((w) => ({ ...w, title: worstTitles.get(w.asset_id) ?? null })),
      concurrency: concurrencyOf(read.minutes, read.openLive, range),
    };
  }

  /** Titles of assets or live streams (those gone since have none). */
  #titles(source: TitleSource, ids: string[]): Promise<Map<string, string | null>> {
    return ids.length === 0 ? Promise.resolve(new Map()) : source.titles(ids);
  }
}

const isAt = (d: RollupDelta, scope: RollupScope, dimension: RollupDimension) =>
  d.key.scope === scope && d.key.dimension === dimension;

/** Totals and one point per hour or day of the range, closed rows and open views' (hourly) deltas alike. */
function seriesOf(
  range: ResolvedRange,
  rows: TotalRow[],
  open: RollupDelta[],
): { buckets: Map<number, Tally>; totals: Tally } {
  const step = range.interval === 'hour' ? HOUR_MS : DAY_MS;
  const bucketOf = range.interval === 'hour' ? hourOf : dayOf;
  const buckets = new Map<number, Tally>();
  for (let t = range.from; t < range.to; t += step) buckets.set(t, emptyTally());
  const addAt = (time: number, tally: Tally) => {
    const bucket = buckets.get(bucketOf(time));
    if (bucket) addTally(bucket, tally);
  };
  for (const row of rows) addAt(Number(row.bucket), tallyOfRow(row));
  for (const d of open) addAt(d.key.bucket, d.tally);
  const totals = emptyTally();
  for (const t of buckets.values()) addTally(totals, t);
  return { buckets, totals };
}

/** Groups (closed, as the database added them up, plus open views), most views first. */
function groupsOf(
  rows: GroupRow[],
  open: RollupDelta[],
  keyOf: (d: RollupDelta) => string,
  labels: Map<string, string | null> | null,
): Overview['groups'] {
  const byKey = new Map<string, Tally>();
  for (const row of rows) byKey.set(row.key, tallyOfGroup(row));
  for (const d of open) {
    const key = keyOf(d);
    const existing = byKey.get(key);
    if (existing) addTally(existing, d.tally);
    else byKey.set(key, cloneTally(d.tally));
  }
  return [...byKey.entries()]
    .sort(([ka, a], [kb, b]) => b.views - a.views || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .map(([key, t]) => ({ key, label: labels?.get(key) ?? key, ...metricsOf(t) }));
}

/** The ten lowest mean scores among assets with five views or more. */
function worstOf(
  rows: { asset_id: string; views: number; scored_views: number; score_sum: number }[],
  open: RollupDelta[],
): { asset_id: string; views: number; score: number }[] {
  const perAsset = new Map<string, { views: number; scored: number; sum: number }>();
  for (const r of rows)
    perAsset.set(r.asset_id, { views: r.views, scored: r.scored_views, sum: r.score_sum });
  for (const d of open) {
    const a = perAsset.get(d.key.scope_id) ?? { views: 0, scored: 0, sum: 0 };
    a.views += d.tally.views;
    a.scored += d.tally.scored_views;
    a.sum += d.tally.score_sum;
    perAsset.set(d.key.scope_id, a);
  }
  return [...perAsset.entries()]
    .filter(([, a]) => a.views >= WORST_ASSETS_MIN_VIEWS && a.scored > 0)
    .map(([asset_id, a]) => ({ asset_id, views: a.views, score: a.sum / a.scored }))
    .sort((a, b) => a.score - b.score || b.views - a.views || (a.asset_id < b.asset_id ? -1 : 1))
    .slice(0, WORST_ASSETS);
}

/** Viewers per minute: closed views' minutes, plus the open ones'. Minutes without viewers are left out. */
function concurrencyOf(
  closed: { minute: number; viewers: number }[],
  open: Pick<RollupView, 'live_stream_id' | 'started_at' | 'last_report_at'>[],
  range: ResolvedRange,
): Overview['concurrency'] {
  const viewers = new Map<number, number>();
  for (const m of closed) viewers.set(Number(m.minute), Number(m.viewers));
  for (const m of liveMinuteDeltas(open, range).values())
    viewers.set(m.minute, (viewers.get(m.minute) ?? 0) + m.viewers);
  return [...viewers.entries()]
    .sort(([a], [b]) => a - b)
    .map(([minute, n]) => ({ time: iso(minute), viewers: n }));
}

function breakdownOf(groupBy: GroupBy | undefined): RollupDimension | null {
  if (groupBy === undefined || groupBy === 'asset' || groupBy === 'live_stream') return null;
  return groupBy;
}

/** A group as the database added it up (only the startup histogram: the groups need no other). */
function tallyOfGroup(row: GroupRow): Tally {
  const t = emptyTally();
  for (const k of STORED_SUMS) t[k] = row[k];
  addConcatenatedCounts(t.startup_hist, row.startup_hists);
  return t;
}
