import type { Insertable } from 'kysely';
import type { Db } from '../../src/db/database.ts';
import type { QoeViewEventsTable, QoeViewsTable } from '../../src/db/schema.ts';
import { newId } from '../../src/shared/ids.ts';

/**
 * View rows as the ingest side (the reducer, docs/qoe.md) leaves them, built from a short
 * description: the metric columns are derived from the renditions played and the scores follow
 * the contract's formulas, so fixtures are realistic without depending on the reducer's code.
 */
export interface ViewFixture {
  id?: string;
  assetId?: string | null;
  liveStreamId?: string | null;
  playbackId?: string;
  device?: string;
  os?: string;
  browser?: string;
  country?: string;
  /** Server clock, epoch ms. */
  startedAt: number;
  /** From start to last report (default: startup + playing + rebuffering). */
  durationMs?: number;
  /** When the server last heard of it (default: the last report). */
  receivedAt?: number;
  /** Epoch ms when closed, or null (default) for an open view. */
  closedAt?: number | null;
  /** null: no first frame. */
  startupMs: number | null;
  failed?: boolean;
  errorCode?: string | null;
  /** Time spent before the first frame by a view that never started (counts as watch time). */
  waitedMs?: number;
  /** Marked as exited before start (what the close job sets); default false. */
  exited?: boolean;
  renditions?: {
    name: string | null;
    kbps: number;
    height?: number;
    playingMs: number;
    rebufferCount?: number;
    rebufferMs?: number;
    upscaledMs?: number;
  }[];
  switches?: number;
  maxUpscale?: number | null;
  droppedFrames?: number;
}

export interface ViewScores {
  success: number | null;
  startup: number | null;
  smoothness: number | null;
  quality: number | null;
  score: number | null;
}

/** The contract's scores (docs/qoe.md, "Scores") for a view's metrics. */
export function contractScores(m: {
  startupMs: number | null;
  failed: boolean;
  exited: boolean;
  watchMs: number;
  playingMs: number;
  rebufferCount: number;
  rebufferMs: number;
  upscaledMs: number;
  maxUpscale: number | null;
}): ViewScores {
  const success = m.failed ? 0 : m.startupMs !== null ? 100 : m.exited ? 50 : null;
  if (m.startupMs === null)
    return { success, startup: null, smoothness: null, quality: null, score: success };
  const t = m.startupMs / 1000;
  const startup = t <= 1 ? 100 : t >= 10 ? 0 : (100 * (10 - t)) / 9;
  const p = m.watchMs > 0 ? m.rebufferMs / m.watchMs : 0;
  const f = m.watchMs > 0 ? m.rebufferCount / (m.watchMs / 60_000) : 0;
  const smoothness = 100 * (1 - Math.min(1, p / 0.2)) * (1 - Math.min(1, f / 4));
  const u = m.playingMs > 0 ? m.upscaledMs / m.playingMs : 0;
  const quality = m.maxUpscale === null ? 100 : 100 * (1 - u * Math.min(1, m.maxUpscale - 1));
  const score = ((success ?? 0) * Math.cbrt(startup * smoothness * quality)) / 100;
  return { success, startup, smoothness, quality, score };
}

export function qoeViewRow(f: ViewFixture): Insertable<QoeViewsTable> {
  const renditions = f.renditions ?? [];
  const playing = renditions.reduce((s, r) => s + r.playingMs, 0);
  const rebufferMs = renditions.reduce((s, r) => s + (r.rebufferMs ?? 0), 0);
  const rebufferCount = renditions.reduce((s, r) => s + (r.rebufferCount ?? 0), 0);
  const upscaled = renditions.reduce((s, r) => s + (r.upscaledMs ?? 0), 0);
  const bitrateMs = renditions.reduce((s, r) => s + r.kbps * r.playingMs, 0);
  const watch = (f.startupMs ?? f.waitedMs ?? 0) + playing + rebufferMs;
  const duration = f.durationMs ?? watch;
  const failed = f.failed ?? false;
  const exited = f.exited ?? false;
  const scores = contractScores({
    startupMs: f.startupMs,
    failed,
    exited,
    watchMs: watch,
    playingMs: playing,
    rebufferCount,
    rebufferMs,
    upscaledMs: upscaled,
    maxUpscale: f.maxUpscale ?? null,
  });
  const id = f.id ?? newId();
  return {
    id,
    sid: `sid-${id}`,
    playback_id: f.playbackId ?? `pb${(f.assetId ?? f.liveStreamId ?? 'none').slice(0, 10)}`,
    asset_id: f.assetId ?? null,
    live_stream_id: f.liveStreamId ?? null,
    stream_type: f.liveStreamId ? 'live' : 'vod',
    device_type: f.device ?? 'desktop',
    os: f.os ?? 'Windows',
    browser: f.browser ?? 'Chrome',
    country: f.country ?? 'ZZ',
    started_at: f.startedAt,
    last_report_at: f.startedAt + duration,
    received_at: f.receivedAt ?? f.startedAt + duration,
    closed_at: f.closedAt ?? null,
    report_count: 3,
    state: JSON.stringify({ fixture: true }),
    startup_ms: f.startupMs,
    exited_before_start: exited ? 1 : 0,
    failed: failed ? 1 : 0,
    error_code: failed ? (f.errorCode ?? 'MEDIA_ERR_DECODE') : null,
    rebuffer_count: rebufferCount,
    rebuffer_ms: rebufferMs,
    watch_ms: watch,
    playing_ms: playing,
    switches: f.switches ?? Math.max(0, renditions.length - 1),
    avg_bitrate_kbps: playing > 0 ? bitrateMs / playing : null,
    upscaled_ms: upscaled,
    max_upscale: f.maxUpscale ?? null,
    dropped_frames: f.droppedFrames ?? 0,
    renditions: JSON.stringify(
      renditions.map((r) => ({
        rendition: r.name,
        bitrate_kbps: r.kbps,
        height: r.height ?? null,
        playing_ms: r.playingMs,
        rebuffer_count: r.rebufferCount ?? 0,
        rebuffer_ms: r.rebufferMs ?? 0,
        upscaled_ms: r.upscaledMs ?? 0,
      })),
    ),
    score: scores.score,
    success_score: scores.success,
    startup_score: scores.startup,
    smoothness_score: scores.smoothness,
    quality_score: scores.quality,
  };
}

/** The columns of a row built by qoeViewRow, as a selected row reads them back. */
export type FixtureRow = ReturnType<typeof qoeViewRow> & { id: string };

export async function insertViews(db: Db, rows: Insertable<QoeViewsTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('qoe_views')
      .values(rows.slice(i, i + 200))
      .execute();
}

/** Timeline rows: `[player ms from the first report, event, state, data]` from a player clock base. */
export function qoeEventRows(
  viewId: string,
  playerBaseTs: number,
  events: [number, string, string | null, Record<string, unknown>][],
): Insertable<QoeViewEventsTable>[] {
  return events.map(([at, event, state, data], sn) => ({
    view_id: viewId,
    ts: playerBaseTs + at,
    sn: event === 'beacon' ? -1 : sn,
    event,
    state,
    data: JSON.stringify(data),
  }));
}

export async function insertEvents(db: Db, rows: Insertable<QoeViewEventsTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('qoe_view_events')
      .values(rows.slice(i, i + 200))
      .execute();
}
