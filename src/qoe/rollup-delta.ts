import type { QoeHourlyTable, QoeViewRow } from '../db/schema.ts';
import { addValue, emptyCounts, mergeCounts, REBUFFER_PERCENTAGE, SCORE, STARTUP_MS } from './histograms.ts';

/**
 * From view rows to what they add to the hourly rollups (docs/qoe.md, "Rollups and retention").
 * Pure: the close job stores these deltas when views close, and the overview computes the same
 * deltas for the views still open, so a view counts the same whichever side it is on.
 */

export type RollupScope = QoeHourlyTable['scope'];
export type RollupDimension = QoeHourlyTable['dimension'];
export const ROLLUP_SCOPES: readonly RollupScope[] = ['all', 'asset', 'live'];
export const ROLLUP_DIMENSIONS: readonly RollupDimension[] = [
  'total',
  'rendition',
  'device',
  'os',
  'browser',
  'country',
];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const MINUTE_MS = 60_000;

/** The columns of a view the rollups read. */
export const ROLLUP_VIEW_COLUMNS = [
  'id',
  'asset_id',
  'live_stream_id',
  'device_type',
  'os',
  'browser',
  'country',
  'started_at',
  'last_report_at',
  'closed_at',
  'startup_ms',
  'exited_before_start',
  'failed',
  'rebuffer_count',
  'rebuffer_ms',
  'watch_ms',
  'playing_ms',
  'switches',
  'avg_bitrate_kbps',
  'upscaled_ms',
  'dropped_frames',
  'renditions',
  'score',
  'success_score',
  'startup_score',
  'smoothness_score',
  'quality_score',
] as const satisfies readonly (keyof QoeViewRow)[];

export type RollupView = Pick<QoeViewRow, (typeof ROLLUP_VIEW_COLUMNS)[number]>;

/** The sums a rollup row stores (qoe_hourly's columns besides its key and histograms). */
export const STORED_SUMS = [
  'views',
  'started_views',
  'failed',
  'exits_before_start',
  'startup_ms_sum',
  'watch_ms',
  'playing_ms',
  'rebuffer_count',
  'rebuffer_ms',
  'rebuffered_views',
  'switches',
  'bitrate_ms',
  'upscaled_ms',
  'dropped_frames',
  'scored_views',
  'score_sum',
  'success_score_sum',
  'startup_score_sum',
  'smoothness_score_sum',
  'quality_score_sum',
] as const satisfies readonly (keyof QoeHourlyTable)[];

export type StoredSum = (typeof STORED_SUMS)[number];

/**
 * Views added up: the stored sums, the views still open among them (never stored: a stored row
 * holds closed views only) and the three histograms' counts.
 */
export type Tally = Record<StoredSum, number> & {
  open_views: number;
  startup_hist: number[];
  score_hist: number[];
  rebuffer_hist: number[];
};

export interface RollupKey {
  /** Epoch ms of the hour (hourly rollups) or the UTC day (daily rollups) the views started in. */
  bucket: number;
  scope: RollupScope;
  /** '' for `all`. */
  scope_id: string;
  dimension: RollupDimension;
  /** '' for `total`. */
  value: string;
}

export interface RollupDelta {
  key: RollupKey;
  tally: Tally;
}

/** One rendition a view played, as the reducer stores it in `qoe_views.renditions`. */
export interface PlayedRendition {
  rendition: string | null;
  bitrate_kbps: number | null;
  height: number | null;
  playing_ms: number;
  rebuffer_count: number;
  rebuffer_ms: number;
  upscaled_ms: number;
}

/** A tally of nothing. (A literal, so every tally has the same shape: adding them is hot.) */
export function emptyTally(): Tally {
  return {
    views: 0,
    started_views: 0,
    failed: 0,
    exits_before_start: 0,
    startup_ms_sum: 0,
    watch_ms: 0,
    playing_ms: 0,
    rebuffer_count: 0,
    rebuffer_ms: 0,
    rebuffered_views: 0,
    switches: 0,
    bitrate_ms: 0,
    upscaled_ms: 0,
    dropped_frames: 0,
    scored_views: 0,
    score_sum: 0,
    success_score_sum: 0,
    startup_score_sum: 0,
    smoothness_score_sum: 0,
    quality_score_sum: 0,
    open_views: 0,
    startup_hist: emptyCounts(STARTUP_MS),
    score_hist: emptyCounts(SCORE),
    rebuffer_hist: emptyCounts(REBUFFER_PERCENTAGE),
  };
}

/** A copy that shares nothing with `t`. */
export function cloneTally(t: Tally): Tally {
  return addTally(emptyTally(), t);
}

/** Adds `from` into `into` (in place); returns `into`. */
export function addTally(into: Tally, from: Tally): Tally {
  into.views += from.views;
  into.started_views += from.started_views;
  into.failed += from.failed;
  into.exits_before_start += from.exits_before_start;
  into.startup_ms_sum += from.startup_ms_sum;
  into.watch_ms += from.watch_ms;
  into.playing_ms += from.playing_ms;
  into.rebuffer_count += from.rebuffer_count;
  into.rebuffer_ms += from.rebuffer_ms;
  into.rebuffered_views += from.rebuffered_views;
  into.switches += from.switches;
  into.bitrate_ms += from.bitrate_ms;
  into.upscaled_ms += from.upscaled_ms;
  into.dropped_frames += from.dropped_frames;
  into.scored_views += from.scored_views;
  into.score_sum += from.score_sum;
  into.success_score_sum += from.success_score_sum;
  into.startup_score_sum += from.startup_score_sum;
  into.smoothness_score_sum += from.smoothness_score_sum;
  into.quality_score_sum += from.quality_score_sum;
  into.open_views += from.open_views;
  mergeCounts(into.startup_hist, from.startup_hist);
  mergeCounts(into.score_hist, from.score_hist);
  mergeCounts(into.rebuffer_hist, from.rebuffer_hist);
  return into;
}

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** A key as one string, for maps. */
export function keyString(k: RollupKey): string {
  return `${k.bucket}\u001f${k.scope}\u001f${k.scope_id}\u001f${k.dimension}\u001f${k.value}`;
}

/** The renditions JSON of a view; entries that are not objects, or that played nothing, are left out. */
export function playedRenditions(json: string): PlayedRendition[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const out: PlayedRendition[] = [];
  for (const r of parsed) {
    if (typeof r !== 'object' || r === null) continue;
    const o = r as Record<string, unknown>;
    const played: PlayedRendition = {
      rendition: typeof o.rendition === 'string' ? o.rendition : null,
      bitrate_kbps: typeof o.bitrate_kbps === 'number' ? o.bitrate_kbps : null,
      height: typeof o.height === 'number' ? o.height : null,
      playing_ms: num(o.playing_ms),
      rebuffer_count: num(o.rebuffer_count),
      rebuffer_ms: num(o.rebuffer_ms),
      upscaled_ms: num(o.upscaled_ms),
    };
    if (played.playing_ms > 0 || played.rebuffer_ms > 0 || played.rebuffer_count > 0) out.push(played);
  }
  return out;
}

/** How a rendition is named in the rollups: its ladder name, else its bitrate. */
export function renditionValue(r: PlayedRendition): string {
  if (r.rendition) return r.rendition;
  return r.bitrate_kbps === null ? 'unknown' : `${Math.round(r.bitrate_kbps)} kbps`;
}

/** What one view adds to a `total` (device, os, browser, country) row. */
export function viewTally(v: RollupView): Tally {
  const t = emptyTally();
  const started = v.startup_ms !== null;
  t.views = 1;
  t.open_views = v.closed_at === null ? 1 : 0;
  t.failed = v.failed ? 1 : 0;
  t.exits_before_start = v.exited_before_start ? 1 : 0;
  t.watch_ms = v.watch_ms;
  t.playing_ms = v.playing_ms;
  t.rebuffer_count = v.rebuffer_count;
  t.rebuffer_ms = v.rebuffer_ms;
  t.rebuffered_views = v.rebuffer_count > 0 ? 1 : 0;
  t.switches = v.switches;
  t.bitrate_ms = (v.avg_bitrate_kbps ?? 0) * v.playing_ms;
  t.upscaled_ms = v.upscaled_ms;
  t.dropped_frames = v.dropped_frames;
  if (started) {
    t.started_views = 1;
    t.startup_ms_sum = v.startup_ms as number;
    addValue(STARTUP_MS, t.startup_hist, v.startup_ms as number);
    // The parts a view has once it started (docs/qoe.md, "Scores"); averaged over started views.
    t.startup_score_sum = v.startup_score ?? 0;
    t.smoothness_score_sum = v.smoothness_score ?? 0;
    t.quality_score_sum = v.quality_score ?? 0;
    // Stalls only count after the first frame: the rebuffering histogram is of started views.
    if (v.watch_ms > 0) addValue(REBUFFER_PERCENTAGE, t.rebuffer_hist, v.rebuffer_ms / v.watch_ms);
  }
  if (v.score !== null) {
    t.scored_views = 1;
    t.score_sum = v.score;
    t.success_score_sum = v.success_score ?? 0;
    addValue(SCORE, t.score_hist, v.score);
  }
  return t;
}

/**
 * What one view adds to the row of a rendition it played: the time, stalls and upscaling spent
 * there (watch time there is its playing plus rebuffering time); the per-view parts (startup,
 * failure, exit, switches, dropped frames, scores) whole, not split.
 */
export function renditionTally(whole: Tally, r: PlayedRendition): Tally {
  const t = cloneTally(whole);
  t.watch_ms = r.playing_ms + r.rebuffer_ms;
  t.playing_ms = r.playing_ms;
  t.rebuffer_count = r.rebuffer_count;
  t.rebuffer_ms = r.rebuffer_ms;
  t.rebuffered_views = r.rebuffer_count > 0 ? 1 : 0;
  t.bitrate_ms = (r.bitrate_kbps ?? 0) * r.playing_ms;
  t.upscaled_ms = r.upscaled_ms;
  t.rebuffer_hist = emptyCounts(REBUFFER_PERCENTAGE);
  if (whole.started_views > 0 && t.watch_ms > 0)
    addValue(REBUFFER_PERCENTAGE, t.rebuffer_hist, t.rebuffer_ms / t.watch_ms);
  return t;
}

/** The scopes a view counts in: `all`, its asset, its live stream. */
export function scopesOf(v: Pick<RollupView, 'asset_id' | 'live_stream_id'>): [RollupScope, string][] {
  const scopes: [RollupScope, string][] = [['all', '']];
  if (v.asset_id) scopes.push(['asset', v.asset_id]);
  if (v.live_stream_id) scopes.push(['live', v.live_stream_id]);
  return scopes;
}

/** Which (scope, dimension) pairs to compute; every pair when absent. */
export type RollupFilter = (scope: RollupScope, scopeId: string, dimension: RollupDimension) => boolean;

/**
 * The hourly rollup deltas of views, keyed by (hour, scope, scope_id, dimension, value): each
 * view once per scope in `total` and in each breakdown dimension, and once per rendition it played.
 */
export function rollupDeltas(views: Iterable<RollupView>, only?: RollupFilter): Map<string, RollupDelta> {
  const out = new Map<string, RollupDelta>();
  /** `owned`: the tally is a fresh object, kept as it is rather than copied. */
  const add = (key: RollupKey, tally: Tally, owned = false) => {
    const k = keyString(key);
    const existing = out.get(k);
    if (existing) addTally(existing.tally, tally);
    else out.set(k, { key, tally: owned ? tally : cloneTally(tally) });
  };
  for (const v of views) {
    const whole = viewTally(v);
    const hour = hourOf(v.started_at);
    let played: PlayedRendition[] | null = null;
    for (const [scope, scope_id] of scopesOf(v)) {
      const at = (dimension: RollupDimension, value: string) => {
        if (!only || only(scope, scope_id, dimension))
          add({ bucket: hour, scope, scope_id, dimension, value }, whole);
      };
      at('total', '');
      at('device', v.device_type);
      at('os', v.os);
      at('browser', v.browser);
      at('country', v.country);
      if (only && !only(scope, scope_id, 'rendition')) continue;
      played ??= playedRenditions(v.renditions);
      for (const r of played)
        add(
          { bucket: hour, scope, scope_id, dimension: 'rendition', value: renditionValue(r) },
          renditionTally(whole, r),
          true,
        );
    }
  }
  return out;
}

/**
 * Hourly deltas folded into daily ones (UTC days): the daily rollups are the hourly ones added
 * up, so the overview reads a day as one row instead of 24.
 */
export function dailyDeltas(hourly: Iterable<RollupDelta>): Map<string, RollupDelta> {
  const out = new Map<string, RollupDelta>();
  for (const { key, tally } of hourly) {
    const daily = { ...key, bucket: dayOf(key.bucket) };
    const k = keyString(daily);
    const existing = out.get(k);
    if (existing) addTally(existing.tally, tally);
    else out.set(k, { key: daily, tally: cloneTally(tally) });
  }
  return out;
}

/** Live concurrency: each minute from a live view's start to its last report, +1 per view. */
export function liveMinuteDeltas(
  views: Iterable<Pick<RollupView, 'live_stream_id' | 'started_at' | 'last_report_at'>>,
  range?: { from: number; to: number },
): Map<string, { live_stream_id: string; minute: number; viewers: number }> {
  const out = new Map<string, { live_stream_id: string; minute: number; viewers: number }>();
  for (const v of views) {
    if (!v.live_stream_id) continue;
    let first = minuteOf(v.started_at);
    let last = minuteOf(Math.max(v.started_at, v.last_report_at));
    if (range) {
      first = Math.max(first, minuteOf(range.from));
      last = Math.min(last, range.to - 1);
    }
    for (let m = first; m <= last; m += MINUTE_MS) {
      const k = `${v.live_stream_id}\u001f${m}`;
      const existing = out.get(k);
      if (existing) existing.viewers += 1;
      else out.set(k, { live_stream_id: v.live_stream_id, minute: m, viewers: 1 });
    }
  }
  return out;
}
