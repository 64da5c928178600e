import { type VerificationKey, verifyPlaybackToken } from '../auth/playback-token-verify.ts';
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
  #loading: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #onError: (message: string) => void;

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
    try {
      const { res } = await this.#pool.request({
        path: '/v1/playback-keys/verification',
        method: 'GET',
        headers: { authorization: `Bearer ${this.#apiKey}`, accept: 'application/json' },
        retryable: true,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`the origin answered ${res.statusCode} (is the API key an admin key?)`);
      }
      const body = (await res.body.json()) as { data: Array<{ kid: string; secret: string }> };
      this.#keys = body.data.map((k) => ({
        kid: k.kid,
        secret: new Uint8Array(Buffer.from(k.secret, 'base64url')),
      }));
      this.#fetchedAt = Date.now();
    } catch (e) {
      this.#onError(`playback keys not refreshed: ${(e as Error).message}`);
    }
  }

  /** Throws the origin's 403 AppError for a missing, invalid, expired or foreign token. */
  async verify(token: string | undefined, playbackId: string): Promise<void> {
    await verifyPlaybackToken(token, playbackId, async (kid) => {
      const known = this.#keys.find((k) => k.kid === kid);
      if (known || Date.now() - this.#fetchedAt < MISS_REFRESH_MS) return known;
      await this.refresh();
      return this.#keys.find((k) => k.kid === kid);
    });
  }
}
