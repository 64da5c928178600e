/**
 * A view's scores, 0–100 (docs/qoe.md, in the spirit of Mux Data's viewer experience score). A
 * part is null when the view gives it nothing to score (it never started, or it is still
 * undecided); an aggregate is the mean over the views that have the part.
 */

export interface ScoreInputs {
  /** The first frame was shown. */
  started: boolean;
  failed: boolean;
  exitedBeforeStart: boolean;
  startupMs: number | null;
  watchMs: number;
  playingMs: number;
  rebufferCount: number;
  rebufferMs: number;
  upscaledMs: number;
  maxUpscale: number | null;
}

export interface Scores {
  success: number | null;
  startup: number | null;
  smoothness: number | null;
  quality: number | null;
  score: number | null;
}

/** 100 without failure once started, 0 on failure, 50 for a viewer who left before the first frame. */
export function successScore(
  i: Pick<ScoreInputs, 'started' | 'failed' | 'exitedBeforeStart'>,
): number | null {
  if (i.failed) return 0;
  if (i.started) return 100;
  if (i.exitedBeforeStart) return 50;
  return null;
}

/** 100 up to 1 s, falling linearly to 0 at 10 s. */
export function startupScore(startupMs: number): number {
  const t = startupMs / 1000;
  if (t <= 1) return 100;
  if (t >= 10) return 0;
  return (100 * (10 - t)) / 9;
}

/** 20 % of the watch time stalled, or four stalls a minute, is 0. */
export function smoothnessScore(watchMs: number, rebufferMs: number, rebufferCount: number): number {
  const share = watchMs > 0 ? rebufferMs / watchMs : 0;
  const perMinute = watchMs > 0 ? rebufferCount / (watchMs / 60_000) : 0;
  return 100 * (1 - Math.min(1, share / 0.2)) * (1 - Math.min(1, perMinute / 4));
}

/** A picture shown at twice its size all the time is 0; a downscaled one is not penalised. */
export function qualityScore(playingMs: number, upscaledMs: number, maxUpscale: number | null): number {
  const share = playingMs > 0 ? Math.min(1, upscaledMs / playingMs) : 0;
  const over = Math.max(0, Math.min(1, (maxUpscale ?? 1) - 1));
  return 100 * (1 - share * over);
}

export function viewScores(i: ScoreInputs): Scores {
  const success = successScore(i);
  if (!i.started) return { success, startup: null, smoothness: null, quality: null, score: success };
  const startup = i.startupMs === null ? null : startupScore(i.startupMs);
  const smoothness = smoothnessScore(i.watchMs, i.rebufferMs, i.rebufferCount);
  const quality = qualityScore(i.playingMs, i.upscaledMs, i.maxUpscale);
  const score =
    success === null || startup === null ? null : (success * Math.cbrt(startup * smoothness * quality)) / 100;
  return { success, startup, smoothness, quality, score };
}
