import { LRUCache } from 'lru-cache';
import {
  CLOCK_TOLERANCE_S,
  type VerificationKey,
  verifyPlaybackToken,
} from '../auth/playback-token-verify.ts';
import type { OriginPool } from './origin-pool.ts';

/** Keys are fetched again this often (a rotation or retirement reaches the edge within it). */
const REFRESH_MS = 10_000;
/** A token naming a key the edge does not know yet makes it look again, at most this often. */
const MISS_REFRESH_MS = 1_000;

/**
 * Playback tokens checked at the edge with the origin's own keys and code
 * (auth/playback-token-verify.ts), fetched with an admin API key from
 * `GET /v1/playback-keys/verification`: an invalid token is refused here, without a trip to the
 * origin. The secrets stay in memory only.
 */
export class TokenCheck {
  readonly #pool: OriginPool;
  readonly #apiKey: string;
  #keys: VerificationKey[] = [];
  #fetchedAt = 0;
  /** The last fetch started, whatever came of it: an unknown kid may not make a refresh storm. */
  #attemptedAt = 0;
  /** The key set's ETag: polls are answered 304 (nothing sent, nothing audited) while it holds. */
  #etag: string | undefined;
  #loading: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #onError: (message: string) => void;
  /**
   * Tokens that passed, until they expire: a player sends the same token with every segment,
   * and an HMAC check per request is the largest cost of a signed hit. Forgotten when the keys
   * change (a retired key must stop its tokens at once).
   */
  readonly #passed = new LRUCache<string, { playbackId: string; untilMs: number }>({ max: 20_000 });

  constructor(pool: OriginPool, apiKey: string, onError: (message: string) => void) {
    this.#pool = pool;
    this.#apiKey = apiKey;
    this.#onError = onError;
  }

  /** Whether keys were fetched at least once (until then, signed playback goes to the origin). */
  get ready(): boolean {
    return this.#fetchedAt > 0;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  refresh(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    this.#attemptedAt = Date.now();
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${this.#apiKey}`,
        accept: 'application/json',
      };
      // Only with keys in hand: a 304 must have something to keep.
      if (this.#etag && this.#fetchedAt > 0) headers['if-none-match'] = this.#etag;
      const { res } = await this.#pool.request({
        path: '/v1/playback-keys/verification',
        method: 'GET',
        headers,
        retryable: true,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      if (res.statusCode === 304) {
        await res.body.dump();
        this.#fetchedAt = Date.now();
        return;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`the origin answered ${res.statusCode} (is the API key an admin key?)`);
      }
      const body = (await res.body.json()) as { data: Array<{ kid: string; secret: string }> };
      const keys = body.data.map((k) => ({
        kid: k.kid,
        secret: new Uint8Array(Buffer.from(k.secret, 'base64url')),
      }));
      const fingerprint = (list: VerificationKey[]) =>
        list.map((k) => `${k.kid}:${Buffer.from(k.secret).toString('base64url')}`).join(',');
      if (fingerprint(keys) !== fingerprint(this.#keys)) this.#passed.clear();
      this.#keys = keys;
      const etag = res.headers.etag;
      this.#etag = typeof etag === 'string' ? etag : undefined;
      this.#fetchedAt = Date.now();
    } catch (e) {
      this.#onError(`playback keys not refreshed: ${(e as Error).message}`);
    }
  }

  /** Throws the origin's 403 AppError for a missing, invalid, expired or foreign token. */
  async verify(token: string | undefined, playbackId: string): Promise<void> {
    const passed = token === undefined ? undefined : this.#passed.get(token);
    if (passed && passed.playbackId === playbackId && passed.untilMs > Date.now()) return;
    const claims = await verifyPlaybackToken(token, playbackId, async (kid) => {
      const known = this.#keys.find((k) => k.kid === kid);
      // From the last attempt, not the last success: with the origin failing, every request
      // naming an unknown kid would otherwise start another fetch.
      if (known || Date.now() - this.#attemptedAt < MISS_REFRESH_MS) return known;
      await this.refresh();
      return this.#keys.find((k) => k.kid === kid);
    });
    if (token !== undefined && typeof claims.exp === 'number')
      this.#passed.set(token, { playbackId, untilMs: (claims.exp + CLOCK_TOLERANCE_S) * 1000 });
  }
}
