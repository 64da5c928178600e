import type { Dispatcher } from 'undici';
import { SIGNED_MARKER } from '../shared/playback-headers.ts';
import { originPath } from './cache-key.ts';
import { CachedObject, type ObjectMeta, TOKEN_SLOT } from './cached-object.ts';
import { freshnessOf } from './freshness.ts';
import { header, passedHeaders, storedHeaders } from './headers.ts';
import type { ObjectCache } from './object-cache.ts';
import { type Origin, type OriginPool, OriginsFailed } from './origin-pool.ts';

/** Bodies up to this size are read whole before anyone is answered; larger ones stream. */
export const BUFFER_MAX = 16 * 1024 * 1024;
/** A blocking LL-HLS reload waits up to three target durations at the origin. */
const HEADERS_TIMEOUT_MS = 20_000;
const BODY_TIMEOUT_MS = 15_000;

/** What one origin fetch came to, shared by every request that waited on it. */
export type FillResult =
  /** A 200 kept (`stored`) or only shared by those who waited (not storable); body in memory or on disk. */
  | { kind: 'object'; object: CachedObject; stored: boolean }
  /** Any other answer (a 403, a 404, …), passed on as it came, never stored. */
  | { kind: 'answer'; status: number; headers: string[]; body: Buffer; token: string | undefined }
  /** A large answer that could not be kept: each request asks the origin itself. */
  | { kind: 'uncacheable' }
  /** No origin answered. */
  | { kind: 'failed'; error: Error; answer?: { status: number; headers: string[]; body: Buffer } };

/**
 * The first request of a large object: the object streams to it while it is written to disk
 * (the others that wait get it from disk once complete).
 */
export interface StreamSink {
  start(object: CachedObject): void;
  write(chunk: Buffer): Promise<void>;
  end(): void;
  fail(): void;
}

export interface FillRequest {
  key: string;
  playbackId: string | undefined;
  /** The token of the request that asks: the origin checks it (and tokenizes playlists with it). */
  token: string | undefined;
  /** Whether signed answers may be stored: the edge can check tokens itself. */
  canVerify: boolean;
  sink?: StreamSink | undefined;
}

interface Inflight {
  promise: Promise<FillResult>;
  token: string | undefined;
}

export interface FetchEvents {
  coalesced(): void;
  originRequest(): void;
  originBytes(n: number): void;
}

/**
 * Misses go to the origin once per key: the first request starts the fetch, every request for
 * the same key meanwhile waits for it (a small Map of promises, not lru-cache's fetch(): the
 * first request of a large object must get the bytes as they come, and lru-cache's fetch()
 * settles only with a whole value). An LL-HLS blocking reload names its msn/part in the key, so
 * all viewers blocked on the same version share one origin request too.
 */
export class EdgeFetcher {
  readonly #pool: OriginPool;
  readonly #cache: ObjectCache;
  readonly #events: FetchEvents;
  readonly #inflight = new Map<string, Inflight>();

  readonly #fillHeaders: Record<string, string>;

  constructor(
    pool: OriginPool,
    cache: ObjectCache,
    events: FetchEvents,
    /** Sent on every fill (X-Framehouse-Edge: report, when this edge reports what it serves). */
    fillHeaders: Record<string, string> = {},
  ) {
    this.#pool = pool;
    this.#cache = cache;
    this.#events = events;
    this.#fillHeaders = fillHeaders;
  }

  /** Whether a fetch of this key is under way (a stale object's refresh, say). */
  busy(key: string): boolean {
    return this.#inflight.has(key);
  }

  /**
   * The shared fetch of a key: `joined` when it was already under way. A shared non-200 answer
   * obtained with another token than this request's is not this request's answer (the other
   * token may be the bad one): the caller asks again with `exclusive`.
   */
  fill(r: FillRequest): { promise: Promise<FillResult>; joined: boolean; token: string | undefined } {
    const running = this.#inflight.get(r.key);
    if (running) {
      this.#events.coalesced();
      return { promise: running.promise, joined: true, token: running.token };
    }
    const promise = this.#fill(r).finally(() => {
      if (this.#inflight.get(r.key)?.promise === promise) this.#inflight.delete(r.key);
    });
    this.#inflight.set(r.key, { promise, token: r.token });
    return { promise, joined: false, token: r.token };
  }

  /** A fetch of its own, not shared (after a shared answer that was another token's). */
  exclusive(r: FillRequest): Promise<FillResult> {
    return this.#fill({ ...r, sink: undefined });
  }

  async #fill(r: FillRequest): Promise<FillResult> {
    const path = originPath(r.key, r.token);
    const headers: Record<string, string> = { ...this.#fillHeaders };
    let first: { origin: Origin; res: Dispatcher.ResponseData };
    this.#events.originRequest();
    try {
      first = await this.#pool.request({
        path,
        method: 'GET',
        headers,
        retryable: true,
        headersTimeout: HEADERS_TIMEOUT_MS,
        bodyTimeout: BODY_TIMEOUT_MS,
      });
    } catch (e) {
      const failed = e instanceof OriginsFailed ? e : new OriginsFailed((e as Error).message);
      const last = failed.lastAnswer;
      if (last) {
        const body = Buffer.from(await last.res.body.arrayBuffer().catch(() => new ArrayBuffer(0)));
        return {
          kind: 'failed',
          error: failed,
          answer: { status: last.res.statusCode, headers: passedHeaders(last.res.headers), body },
        };
      }
      return { kind: 'failed', error: failed };
    }
    const { res } = first;
    const h = res.headers;
    const lengthText = header(h, 'content-length');
    const length = lengthText === undefined ? undefined : Number(lengthText);

    if (res.statusCode !== 200) {
      const body = await readAll(res.body, 1024 * 1024).catch(() => null);
      if (!body) return { kind: 'uncacheable' };
      this.#events.originBytes(body.length);
      return { kind: 'answer', status: res.statusCode, headers: passedHeaders(h), body, token: r.token };
    }

    const signed = header(h, SIGNED_MARKER) === 'signed';
    if (r.playbackId) noteSigned(this.#cache.signedIds, r.playbackId, signed);
    const contentType = header(h, 'content-type') ?? '';
    // A signed playlist names the viewer's token in every URI, so it is `private` for every
    // shared cache. This edge keeps it anyway, as a template: the token it was fetched with
    // replaced by a slot, filled with each viewer's own (already checked) token when answered.
    // Tokenizing is a pure function of (playlist, token), so the result is byte for byte what
    // the origin would have sent that viewer; N viewers with N tokens cost one origin fetch
    // per playlist lifetime (1 s for signed playlists) instead of N.
    const template =
      signed &&
      r.token !== undefined &&
      !h['cdn-cache-control'] &&
      /mpegurl|text\/vtt|^text\//i.test(contentType) &&
      (length ?? 0) <= BUFFER_MAX;
    const fresh = freshnessOf(
      {
        'cache-control': header(h, 'cache-control'),
        'cdn-cache-control': header(h, 'cdn-cache-control'),
        age: header(h, 'age'),
      },
      template,
    );
    const storable =
      fresh !== null &&
      (!signed || r.canVerify) &&
      !h['set-cookie'] &&
      varyAllows(header(h, 'vary'), header(h, 'access-control-allow-origin'));

    const etag = header(h, 'etag') ?? null;
    const metaOf = (size: number): ObjectMeta => {
      let kept = storedHeaders(h);
      if (template) kept = dropHeader(kept, 'etag');
      return {
        v: 1,
        key: r.key,
        headers: kept,
        etag: template ? null : etag,
        ranges: !template && header(h, 'accept-ranges') === 'bytes',
        size,
        storedAt: Date.now(),
        age: 0,
        ttlMs: fresh?.ttlMs ?? 0,
        swrMs: fresh?.swrMs ?? 0,
        sieMs: fresh?.sieMs ?? 0,
        signed,
        template,
        playbackId: r.playbackId ?? null,
      };
    };
    const chunks = resumableBody(this.#pool, first, { path, headers, etag, length }, this.#events);

    if (length === undefined || length <= BUFFER_MAX) {
      let body: Buffer;
      try {
        body = await collect(chunks, BUFFER_MAX);
      } catch {
        return { kind: 'uncacheable' };
      }
      if (template && r.token !== undefined) {
        body = Buffer.from(body.toString('utf8').replaceAll(encodeURIComponent(r.token), TOKEN_SLOT));
      }
      const object = new CachedObject(metaOf(body.length), body);
      if (!storable) return { kind: 'object', object, stored: false };
      this.#cache.remember(object, body);
      // Written in the background: waiters are answered from memory meanwhile.
      this.#cache.disk.put(object, body).catch(() => {});
      return { kind: 'object', object, stored: true };
    }

    // Large: streamed to the first request while written to disk.
    if (!storable && !r.sink) {
      res.body.dump().catch(() => {});
      return { kind: 'uncacheable' };
    }
    const object = new CachedObject(metaOf(length), null);
    const writer = storable ? await this.#cache.disk.writer(r.key).catch(() => null) : null;
    let writing = writer !== null;
    r.sink?.start(object);
    try {
      for await (const chunk of chunks) {
        if (writing && writer && !(await writer.write(chunk))) {
          writing = false;
          await writer.abort();
        }
        if (r.sink) await r.sink.write(chunk);
      }
    } catch {
      r.sink?.fail();
      await writer?.abort();
      return { kind: 'uncacheable' };
    }
    r.sink?.end();
    if (writing && writer && (await writer.commit(object))) return { kind: 'object', object, stored: true };
    await writer?.abort();
    return { kind: 'uncacheable' };
  }
}

/**
 * The body of an origin's answer; when the origin fails in the middle, the rest comes from the
 * next origin (`Range` from where it stopped, `If-Range` on the ETag so that it is the same
 * object, or the whole answer again with what was already received skipped), so the request
 * that was being served does not fail. Without an ETag nothing can be proven the same: it fails.
 */
async function* resumableBody(
  pool: OriginPool,
  first: { origin: Origin; res: Dispatcher.ResponseData },
  r: { path: string; headers: Record<string, string>; etag: string | null; length: number | undefined },
  events: FetchEvents,
): AsyncGenerator<Buffer> {
  let answer = first;
  let received = 0;
  let skip = 0;
  const tried = new Set<Origin>([first.origin]);
  for (;;) {
    try {
      for await (const raw of answer.res.body) {
        let chunk = raw as Buffer;
        events.originBytes(chunk.length);
        if (skip > 0) {
          if (chunk.length <= skip) {
            skip -= chunk.length;
            continue;
          }
          chunk = chunk.subarray(skip);
          skip = 0;
        }
        received += chunk.length;
        yield chunk;
      }
      if (r.length !== undefined && received < r.length) throw new Error('the body ended early');
      return;
    } catch (e) {
      if (!r.etag || r.length === undefined) throw e;
      pool.markDown(answer.origin, `body: ${(e as { code?: string }).code ?? (e as Error).message}`);
      const next = await pool.request({
        path: r.path,
        method: 'GET',
        headers: { ...r.headers, range: `bytes=${received}-`, 'if-range': r.etag },
        retryable: true,
        headersTimeout: HEADERS_TIMEOUT_MS,
        bodyTimeout: BODY_TIMEOUT_MS,
        skip: tried,
      });
      tried.add(next.origin);
      const range = header(next.res.headers, 'content-range') ?? '';
      if (next.res.statusCode === 206 && range.startsWith(`bytes ${received}-`)) skip = 0;
      else if (next.res.statusCode === 200 && header(next.res.headers, 'etag') === r.etag) skip = received;
      else {
        next.res.body.dump().catch(() => {});
        throw e;
      }
      answer = next;
    }
  }
}

async function collect(chunks: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of chunks) {
    n += c.length;
    if (n > max) throw new Error('too large to hold');
    parts.push(c);
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, n);
}

async function readAll(body: AsyncIterable<unknown>, max: number): Promise<Buffer> {
  return collect(body as AsyncIterable<Buffer>, max);
}

/**
 * One stored copy serves every request: fine when the answer varies on nothing, or only on
 * Origin while it allows every origin (CORS `*`), or on Accept-Encoding (the edge asks for
 * identity and keeps that).
 */
function varyAllows(vary: string | undefined, allowOrigin: string | undefined): boolean {
  if (!vary) return true;
  return vary
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .every((v) => v === 'accept-encoding' || (v === 'origin' && allowOrigin === '*'));
}

function dropHeader(flat: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2)
    if (flat[i] !== name) out.push(flat[i] as string, flat[i + 1] as string);
  return out;
}

/**
 * What a 200 says about its playback id: signed with the marker, public without it (the origin
 * marks every answer about a signed id). An asset switched from signed to public must leave the
 * set, or its playback would keep going to the origin uncached (or keep being token-checked).
 */
export function noteSigned(signedIds: Set<string>, playbackId: string, signed: boolean): void {
  if (signed) signedIds.add(playbackId);
  else signedIds.delete(playbackId);
}
