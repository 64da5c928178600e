import type { Dispatcher } from 'undici';
import { Pool } from 'undici';

/** How long an origin that failed is left out: doubled on each failure in a row, up to MAX. */
const DOWN_MS = 10_000;
const MAX_DOWN_MS = 60_000;
const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Errors that say the origin (or the way to it) failed: no connection, a reset, a timeout.
 * Anything else (undici's InvalidArgumentError or NotSupportedError for a request it will not
 * send, an aborted request) says nothing about the origin and must not take a healthy one out.
 */
const ORIGIN_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

export function isOriginFailure(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  // HPE_…: the origin's answer is not HTTP (llhttp's parse errors).
  return typeof code === 'string' && (ORIGIN_FAILURE_CODES.has(code) || code.startsWith('HPE_'));
}

export interface Origin {
  readonly url: URL;
  /** Its own label for logs and metrics (`host:port`). */
  readonly name: string;
  readonly pool: Pool;
  downUntil: number;
  failuresInARow: number;
}

export interface OriginRequest {
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  body?: Dispatcher.DispatchOptions['body'];
  /** Safe to send again to the next origin (GET, HEAD, and replayable bodies). */
  retryable: boolean;
  /** Time to wait for the answer's headers (LL-HLS blocking reloads hold them for seconds). */
  headersTimeout: number;
  /** Time allowed between two chunks of the body; 0: none (event streams). */
  bodyTimeout: number;
  signal?: AbortSignal;
  /** Origins not to try (those that already failed this object). */
  skip?: ReadonlySet<Origin>;
}

export interface OriginAnswer {
  origin: Origin;
  res: Dispatcher.ResponseData;
}

/** Answers that say the origin could not be reached through what is in front of it. */
const GATEWAY_FAILURE = new Set([502, 504]);

/** Every origin failed: the last error, and the last 502/504 answer if one came (its body unread). */
export class OriginsFailed extends Error {
  readonly lastAnswer: OriginAnswer | undefined;
  constructor(message: string, lastAnswer?: OriginAnswer) {
    super(message);
    this.name = 'OriginsFailed';
    this.lastAnswer = lastAnswer;
  }
}

/**
 * The origins in their configured order, each with a keep-alive pool (undici), and passive
 * health: an origin that fails (no connection, a reset, a timeout, a 502 or 504 from what is
 * between) is left out for a while and the next one asked; the request that failed goes to the
 * next one at once. A 500 or 503 is the origin's answer, not its failure (a 503 is how an LL-HLS
 * blocking reload says the part did not come in time): passed on. When every origin is out,
 * they are tried anyway, soonest back first: being out is a guess, not a verdict.
 */
export class OriginPool {
  readonly origins: Origin[];
  readonly #onError: (origin: Origin, reason: string) => void;

  constructor(urls: URL[], onError: (origin: Origin, reason: string) => void = () => {}) {
    this.#onError = onError;
    this.origins = urls.map((url) => ({
      url,
      name: url.host,
      pool: new Pool(url.origin, {
        connections: 128,
        connectTimeout: CONNECT_TIMEOUT_MS,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
      }),
      downUntil: 0,
      failuresInARow: 0,
    }));
  }

  /** Healthy origins in order, then the ones left out, soonest back first. */
  candidates(skip?: ReadonlySet<Origin>): Origin[] {
    const now = Date.now();
    const up: Origin[] = [];
    const down: Origin[] = [];
    for (const o of this.origins) {
      if (skip?.has(o)) continue;
      (o.downUntil <= now ? up : down).push(o);
    }
    down.sort((a, b) => a.downUntil - b.downUntil);
    return up.concat(down);
  }

  markDown(origin: Origin, reason: string): void {
    origin.failuresInARow++;
    const ms = Math.min(MAX_DOWN_MS, DOWN_MS * 2 ** (origin.failuresInARow - 1));
    origin.downUntil = Date.now() + ms;
    this.#onError(origin, reason);
  }

  markUp(origin: Origin): void {
    if (origin.failuresInARow === 0) return;
    origin.failuresInARow = 0;
    origin.downUntil = 0;
  }

  /**
   * The first origin's answer that is not a 502/504 (for a retryable request; a non-retryable one
   * is sent once, to the first candidate). Throws OriginsFailed when none answered.
   */
  async request(r: OriginRequest): Promise<OriginAnswer> {
    const list = this.candidates(r.skip);
    if (!r.retryable) list.length = Math.min(list.length, 1);
    let last: OriginAnswer | undefined;
    let lastError = 'no origin to ask';
    for (const origin of list) {
      if (r.signal?.aborted) break;
      try {
        const res = await origin.pool.request({
          path: r.path,
          method: r.method as Dispatcher.HttpMethod,
          headers: r.headers,
          body: r.body ?? null,
          headersTimeout: r.headersTimeout,
          bodyTimeout: r.bodyTimeout,
          ...(r.signal ? { signal: r.signal } : {}),
        });
        if (GATEWAY_FAILURE.has(res.statusCode) && r.retryable) {
          this.markDown(origin, `HTTP ${res.statusCode}`);
          if (last) last.res.body.dump().catch(() => {});
          last = { origin, res };
          lastError = `HTTP ${res.statusCode}`;
          continue;
        }
        this.markUp(origin);
        if (last) last.res.body.dump().catch(() => {});
        return { origin, res };
      } catch (e) {
        if (r.signal?.aborted) throw e;
        // A request undici will not send fails the same way at every origin: not theirs.
        if (!isOriginFailure(e)) throw e;
        lastError = (e as { code?: string }).code ?? (e as Error).message;
        this.markDown(origin, lastError);
      }
    }
    throw new OriginsFailed(`no origin answered: ${lastError}`, last);
  }

  async close(): Promise<void> {
    await Promise.all(this.origins.map((o) => o.pool.destroy()));
  }
}
