/**
 * Requests held until the state they wait for exists: blocking playlist reloads and preload-hinted
 * parts. A waiter is answered by the first of: its condition met (checked after every change), its
 * time limit, or its request going away (AbortSignal). Whichever comes first removes the waiter,
 * its timer and its abort listener, so nothing outlives the request.
 */
export class Waiters<T> {
  readonly #waiting = new Set<Waiter<T>>();

  get size(): number {
    return this.#waiting.size;
  }

  /**
   * `ready` returns the answer once the awaited state exists, undefined until then. It runs at once
   * and after each `check()`, so it must be cheap (the answer itself is cached by the caller).
   */
  wait(opts: {
    ready: () => T | undefined;
    timeoutMs: number;
    onTimeout: () => T;
    onAbort: () => T;
    signal?: AbortSignal | undefined;
  }): Promise<T> {
    const now = opts.ready();
    if (now !== undefined) return Promise.resolve(now);
    if (opts.signal?.aborted) return Promise.resolve(opts.onAbort());
    return new Promise<T>((resolve) => {
      const waiter: Waiter<T> = {
        ready: opts.ready,
        settle: (value: T) => {
          this.#waiting.delete(waiter);
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', abort);
          resolve(value);
        },
      };
      const abort = () => waiter.settle(opts.onAbort());
      const timer = setTimeout(() => waiter.settle(opts.onTimeout()), opts.timeoutMs);
      opts.signal?.addEventListener('abort', abort, { once: true });
      this.#waiting.add(waiter);
    });
  }

  /** Answers every waiter whose state now exists. */
  check(): void {
    for (const waiter of [...this.#waiting]) {
      const value = waiter.ready();
      if (value !== undefined) waiter.settle(value);
    }
  }

  /** Answers every waiter now (the rendition went away). */
  settleAll(value: () => T): void {
    for (const waiter of [...this.#waiting]) waiter.settle(value());
  }
}

interface Waiter<T> {
  ready: () => T | undefined;
  settle: (value: T) => void;
}
