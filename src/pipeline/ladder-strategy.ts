import type { LadderPlan } from '../media/ladder.ts';
import type { MediaInfo } from '../media/types.ts';

/**
 * How the ladder is encoded (ARCHITECTURE.md, VOD step 4):
 * - `one-pass`: every rung in one ffmpeg run (decode once, `split`), segments published as
 *   they are written. Cheapest in total, but every rung advances at the same pace, so a
 *   viewer can start early only when the whole ladder encodes about as fast as realtime.
 * - `lowest-first`: the lowest rung (and the audio) alone first — playable within seconds on
 *   any machine — then the other rungs in one `split` pass. Decodes the source twice.
 * - `auto`: one-pass when this worker's measured throughput predicts a speed at which the
 *   one-pass asset turns playable within 0.3 × its duration, lowest-first otherwise.
 */
export type LadderStrategy = 'auto' | 'one-pass' | 'lowest-first';

/**
 * One-pass becomes playable once the published media covers duration × (1 − 0.9 × speed),
 * reached after duration × (1 − 0.9 s) / s of encoding; that is ≤ 0.3 × duration from s ≈ 0.83.
 */
export const ONE_PASS_MIN_SPEED = 0.85;

/**
 * Decoding a source pixel costs about a quarter of encoding an output pixel with x264
 * veryfast (measured on the 20 s 1080p benchmark clip: 3.2 s of 34 s).
 */
const DECODE_WEIGHT = 0.25;

/** Work of one second of media in a pass: output pixels of every rung plus the decode, weighted. */
export function workPerMediaSecond(plan: LadderPlan, info: MediaInfo): number {
  const v = info.video;
  if (!v) return 1; // audio only: nothing to predict, one pass anyway
  const decode = DECODE_WEIGHT * v.codedWidth * v.codedHeight * v.fps;
  return decode + plan.video.reduce((sum, r) => sum + r.width * r.height * r.fps, 0);
}

/** The passes a strategy runs; a ladder of one rung is one pass whatever the strategy. */
export function passesFor(plan: LadderPlan, strategy: Exclude<LadderStrategy, 'auto'>): LadderPlan[] {
  const lowest = plan.video.at(-1);
  if (strategy === 'one-pass' || !lowest || plan.video.length === 1) return [plan];
  return [
    { ...plan, video: [lowest] },
    { ...plan, video: plan.video.slice(0, -1), audio: null },
  ];
}

export function chooseStrategy(
  configured: LadderStrategy,
  predictedSpeed: number | null,
): Exclude<LadderStrategy, 'auto'> {
  if (configured !== 'auto') return configured;
  return predictedSpeed !== null && predictedSpeed >= ONE_PASS_MIN_SPEED ? 'one-pass' : 'lowest-first';
}

/**
 * This worker's encoding throughput (work units per wall second), learned from the passes it
 * has run: a moving average, since the machine's load changes. Unknown until the first pass.
 */
export class ThroughputTracker {
  #rate: number | null = null;

  observe(workPerSecond: number, mediaSeconds: number, wallSeconds: number): void {
    if (mediaSeconds <= 0 || wallSeconds <= 0) return;
    const rate = (workPerSecond * mediaSeconds) / wallSeconds;
    this.#rate = this.#rate === null ? rate : 0.7 * this.#rate + 0.3 * rate;
  }

  predictSpeed(workPerSecond: number): number | null {
    return this.#rate === null ? null : this.#rate / workPerSecond;
  }
}
