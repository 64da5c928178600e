import { LRUCache } from 'lru-cache';
import { addressPrefix } from '../shared/address-prefix.ts';
import { AppError } from '../shared/errors.ts';

/** Addresses tracked at once: an address pushed out starts again with a full bucket. */
const MAX_ADDRESSES = 50_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * FRAMEHOUSE_QOE_RATE_LIMIT: report requests per minute per client address (an IPv6 client by its
 * /64), a token bucket per address holding a minute's worth, in this process's memory. A viewer
 * sends a few reports a minute; the limit is for a client flooding the endpoint, not for the
 * many viewers behind one address, which it leaves room for.
 */
export class ReportRateLimit {
  readonly #perMinute: number;
  readonly #perMs: number;
  readonly #now: () => number;
  // An untouched bucket is full again within a minute: older entries are worth nothing.
  readonly #buckets: LRUCache<string, Bucket>;

  constructor(opts: { perMinute: number; maxAddresses?: number; now?: () => number }) {
    this.#perMinute = opts.perMinute;
    this.#perMs = opts.perMinute / 60_000;
    this.#now = opts.now ?? Date.now;
    this.#buckets = new LRUCache<string, Bucket>({ max: opts.maxAddresses ?? MAX_ADDRESSES, ttl: 60_000 });
  }

  /** Takes a request's token for `address`, or throws 429 FH_ERR_RATE_LIMITED with `retry_after` (s). */
  take(address: string): void {
    const key = addressPrefix(address);
    const now = this.#now();
    const bucket = this.#buckets.get(key);
    const tokens = bucket
      ? Math.min(this.#perMinute, bucket.tokens + (now - bucket.at) * this.#perMs)
      : this.#perMinute;
    if (tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - tokens) / this.#perMs / 1000));
      // The bucket is left as it was (its time too): a refused request costs nothing.
      throw new AppError(
        'FH_ERR_RATE_LIMITED',
        `Too many reports from this address: try again in ${retryAfter} s.`,
        { retry_after: retryAfter, limit: this.#perMinute },
      );
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
  }
}
