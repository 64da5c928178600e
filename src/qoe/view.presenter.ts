import { type PlayedRendition, playedRenditions, renditionValue } from './rollup-delta.ts';
import type { ViewEventRow, ViewRow } from './view-reads.repo.ts';

/** A view as the API shows it (docs/qoe.md, `View`). */
export interface ViewJson {
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
  /** The last report. */
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
  renditions: PlayedRendition[];
  score: number | null;
  scores: {
    success: number | null;
    startup: number | null;
    smoothness: number | null;
    quality: number | null;
  };
}

export interface TimelineEntry {
  time: string;
  event: string;
  state: string | null;
  data: Record<string, unknown>;
}

export interface StateInterval {
  state: string;
  from: string;
  to: string;
  rendition: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

export function presentView(v: ViewRow): ViewJson {
  return {
    id: v.id,
    playback_id: v.playback_id,
    asset_id: v.asset_id,
    live_stream_id: v.live_stream_id,
    stream_type: v.stream_type,
    device_type: v.device_type,
    os: v.os,
    browser: v.browser,
    country: v.country,
    started_at: iso(v.started_at),
    ended_at: iso(v.last_report_at),
    closed: v.closed_at !== null,
    startup_ms: v.startup_ms,
    exited_before_start: v.exited_before_start === 1,
    failed: v.failed === 1,
    error_code: v.error_code,
    rebuffer_count: v.rebuffer_count,
    rebuffer_ms: v.rebuffer_ms,
    rebuffer_percentage: ratio(v.rebuffer_ms, v.watch_ms),
    watch_time_seconds: v.watch_ms / 1000,
    playing_time_seconds: v.playing_ms / 1000,
    switches: v.switches,
    average_bitrate_kbps: v.avg_bitrate_kbps,
    upscale_percentage: ratio(v.upscaled_ms, v.playing_ms),
    max_upscale: v.max_upscale,
    dropped_frames: v.dropped_frames,
    renditions: playedRenditions(v.renditions),
    score: v.score,
    scores: {
      success: v.success_score,
      startup: v.startup_score,
      smoothness: v.smoothness_score,
      quality: v.quality_score,
    },
  };
}

function parseData(json: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(json) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * Report times are the player's clock; the view's times are the server's. The first report
 * happened at `started_at` (docs/qoe.md, "What a view is"), so every report is moved by
 * `started_at − (the earliest ts)`: the intervals stay the player's, the position the server's.
 */
export function serverOffset(view: Pick<ViewRow, 'started_at'>, events: Pick<ViewEventRow, 'ts'>[]): number {
  if (events.length === 0) return 0;
  let first = Number(events[0]?.ts);
  for (const e of events) first = Math.min(first, Number(e.ts));
  return view.started_at - first;
}

export function presentTimeline(view: Pick<ViewRow, 'started_at'>, events: ViewEventRow[]): TimelineEntry[] {
  const offset = serverOffset(view, events);
  return events.map((e) => ({
    time: iso(Number(e.ts) + offset),
    event: e.event,
    state: e.state,
    data: parseData(e.data),
  }));
}

/** The rendition a reported bitrate (kbps) stands for: the view's rendition of nearest bitrate. */
function renditionFor(br: number, played: PlayedRendition[]): string {
  let best: PlayedRendition | null = null;
  for (const r of played) {
    if (r.bitrate_kbps === null) continue;
    if (!best || Math.abs(r.bitrate_kbps - br) < Math.abs((best.bitrate_kbps as number) - br)) best = r;
  }
  return best ? renditionValue(best) : `${Math.round(br)} kbps`;
}

/**
 * The intervals the timeline chart draws: one per play state (`ps` events' `sta`), split where
 * the bitrate changes (any report carrying `br`, `bc` events among them), each with the
 * rendition then current. The last one ends at the view's last report.
 */
export function stateIntervals(
  view: Pick<ViewRow, 'started_at' | 'last_report_at' | 'renditions'>,
  events: ViewEventRow[],
): StateInterval[] {
  const offset = serverOffset(view, events);
  const played = playedRenditions(view.renditions);
  const out: { state: string; from: number; to: number; rendition: string | null }[] = [];
  let state: string | null = null;
  let rendition: string | null = null;
  let since = 0;
  const close = (at: number) => {
    if (state !== null && at > since) out.push({ state, from: since, to: at, rendition });
  };
  for (const e of events) {
    const at = Number(e.ts) + offset;
    const data = parseData(e.data);
    const nextState: string | null = e.event === 'ps' && e.state ? e.state : state;
    const nextRendition: string | null =
      typeof data.br === 'number' ? renditionFor(data.br, played) : rendition;
    if (nextState !== state || nextRendition !== rendition) {
      close(at);
      state = nextState;
      rendition = nextRendition;
      since = at;
    }
  }
  close(Math.max(view.last_report_at, since));
  // Adjacent pieces of the same state and rendition (a split that changed nothing) join.
  const joined: typeof out = [];
  for (const i of out) {
    const last = joined.at(-1);
    if (last && last.to === i.from && last.state === i.state && last.rendition === i.rendition)
      last.to = i.to;
    else joined.push({ ...i });
  }
  return joined.map((i) => ({ state: i.state, from: iso(i.from), to: iso(i.to), rendition: i.rendition }));
}
