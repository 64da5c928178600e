import type { LadderPlan } from '../media/ladder.ts';
import type { MediaInfo } from '../media/types.ts';
import { secondsUntilSafe } from './ready-rule.ts';

/**
 * How the ladder is encoded (ARCHITECTURE.md, VOD step 4):
 * - `one-pass`: every rung in one ffmpeg run (decode once, `split`), segments published as
 *   they are written. Cheapest in total, but every rung advances at the same pace, so a
 *   viewer can start early only when the whole ladder encodes about as fast as realtime.
 * - `lowest-first`: the lowest rung (and the audio) in a pass of its own — playable within
 *   seconds on any machine — and the other rungs in one `split` pass running at the same time
 *   (it does not wait: the small one runs on one thread, the big one yields the CPU to it).
 *   Decodes the source twice.
 * - `auto`: one-pass when this worker's measured throughput predicts that the one-pass asset
 *   turns playable within 0.3 × its duration, lowest-first otherwise.
 */
export type LadderStrategy = 'auto' | 'one-pass' | 'lowest-first';

/** `auto` wants the asset playable within this share of its duration. */
export const PLAYABLE_WITHIN = 0.3;

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

/**
 * `auto`: one-pass when, at the predicted speed, the ready rule (ready-rule.ts) lets viewers in
 * within PLAYABLE_WITHIN × the duration; lowest-first otherwise, and before anything is measured.
 */
export function chooseStrategy(
  configured: LadderStrategy,
  predictedSpeed: number | null,
  media: { duration: number; segmentSeconds: number } = { duration: 60, segmentSeconds: 4 },
): Exclude<LadderStrategy, 'auto'> {
  if (configured !== 'auto') return configured;
  if (predictedSpeed === null) return 'lowest-first';
  const playableAfter = secondsUntilSafe(media.duration, predictedSpeed, media.segmentSeconds);
  return playableAfter <= PLAYABLE_WITHIN * media.duration ? 'one-pass' : 'lowest-first';
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

/**
 * Whether a pass may decode without the deblocking filter (buildTranscodeArgs' skipLoopFilter): a pass
 * of rungs all at most a third of the source's height, from a source with bits to spare (≥ 0.1
 * bit per pixel), where deblocking changes too little to survive the downscale. Measured at 240p
 * from 1080p (SSIM against a Lanczos downscale of the source, after the x264 encode): 0.9906 with
 * and without it at 0.13 bit/pixel; at 0.06 bit/pixel (a grainy source at 4 Mbit/s), 0.970 → 0.952
 * and a quarter more bytes, so there the filter stays.
 */
export function decodesFast(pass: LadderPlan, plan: LadderPlan, info: MediaInfo): boolean {
  const v = info.video;
  if (!v || pass.video.length === 0 || pass.video.length === plan.video.length) return false;
  const sourceShort = Math.min(v.codedWidth, v.codedHeight);
  if (pass.video.some((r) => Math.min(r.width, r.height) * 3 > sourceShort)) return false;
  const bitsPerPixel =
    (info.sizeBytes * 8) / Math.max(info.duration, 1) / (v.codedWidth * v.codedHeight * v.fps);
  return bitsPerPixel >= FAST_DECODE_MIN_BITS_PER_PIXEL;
}

const FAST_DECODE_MIN_BITS_PER_PIXEL = 0.1;
