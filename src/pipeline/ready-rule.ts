/**
 * When may a viewer start on rungs that are still being encoded? When, at the encoder's
 * measured pace, every segment they will need is published before they reach it.
 *
 * A segment ending at media time e is published about (e − E) / r + lag seconds from now (E: the
 * encoder's position, r: its speed in media seconds per second, lag: our publishing tick plus the
 * player's playlist reload). A viewer starting now at the beginning needs it when reaching its
 * start, e − L (L: the segment length). Both sides are linear in e, so checking the first segment
 * not yet published (binding when r ≥ 1) and the last one (binding when r < 1) covers them all.
 */
export interface ReadyInput {
  duration: number;
  /** Seconds of media published, on every rung concerned (the least of them). */
  published: number;
  /** Media seconds the encoder has written. */
  encoded: number;
  /** The encoder's speed (× realtime), or null while unknown. */
  speed: number | null;
  segmentSeconds: number;
}

/**
 * How late a published segment may reach a player: our publishing tick (0.3 s), and hls.js
 * reloading an EVENT playlist about every half to whole target duration; half a segment plus a
 * second covers the usual case without turning every asset into a wait for two segments.
 */
export const lagSeconds = (segmentSeconds: number) => segmentSeconds / 2 + 1;

export function safeToStart(o: ReadyInput): boolean {
  const { duration: D, published: P, segmentSeconds: L } = o;
  if (P <= 0 || o.speed === null || o.speed <= 0) return false;
  if (P >= D - 0.05) return true; // all of it is there
  const r = o.speed;
  const E = Math.max(o.encoded, P);
  const lag = lagSeconds(L);
  const publishedIn = (e: number) => (Math.min(e, D) - E) / r + lag;
  const neededIn = (e: number) => Math.max(0, Math.min(e, D) - L);
  const next = Math.min(P + L, D);
  return publishedIn(next) <= neededIn(next) && publishedIn(D) <= neededIn(D);
}

/**
 * Seconds from the start of an encode at `speed` until safeToStart holds (segments published as
 * they end): what `auto` compares with its goal. Infinity when it never does before the end.
 */
export function secondsUntilSafe(duration: number, speed: number, segmentSeconds: number): number {
  if (speed <= 0) return Number.POSITIVE_INFINITY;
  const L = Math.min(segmentSeconds, duration);
  for (let published = L; published < duration; published += L) {
    if (safeToStart({ duration, published, encoded: published, speed, segmentSeconds })) {
      return published / speed;
    }
  }
  return duration / speed;
}

/**
 * An encoder's speed from its progress readings: media seconds over wall seconds across the
 * last few seconds, and never more than its average since it started (which includes its start-up
 * and so errs low). ffmpeg's own `speed` is that average; the window follows a pace that drops
 * when a second encoder starts beside it.
 */
export class SpeedMeter {
  readonly #windowMs: number;
  readonly #samples: Array<{ at: number; media: number }> = [];
  readonly #start: number;

  /** startedAt: when the encoder was started (performance.now() ms). */
  constructor(startedAt = performance.now(), windowMs = 3000) {
    this.#start = startedAt;
    this.#windowMs = windowMs;
  }

  /** A progress reading: media seconds written by `at` (performance.now() ms). */
  add(media: number, at = performance.now()): void {
    this.#samples.push({ at, media });
    while (this.#samples.length > 2 && at - (this.#samples[1]?.at ?? at) >= this.#windowMs)
      this.#samples.shift();
  }

  /** × realtime, or null until a second of wall time and of media has passed. */
  get speed(): number | null {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last) return null;
    const total = last.at - this.#start;
    if (total < 1000 || last.media < 1) return null;
    const average = last.media / (total / 1000);
    const span = last.at - first.at;
    const recent = span >= 1000 ? (last.media - first.media) / (span / 1000) : average;
    return Math.min(average, recent);
  }

  get encoded(): number {
    return this.#samples.at(-1)?.media ?? 0;
  }
}
