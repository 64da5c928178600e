import { HOUR_MS } from './rules.ts';

/**
 * Records that a player asked for an asset's master playlist (`last_viewed_at`, which the cold
 * tier rule reads), at most once an hour per asset and process. On the playback path the cost is
 * one Map look-up; the write happens after the request's turn (setImmediate), and its failure is
 * logged, never answered to the player.
 */
export class LastViewedRecorder {
  readonly #write: (assetId: string, at: string) => Promise<void>;
  readonly #onError: (err: unknown) => void;
  readonly #now: () => number;
  readonly #everyMs: number;
  /** Asset id → when its view was last written by this process. */
  readonly #written = new Map<string, number>();
  #prunedAt: number;

  constructor(deps: {
    write: (assetId: string, at: string) => Promise<void>;
    onError: (err: unknown) => void;
    now?: () => number;
    everyMs?: number;
  }) {
    this.#write = deps.write;
    this.#onError = deps.onError;
    this.#now = deps.now ?? Date.now;
    this.#everyMs = deps.everyMs ?? HOUR_MS;
    this.#prunedAt = this.#now();
  }

  viewed(assetId: string): void {
    const now = this.#now();
    const last = this.#written.get(assetId);
    if (last !== undefined && now - last < this.#everyMs) return;
    this.#written.set(assetId, now);
    if (now - this.#prunedAt >= this.#everyMs) this.#prune(now);
    setImmediate(() => {
      this.#write(assetId, new Date(now).toISOString()).catch((err: unknown) => {
        // Not written: the next request may try again.
        if (this.#written.get(assetId) === now) this.#written.delete(assetId);
        this.#onError(err);
      });
    });
  }

  /** Entries older than the interval say nothing any more: the map holds the last hour's assets. */
  #prune(now: number): void {
    this.#prunedAt = now;
    for (const [id, at] of this.#written) if (now - at >= this.#everyMs) this.#written.delete(id);
  }

  /** Assets remembered (for tests). */
  get size(): number {
    return this.#written.size;
  }
}
