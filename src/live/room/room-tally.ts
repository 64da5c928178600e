/**
 * Counts added up in the process per room and written every so often: a busy room's taps or
 * clicks (hundreds a second) become one write per room per period, not one per request. One
 * write at a time; what arrives meanwhile waits for the next. What a process holds when it dies
 * is lost: one period's worth.
 */
export class RoomTally<K extends string> {
  readonly #periodMs: number;
  readonly #write: (streamId: string, counts: Map<K, number>) => Promise<void>;
  readonly #onError: (err: unknown) => void;
  #pending = new Map<string, Map<K, number>>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | null = null;
  #closed = false;

  constructor(opts: {
    periodMs: number;
    /** Writes one room's counts (errors are reported, the counts dropped). */
    write(streamId: string, counts: Map<K, number>): Promise<void>;
    onError?: (err: unknown) => void;
  }) {
    this.#periodMs = opts.periodMs;
    this.#write = opts.write;
    this.#onError = opts.onError ?? (() => {});
  }

  add(streamId: string, key: K, count: number): void {
    let room = this.#pending.get(streamId);
    if (!room) {
      room = new Map();
      this.#pending.set(streamId, room);
    }
    room.set(key, (room.get(key) ?? 0) + count);
    this.#schedule();
  }

  /** Writes what has gathered, one room after the other. */
  async flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = (async () => {
      for (const [streamId, counts] of batch) {
        try {
          await this.#write(streamId, counts);
        } catch (err) {
          this.#onError(err);
        }
      }
    })().finally(() => {
      this.#flushing = null;
      // What arrived during a slow flush (its timer found it still running) is written by the
      // next one, not left until another tap comes.
      if (this.#pending.size > 0) this.#schedule();
    });
    return this.#flushing;
  }

  /** Writes what is left (after a flush in progress): nothing is scheduled any more. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#flushing) await this.#flushing;
    await this.flush();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#periodMs);
  }
}
