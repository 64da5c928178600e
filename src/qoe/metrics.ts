import { percentile, STARTUP_MS } from './histograms.ts';
import type { Tally } from './rollup-delta.ts';

/**
 * The `Metrics` object of the overview (docs/qoe.md, "Reading"), from views added up. Ratios
 * are 0–1; a metric with nothing to average is null. Denominators: rates of failure and exit over
 * all views; playback metrics (rebuffered views, switches) over the views that started, the only
 * ones that could stall or switch; time ratios over the time they are a share of; the score and
 * its success part over the scored views; the startup, smoothness and quality parts over the
 * views that started (the contract: "none when the view never started").
 */
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
  scores: {
    success: number | null;
    startup: number | null;
    smoothness: number | null;
    quality: number | null;
  };
}

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);

export function metricsOf(t: Tally): Metrics {
  return {
    views: t.views,
    open_views: t.open_views,
    failed: t.failed,
    failure_rate: ratio(t.failed, t.views),
    exits_before_start: t.exits_before_start,
    exit_before_start_rate: ratio(t.exits_before_start, t.views),
    startup_ms: {
      median: percentile(STARTUP_MS, t.startup_hist, 0.5),
      p95: percentile(STARTUP_MS, t.startup_hist, 0.95),
      mean: ratio(t.startup_ms_sum, t.started_views),
    },
    rebuffer_percentage: ratio(t.rebuffer_ms, t.watch_ms),
    rebuffer_frequency: ratio(t.rebuffer_count, t.watch_ms / 60_000),
    rebuffered_view_rate: ratio(t.rebuffered_views, t.started_views),
    watch_time_seconds: t.watch_ms / 1000,
    playing_time_seconds: t.playing_ms / 1000,
    average_bitrate_kbps: ratio(t.bitrate_ms, t.playing_ms),
    switches_per_view: ratio(t.switches, t.started_views),
    upscale_percentage: ratio(t.upscaled_ms, t.playing_ms),
    dropped_frames: t.dropped_frames,
    score: ratio(t.score_sum, t.scored_views),
    scores: {
      success: ratio(t.success_score_sum, t.scored_views),
      startup: ratio(t.startup_score_sum, t.started_views),
      smoothness: ratio(t.smoothness_score_sum, t.started_views),
      quality: ratio(t.quality_score_sum, t.started_views),
    },
  };
}
