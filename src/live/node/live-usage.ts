import { resolutionClass, type UsageSink } from '../../usage/usage-records.ts';

/** Input read before the ladder starts is a few seconds; more would be a timestamp not starting at 0. */
const MAX_BACKDATE_MS = 5_000;

/**
 * Live usage of one broadcast (docs/usage.md): `live_input_seconds` while a broadcaster is
 * connected, and `encoding_seconds` of each encoded rung of the live ladder (copied rungs are not
 * encoded) in its resolution class. Added at every `tick` (the session ticks every few seconds,
 * well within a flush interval), when the ladder changes and when the input goes, so a long show
 * is visible while it runs.
 */
export class LiveUsageClock {
  readonly #usage: UsageSink;
  readonly #owner: string;
  readonly #streamId: string;
  readonly #now: () => number;
  #since: number | null = null;
  /** Input read before the ladder started, counted as input (not as encoding) at the next tick. */
  #earlierMs = 0;
  #classes: string[] = [];

  constructor(deps: { usage: UsageSink; owner: string; streamId: string; now?: () => number }) {
    this.#usage = deps.usage;
    this.#owner = deps.owner;
    this.#streamId = deps.streamId;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * A broadcaster is on (or the ladder changed): what ran so far is counted, then these rungs run.
   * `receivedMs`: input already received before the ladder could start (the seconds its source
   * was read to plan it), counted as input from the start (at most MAX_BACKDATE_MS).
   */
  start(rungs: readonly { width: number; height: number; copy: boolean }[], receivedMs = 0): void {
    this.tick();
    if (this.#since === null) {
      this.#since = this.#now();
      this.#earlierMs = Math.min(Math.max(receivedMs, 0), MAX_BACKDATE_MS);
    }
    this.#classes = rungs.filter((r) => !r.copy).map((r) => resolutionClass(r.width, r.height));
  }

  /** Counts the time since the last tick. */
  tick(): void {
    if (this.#since === null) return;
    const now = this.#now();
    const seconds = (now - this.#since) / 1000;
    const input = seconds + this.#earlierMs / 1000;
    this.#since = now;
    this.#earlierMs = 0;
    const base = { owner: this.#owner, subjectKind: 'live_stream' as const, subjectId: this.#streamId };
    if (input > 0)
      this.#usage.add({ ...base, metric: 'live_input_seconds', dimension: '', value: input, at: now });
    if (!(seconds > 0)) return;
    for (const dimension of this.#classes)
      this.#usage.add({ ...base, metric: 'encoding_seconds', dimension, value: seconds, at: now });
  }

  /** The broadcaster is gone: the last stretch is counted, and nothing more until the next start. */
  stop(): void {
    this.tick();
    this.#since = null;
  }
}
