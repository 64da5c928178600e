/**
 * The viewer analytics API as the browser app reads it (docs/qoe.md, "Reading"), and how its
 * numbers are written for people. Shared by the asset page's panel (in the main bundle: no chart
 * library here) and the analytics pages (loaded on demand).
 */

import { formatBitrate, formatNumber, formatPercent, formatRegion, formatSpan } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';

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

export const RANGES = ['24h', '7d', '30d'] as const;
export type Range = (typeof RANGES)[number];
const RANGE_MS: Record<Range, number> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };
/** A range as the period picker names it. */
export const rangeLabel = (r: Range) =>
  r === '24h' ? m.analytics_range_24h() : r === '7d' ? m.analytics_range_7d() : m.analytics_range_30d();

export const isRange = (r: string | null): r is Range =>
  r !== null && (RANGES as readonly string[]).includes(r);

/** `from`/`to` of a range ending now, to the minute (a re-render does not change the query). */
export function rangeQuery(range: Range): URLSearchParams {
  const to = Math.ceil(Date.now() / 60_000) * 60_000;
  return new URLSearchParams({
    from: new Date(to - RANGE_MS[range]).toISOString(),
    to: new Date(to).toISOString(),
  });
}

// How the numbers read, in the reader's language (web/src/i18n/format.ts): "1,234", "12.5%",
// "850 ms" / "850ms", "1.25 sec" / "1.25초", "3 min, 5 sec" / "3분 5초".
const dash = '—';
const unit = (n: number, u: string, maximumFractionDigits = 0) =>
  formatNumber(n, { style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits });
export const fmtScore = (s: number | null | undefined) => (s == null ? dash : formatNumber(Math.round(s)));
export const fmtPercent = (r: number | null | undefined, digits = 1) =>
  r == null ? dash : formatPercent(r, r > 0 && r < 0.001 ? 2 : digits);
export function fmtMs(ms: number | null | undefined): string {
  if (ms == null) return dash;
  return ms < 1000 ? unit(Math.round(ms), 'millisecond') : unit(ms / 1000, 'second', ms < 10_000 ? 2 : 1);
}
export function fmtSeconds(s: number | null | undefined): string {
  if (s == null) return dash;
  return s < 3600 ? formatSpan(s) : unit(s / 3600, 'hour', 1);
}
export const fmtCount = (n: number | null | undefined) => (n == null ? dash : formatNumber(n));
/** A bitrate given in kb/s: "850 kb/s", "2.4 Mb/s". */
export const fmtKbps = (kbps: number | null | undefined) =>
  kbps == null ? dash : formatBitrate(kbps * 1000);

/** A score's band: good (≥ 80), fair (≥ 50) or poor, for colour. */
export const scoreBand = (s: number | null | undefined) =>
  s == null ? 'none' : s >= 80 ? 'good' : s >= 50 ? 'fair' : 'poor';

// What the API names with tokens (src/qoe/client-class.ts, country.ts, rollup-delta.ts), as people
// read them. Operating systems and browsers are proper names, except the catch-all "Other".
const DEVICES: Record<string, () => string> = {
  desktop: m.analytics_device_desktop,
  mobile: m.analytics_device_mobile,
  tablet: m.analytics_device_tablet,
  tv: m.analytics_device_tv,
  other: m.analytics_other,
};
export const deviceName = (type: string) => DEVICES[type]?.() ?? type;
// i18n-ignore: the API's token for the catch-all operating system or browser
const OTHER = 'Other';
export const clientName = (name: string) => (name === OTHER ? m.analytics_other() : name);
/** ISO 3166 code → the country's name in the reader's language; `ZZ` (unknown) → "Unknown". */
export function countryName(code: string): string {
  if (code === 'ZZ') return m.analytics_unknown();
  return formatRegion(code);
}
// i18n-ignore: the API's token for a rendition it knows nothing of
const UNKNOWN_RENDITION = 'unknown';
/** A rendition: its ladder name, else its bitrate (the API's "850 kbps", read again), else unknown. */
export function renditionName(r: string | null | undefined): string {
  if (r == null || r === UNKNOWN_RENDITION) return m.analytics_unknown();
  const kbps = /^(\d+) kbps$/.exec(r);
  return kbps ? fmtKbps(Number(kbps[1])) : r;
}
/** A view's viewer in one line: device · OS · browser · country. */
export const viewerOf = (v: Pick<View, 'device_type' | 'os' | 'browser' | 'country'>) =>
  [deviceName(v.device_type), clientName(v.os), clientName(v.browser), countryName(v.country)].join(' · ');
