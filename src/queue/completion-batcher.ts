type Held = { jobId: string; workerId: string };

/**
 * Group commit for job completions. A completion arriving while none is being written goes out
 * at once (no added latency); those arriving while one is in flight wait for it and then go out
 * together in one statement. Short jobs in a busy pool thus pay one commit per batch, not one each.
 */
export class CompletionBatcher {
  readonly #write: (held: Held[]) => Promise<Set<string>>;
  #pending: Array<Held & { resolve(ok: boolean): void; reject(err: unknown): void }> = [];
  #writing = false;

  constructor(write: (held: Held[]) => Promise<Set<string>>) {
    this.#write = write;
  }

  /** Resolves true once recorded, false if the lease was lost; rejects if the write failed. */
  complete(jobId: string, workerId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ jobId, workerId, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      try {
        const done = await this.#write(batch.map(({ jobId, workerId }) => ({ jobId, workerId })));
        for (const h of batch) h.resolve(done.has(h.jobId));
      } catch (err) {
        for (const h of batch) h.reject(err);
      }
    }
    this.#writing = false;
  }
}
