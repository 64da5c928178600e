import type { CmcdStreamType, PlayState, ViewReport } from './report.ts';
import { viewScores } from './scores.ts';

/**
 * One view's metrics from its reports (docs/qoe.md, "What a view is"). Pure: the state is plain
 * JSON (stored in `qoe_views.state`, so the next report continues from it) and every function
 * returns a new one. Reports are applied in (ts, sn) order; the writer replays a view's whole
 * timeline through `newViewState` when a report arrives older than the last one applied
 * (`needsReplay`).
 *
 * Time is sliced at every report: the span since the previous report is added to the totals of
 * the state, bitrate and picture fit that held during it. So an interval lasts until the next
 * state change, or, while it is still open, until the view's last report.
 */

/** A rendition of the content, as a player sees it in the master playlist. */
export interface LadderRung {
  name: string;
  /** EXT-X-STREAM-INF BANDWIDTH (bits/s): what hls.js reports as `br` (in kbps). */
  bandwidth: number;
  height: number | null;
}

/** Time and stalls spent in one rendition. */
export interface RenditionTally {
  rendition: string;
  bitrate_kbps: number;
  height: number | null;
  playing_ms: number;
  rebuffer_count: number;
  rebuffer_ms: number;
  upscaled_ms: number;
}

export interface ViewState {
  version: 1;
  /** Server clock − player clock (ms), fixed when the view was made: maps `ts` to our time. */
  offset: number;
  reports: number;
  firstTs: number | null;
  lastTs: number | null;
  lastSn: number;
  streamType: 'vod' | 'live' | 'll';
  sta: PlayState | null;
  /** The play request: the first `s` (or the first `p` when no `s` came). */
  playRequestedAt: number | null;
  firstFrameAt: number | null;
  /** CMCD `msd` (media start delay), the first one sent. */
  msd: number | null;
  failed: boolean;
  errorCode: string | null;
  /** A `k` came since the last `p`: buffering now is the seek's, not a stall. */
  seeking: boolean;
  /** The current `r` is a counted stall. */
  stalling: boolean;
  /** The page said it is closing (beacon `exit`). */
  exited: boolean;
  /** The current bitrate (kbps) and the rendition it matched. */
  br: number | null;
  rendition: string | null;
  /** The last beacon's fit factor: min(player_w / video_w, player_h / video_h). */
  fit: number | null;
  maxUpscale: number | null;
  droppedFrames: number;
  watchMs: number;
  playingMs: number;
  rebufferCount: number;
  rebufferMs: number;
  switches: number;
  /** Σ br × playing ms, over the playing time whose bitrate is known (`bitrateMs`). */
  bitrateTimesMs: number;
  bitrateMs: number;
  upscaledMs: number;
  renditions: Record<string, RenditionTally>;
}

/** The metric columns of `qoe_views` (docs/qoe.md's table). */
export interface ViewSummary {
  stream_type: 'vod' | 'live' | 'll';
  startup_ms: number | null;
  exited_before_start: number;
  failed: number;
  error_code: string | null;
  rebuffer_count: number;
  rebuffer_ms: number;
  watch_ms: number;
  playing_ms: number;
  switches: number;
  avg_bitrate_kbps: number | null;
  upscaled_ms: number;
  max_upscale: number | null;
  dropped_frames: number;
  renditions: string;
  score: number | null;
  success_score: number | null;
  startup_score: number | null;
  smoothness_score: number | null;
  quality_score: number | null;
}

/** Above this fit factor the picture counts as upscaled (a few percent is not visible). */
export const UPSCALE_THRESHOLD = 1.05;
/** The startup column is an integer: a longer `msd` than this is kept as this. */
const MAX_STARTUP_MS = 2_147_483_647;
/**
 * The most one span between two reports may add (3× CMCD's default 30 s interval; hls.js reports
 * every 10 s). A device that slept, or a hostile pair of reports 48 h apart, would otherwise add
 * the whole gap as watching.
 */
export const MAX_SLICE_MS = 90_000;
/** Renditions a view keeps apart; bitrates beyond them (content with no known ladder) share "other". */
const MAX_RENDITIONS = 16;

const WATCHING: ReadonlySet<PlayState> = new Set(['s', 'p', 'r', 'k']);
const STREAM_TYPES: Record<CmcdStreamType, ViewState['streamType']> = { v: 'vod', l: 'live', ll: 'll' };

export function newViewState(offset: number): ViewState {
  return {
    version: 1,
    offset,
    reports: 0,
    firstTs: null,
    lastTs: null,
    lastSn: 0,
    streamType: 'vod',
    sta: null,
    playRequestedAt: null,
    firstFrameAt: null,
    msd: null,
    failed: false,
    errorCode: null,
    seeking: false,
    stalling: false,
    exited: false,
    br: null,
    rendition: null,
    fit: null,
    maxUpscale: null,
    droppedFrames: 0,
    watchMs: 0,
    playingMs: 0,
    rebufferCount: 0,
    rebufferMs: 0,
    switches: 0,
    bitrateTimesMs: 0,
    bitrateMs: 0,
    upscaledMs: 0,
    renditions: {},
  };
}

/** The order reports are applied in: (ts, sn), then the event name so a replay is deterministic. */
export function compareReports(a: ViewReport, b: ViewReport): number {
  return a.ts - b.ts || a.sn - b.sn || (a.event < b.event ? -1 : a.event > b.event ? 1 : 0);
}

/** Whether some of `reports` are older than what the state applied: the view must be recomputed. */
export function needsReplay(state: ViewState, reports: readonly ViewReport[]): boolean {
  if (state.lastTs === null) return false;
  const lastTs = state.lastTs;
  return reports.some((r) => r.ts < lastTs || (r.ts === lastTs && r.sn < state.lastSn));
}

/**
 * The state after `reports` (sorted here; all newer than what the state applied, see
 * needsReplay). `ladder`: the content's renditions, which reported bitrates are matched to.
 */
export function applyReports(
  state: ViewState,
  reports: readonly ViewReport[],
  ladder: readonly LadderRung[],
): ViewState {
  const next: ViewState = structuredClone(state);
  for (const report of [...reports].sort(compareReports)) apply(next, report, ladder);
  return next;
}

function apply(s: ViewState, r: ViewReport, ladder: readonly LadderRung[]): void {
  if (s.lastTs !== null && r.ts > s.lastTs) accrue(s, Math.min(r.ts - s.lastTs, MAX_SLICE_MS));
  s.lastTs = s.lastTs === null ? r.ts : Math.max(s.lastTs, r.ts);
  s.lastSn = r.sn;
  s.firstTs = s.firstTs === null ? r.ts : Math.min(s.firstTs, r.ts);
  s.reports++;
  const d = r.data;
  if (d.st) s.streamType = STREAM_TYPES[d.st];
  if (d.msd !== undefined && s.msd === null) s.msd = Math.min(MAX_STARTUP_MS, Math.round(d.msd));
  if (d.br !== undefined && d.br > 0 && d.br !== s.br) {
    if (s.br !== null && s.firstFrameAt !== null) s.switches++;
    s.br = d.br;
    s.rendition = tallyFor(s, ladder, d.br).rendition;
  }
  if (r.event === 'e') {
    s.failed = true;
    s.errorCode ??= d.ec ?? null;
  } else if (d.ec !== undefined && s.failed) s.errorCode ??= d.ec;
  if (d.dropped_frames !== undefined) s.droppedFrames = Math.max(s.droppedFrames, d.dropped_frames);
  if (d.video_width !== undefined || d.player_width !== undefined) s.fit = fitFactor(d);
  if (s.fit !== null) s.maxUpscale = Math.max(s.maxUpscale ?? 0, s.fit);
  if (d.exit) s.exited = true;
  if (r.state !== null && r.state !== s.sta) enter(s, r.state, r.ts);
}

/** Adds `ms` spent in the current state, bitrate and fit to the totals. */
function accrue(s: ViewState, ms: number): void {
  if (s.sta === null || !WATCHING.has(s.sta)) return;
  s.watchMs += ms;
  const tally = s.rendition === null ? undefined : s.renditions[s.rendition];
  if (s.sta === 'p') {
    s.playingMs += ms;
    if (s.br !== null) {
      s.bitrateTimesMs += s.br * ms;
      s.bitrateMs += ms;
    }
    const upscaled = s.fit !== null && s.fit > UPSCALE_THRESHOLD;
    if (upscaled) s.upscaledMs += ms;
    if (tally) {
      tally.playing_ms += ms;
      if (upscaled) tally.upscaled_ms += ms;
    }
  } else if (s.sta === 'r' && s.stalling) {
    s.rebufferMs += ms;
    if (tally) tally.rebuffer_ms += ms;
  }
}

function enter(s: ViewState, sta: PlayState, ts: number): void {
  if (sta === 's') s.playRequestedAt ??= ts;
  if (sta === 'p') {
    s.playRequestedAt ??= ts;
    s.firstFrameAt ??= ts;
    s.seeking = false;
  }
  if (sta === 'k') s.seeking = true;
  // A stall: buffering after the first frame, unless a seek caused it.
  s.stalling = sta === 'r' && s.firstFrameAt !== null && !s.seeking;
  if (s.stalling) {
    s.rebufferCount++;
    const tally = s.rendition === null ? undefined : s.renditions[s.rendition];
    if (tally) tally.rebuffer_count++;
  }
  if (sta === 'f') s.failed = true;
  s.sta = sta;
}

/** The rendition a bitrate belongs to: the one whose bandwidth is nearest (a tally made on first use). */
function tallyFor(s: ViewState, ladder: readonly LadderRung[], brKbps: number): RenditionTally {
  let rung: LadderRung | undefined;
  for (const candidate of ladder) {
    if (!rung || Math.abs(candidate.bandwidth / 1000 - brKbps) < Math.abs(rung.bandwidth / 1000 - brKbps))
      rung = candidate;
  }
  // Content whose ladder is not known (yet): the bitrate names the rendition.
  let name = rung?.name ?? `${Math.round(brKbps)}k`;
  if (!(name in s.renditions) && Object.keys(s.renditions).length >= MAX_RENDITIONS) name = 'other';
  const known = s.renditions[name];
  if (known) return known;
  const tally: RenditionTally = {
    rendition: name,
    bitrate_kbps: rung ? Math.round(rung.bandwidth / 1000) : Math.round(brKbps),
    height: rung?.height ?? null,
    playing_ms: 0,
    rebuffer_count: 0,
    rebuffer_ms: 0,
    upscaled_ms: 0,
  };
  s.renditions[name] = tally;
  return tally;
}

function fitFactor(d: {
  video_width?: number;
  video_height?: number;
  player_width?: number;
  player_height?: number;
}): number | null {
  const { video_width: vw, video_height: vh, player_width: pw, player_height: ph } = d;
  if (!vw || !vh || !pw || !ph) return null;
  return Math.min(pw / vw, ph / vh);
}

/** Whether the first frame was shown (a `p`, or an `msd` the player sent once it was). */
export function hasStarted(s: ViewState): boolean {
  return s.firstFrameAt !== null || s.msd !== null;
}

/** The view's metric columns; `closed`: the view is over (exit before start is decided then). */
export function summarise(s: ViewState, { closed }: { closed: boolean }): ViewSummary {
  const started = hasStarted(s);
  const startupMs =
    s.msd ??
    (s.firstFrameAt !== null && s.playRequestedAt !== null ? s.firstFrameAt - s.playRequestedAt : null);
  const exitedBeforeStart = closed && s.playRequestedAt !== null && !started && !s.failed;
  const scores = viewScores({
    started,
    failed: s.failed,
    exitedBeforeStart,
    startupMs,
    watchMs: s.watchMs,
    playingMs: s.playingMs,
    rebufferCount: s.rebufferCount,
    rebufferMs: s.rebufferMs,
    upscaledMs: s.upscaledMs,
    maxUpscale: s.maxUpscale,
  });
  const renditions = Object.values(s.renditions).sort(
    (a, b) => a.bitrate_kbps - b.bitrate_kbps || a.rendition.localeCompare(b.rendition),
  );
  return {
    stream_type: s.streamType,
    startup_ms: startupMs,
    exited_before_start: exitedBeforeStart ? 1 : 0,
    failed: s.failed ? 1 : 0,
    error_code: s.errorCode,
    rebuffer_count: s.rebufferCount,
    rebuffer_ms: s.rebufferMs,
    watch_ms: s.watchMs,
    playing_ms: s.playingMs,
    switches: s.switches,
    avg_bitrate_kbps: s.bitrateMs > 0 ? s.bitrateTimesMs / s.bitrateMs : null,
    upscaled_ms: s.upscaledMs,
    max_upscale: s.maxUpscale,
    dropped_frames: s.droppedFrames,
    renditions: JSON.stringify(renditions),
    score: scores.score,
    success_score: scores.success,
    startup_score: scores.startup,
    smoothness_score: scores.smoothness,
    quality_score: scores.quality,
  };
}
