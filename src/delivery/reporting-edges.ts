/**
 * Which `X-Framehouse-Edge` values mark a fill of a `framehouse edge` that reports its own
 * deliveries (docs/usage.md): the SHA-256 of an admin API key that is not revoked. A viewer who
 * sends the header with anything else is counted like any viewer.
 *
 * On the delivery path the check is one Set look-up, and only for requests that carry the header.
 * The set is reloaded every minute (a revoked key stops counting as an edge within it) and, at
 * most once a second, when an unknown value comes (a key made a moment ago; DeliveryUsage judges
 * such answers again when it drains, after the reload).
 */
export class ReportingEdges {
  readonly #load: () => Promise<string[]>;
  readonly #onError: (err: unknown) => void;
  #hashes = new Set<string>();
  #loadedAt = 0;
  #loading: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(load: () => Promise<string[]>, onError: (err: unknown) => void) {
    this.#load = load;
    this.#onError = onError;
  }

  start(everyMs = 60_000): this {
    void this.#reload();
    this.#timer = setInterval(() => void this.#reload(), everyMs).unref();
    return this;
  }

  /** Shutdown: no timer, and no reload on an unknown value either (the database closes next). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  has(value: string): boolean {
    if (this.#hashes.has(value)) return true;
    if (!this.#stopped && Date.now() - this.#loadedAt >= 1_000) void this.#reload();
    return false;
  }

  /** Loads the set now (tests, and start-up). */
  reload(): Promise<void> {
    return this.#reload();
  }

  #reload(): Promise<void> {
    this.#loading ??= this.#load()
      .then((hashes) => {
        this.#hashes = new Set(hashes);
      })
      .catch(this.#onError)
      .finally(() => {
        this.#loadedAt = Date.now();
        this.#loading = null;
      });
    return this.#loading;
  }
}
