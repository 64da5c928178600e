/**
 * The viewer analytics API as the browser app reads it (docs/qoe.md, "Reading"), and how its
 * numbers are written for people. Shared by the asset page's panel (in the main bundle: no chart
 * library here) and the analytics pages (loaded on demand).
 */

export interface Scores {
  success: number | null;
  startup: number | null;
  smoothness: number | null;
  quality: number | null;
}

export interface Metrics {
  views: number;
  open_views: number;
  failed: number;
  failure_rate: number | null;
  exits_before_start: number;
  exit_before_start_rate: number | null;
  startup_ms: { median: number | null; p95: number | null; mean: number | null };
  rebuffer_percentage: number | null;
  rebuffer_frequency: number | null;
  rebuffered_view_rate: number | null;
  watch_time_seconds: number;
  playing_time_seconds: number;
  average_bitrate_kbps: number | null;
  switches_per_view: number | null;
  upscale_percentage: number | null;
  dropped_frames: number;
  score: number | null;
  scores: Scores;
}

export interface Histogram {
  bounds: number[];
  counts: number[];
}

export interface Overview {
  from: string;
  to: string;
  interval: 'hour' | 'day';
  totals: Metrics;
  series: Array<Metrics & { time: string }>;
  histograms: { startup_ms: Histogram; score: Histogram; rebuffer_percentage: Histogram };
  groups?: Array<Metrics & { key: string; label: string }>;
  worst_assets?: Array<{ asset_id: string; title: string | null; views: number; score: number | null }>;
  concurrency?: Array<{ time: string; viewers: number }>;
}

export interface ViewRendition {
  rendition: string | null;
  bitrate_kbps?: number | null;
  height?: number | null;
  playing_ms?: number;
  rebuffer_count?: number;
  rebuffer_ms?: number;
  upscaled_ms?: number;
}

export interface View {
  id: string;
  playback_id: string;
  asset_id: string | null;
  live_stream_id: string | null;
  stream_type: string;
  device_type: string;
  os: string;
  browser: string;
  country: string;
  started_at: string;
  ended_at: string;
  closed: boolean;
  startup_ms: number | null;
  exited_before_start: boolean;
  failed: boolean;
  error_code: string | null;
  rebuffer_count: number;
  rebuffer_ms: number;
  rebuffer_percentage: number | null;
  watch_time_seconds: number;
  playing_time_seconds: number;
  switches: number;
  average_bitrate_kbps: number | null;
  upscale_percentage: number | null;
  max_upscale: number | null;
  dropped_frames: number;
  renditions: ViewRendition[];
  score: number | null;
  scores: Scores;
}

export interface TimelineEntry {
  time: string;
  event: string;
  state: string | null;
  data: Record<string, unknown> | null;
}

export interface ViewDetail extends View {
  timeline: TimelineEntry[];
  states: Array<{ state: string; from: string; to: string; rendition: string | null }>;
}

export const RANGES = { '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days' } as const;
export type Range = keyof typeof RANGES;
const RANGE_MS: Record<Range, number> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export const isRange = (r: string | null): r is Range => r !== null && r in RANGES;

/** `from`/`to` of a range ending now, to the minute (a re-render does not change the query). */
export function rangeQuery(range: Range): URLSearchParams {
  const to = Math.ceil(Date.now() / 60_000) * 60_000;
  return new URLSearchParams({
    from: new Date(to - RANGE_MS[range]).toISOString(),
    to: new Date(to).toISOString(),
  });
}

const dash = '—';
export const fmtScore = (s: number | null | undefined) => (s == null ? dash : String(Math.round(s)));
export const fmtPercent = (r: number | null | undefined, digits = 1) =>
  r == null ? dash : `${(r * 100).toFixed(r > 0 && r < 0.001 ? 2 : digits)} %`;
export function fmtMs(ms: number | null | undefined): string {
  if (ms == null) return dash;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
export function fmtSeconds(s: number | null | undefined): string {
  if (s == null) return dash;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${(s / 3600).toFixed(1)} h`;
}
export const fmtCount = (n: number | null | undefined) => (n == null ? dash : n.toLocaleString());

/** A score's band: good (≥ 80), fair (≥ 50) or poor, for colour. */
export const scoreBand = (s: number | null | undefined) =>
  s == null ? 'none' : s >= 80 ? 'good' : s >= 50 ? 'fair' : 'poor';
