import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { AppError, ERROR_CODES, type ErrorCode } from '../shared/errors.ts';
import { EDGE_REPORT_HEADER, SIGNED_MARKER } from '../shared/playback-headers.ts';
import { parseTarget, type RequestTarget } from './cache-key.ts';
import { CACHE_STATUS } from './cache-status.ts';
import type { CachedObject } from './cached-object.ts';
import { type EdgeFetcher, type FillResult, noteSigned, type StreamSink } from './edge-fetch.ts';
import type { EdgeMetrics } from './edge-metrics.ts';
import type { EdgeUsage } from './edge-usage.ts';
import { forwardedRequestHeaders, header, passedHeaders } from './headers.ts';
import type { ObjectCache } from './object-cache.ts';
import type { OriginPool } from './origin-pool.ts';
import { answerObject } from './range.ts';
import type { TokenCheck } from './token-check.ts';

export interface EdgeDeps {
  pool: OriginPool;
  cache: ObjectCache;
  fetcher: EdgeFetcher;
  tokens: TokenCheck | null;
  metrics: EdgeMetrics;
  /** Keep a CDN's X-Forwarded-* (see edge-config.ts). */
  trustForwarded: boolean;
  /** What viewers are served, reported to the origin (with an API key); null: not reported. */
  usage?: EdgeUsage | null;
  /** Whether a request may read /metrics (its Authorization header and address). */
  metricsAllowed: (authorization: string | undefined, ip: string) => boolean;
  log: { warn(o: object, msg: string): void; error(o: object, msg: string): void };
}

/** Methods sent again to the next origin when one fails (no body to replay). */
const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Origin answers a stale copy is served instead of (RFC 5861 4). */
const STALE_IF_ERROR = new Set([500, 502, 503, 504]);
const HEALTH = Buffer.from('{"status":"ok"}');

/**
 * The edge's request handler (plain node:http: the hit path is a lookup and one write, no
 * framework between). `/play/…` GET and HEAD go through the cache; everything else (the API,
 * the web app, uploads, the event stream) passes through to the origins, with failover for
 * requests that can be sent twice.
 */
export function edgeHandler(d: EdgeDeps) {
  const { cache, fetcher, metrics, tokens } = d;

  const refuse = (res: ServerResponse, e: unknown) => {
    const err = e instanceof AppError ? e : new AppError('FH_ERR_PLAYBACK_TOKEN_INVALID');
    metrics.requests.refused.inc();
    sendError(res, err.code, err.message, CACHE_STATUS.refused);
  };

  const serveObject = async (
    req: IncomingMessage,
    res: ServerResponse,
    o: CachedObject,
    status: string,
    t: RequestTarget,
  ): Promise<boolean> => {
    const sent = await answerObject(req, res, o, status, cache, t.token);
    if (sent === false) return false;
    metrics.served.inc(sent);
    if (t.playbackId !== undefined) d.usage?.served(t.playbackId, sent, o);
    return true;
  };

  /** Signed playback the edge cannot check (no API key, keys not fetched yet): the origin decides. */
  const canVerify = () => tokens?.ready === true;

  async function playback(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    const t = parseTarget(url);
    const pid = t.playbackId;
    // Answers from the cache count what they send (serveObject, the streamed first answer);
    // the others (passed through, the origin's own answer) when they are done.
    if (t.bypass) {
      if (pid !== undefined) d.usage?.track(res, pid);
      return passThrough(req, res, CACHE_STATUS.bypass);
    }
    if (pid !== undefined && cache.signedIds.has(pid)) {
      if (!tokens || !canVerify()) {
        d.usage?.track(res, pid);
        return passThrough(req, res, CACHE_STATUS.bypass, pid);
      }
      try {
        await tokens.verify(t.token, pid);
      } catch (e) {
        return refuse(res, e);
      }
    }
    const now = Date.now();
    const o = cache.get(t.key);
    const state = o?.freshness(now);
    if (o && state === 'fresh') {
      metrics.requests.hit.inc();
      if (await serveObject(req, res, o, CACHE_STATUS.hit, t)) return;
    } else if (o && state === 'stale-revalidate') {
      metrics.requests.stale.inc();
      if (!fetcher.busy(t.key))
        fetcher
          .fill({ key: t.key, playbackId: pid, token: t.token, canVerify: canVerify() })
          .promise.catch(() => {});
      if (await serveObject(req, res, o, CACHE_STATUS.staleWhileRevalidate, t)) return;
    }

    // A miss (or too stale): one origin fetch per key, shared.
    const streamable = req.method === 'GET' && !req.headers.range && !req.headers['if-none-match'];
    const sink = streamable
      ? streamSink(res, o ? CACHE_STATUS.staleStored : CACHE_STATUS.missStored)
      : undefined;
    const fill = fetcher.fill({ key: t.key, playbackId: pid, token: t.token, canVerify: canVerify(), sink });
    let result: FillResult = await fill.promise;
    if (sink?.started) {
      metrics.requests.miss.inc();
      metrics.served.inc(sink.bytes);
      if (pid !== undefined && sink.object) d.usage?.served(pid, sink.bytes, sink.object);
      return;
    }
    const othersToken = fill.joined && fill.token !== t.token;
    if (othersToken && result.kind === 'answer') {
      // A refusal (or any error) of another viewer's token is not this viewer's answer.
      result = await fetcher.exclusive({
        key: t.key,
        playbackId: pid,
        token: t.token,
        canVerify: canVerify(),
      });
    } else if (othersToken && result.kind === 'object' && result.object.meta.signed) {
      // Signed, which was not known when this request came: its own token is checked now.
      if (tokens && canVerify()) {
        try {
          await tokens.verify(t.token, pid ?? '');
        } catch (e) {
          return refuse(res, e);
        }
      } else {
        result = await fetcher.exclusive({ key: t.key, playbackId: pid, token: t.token, canVerify: false });
      }
    }

    switch (result.kind) {
      case 'object': {
        const stored = result.stored;
        const status = fill.joined
          ? stored
            ? CACHE_STATUS.collapsedStored
            : CACHE_STATUS.collapsed
          : o
            ? stored
              ? CACHE_STATUS.staleStored
              : CACHE_STATUS.stale
            : stored
              ? CACHE_STATUS.missStored
              : CACHE_STATUS.miss;
        metrics.requests.miss.inc();
        if (await serveObject(req, res, result.object, status, t)) return;
        if (pid !== undefined) d.usage?.track(res, pid);
        return passThrough(req, res, CACHE_STATUS.bypass);
      }
      case 'answer': {
        // A 500 or 503 is the origin's answer, not its failure, but a stale copy still beats it
        // (stale-if-error, RFC 5861 4: 500, 502, 503, 504).
        if (o && STALE_IF_ERROR.has(result.status) && usableOnError(o)) {
          metrics.requests.stale.inc();
          if (await serveObject(req, res, o, CACHE_STATUS.staleIfError, t)) return;
        }
        metrics.requests.miss.inc();
        metrics.served.inc(result.body.length);
        if (pid !== undefined) d.usage?.track(res, pid);
        res.writeHead(result.status, [...result.headers, 'cache-status', CACHE_STATUS.miss]);
        res.end(req.method === 'HEAD' ? undefined : result.body);
        return;
      }
      case 'uncacheable':
        if (pid !== undefined) d.usage?.track(res, pid);
        return passThrough(req, res, CACHE_STATUS.bypass);
      case 'failed': {
        // Every origin failed: what is stale is better than nothing (RFC 9111 4.2.4, RFC 5861).
        if (o && usableOnError(o)) {
          metrics.requests.stale.inc();
          if (await serveObject(req, res, o, CACHE_STATUS.staleIfError, t)) return;
        }
        metrics.requests.failed.inc();
        if (result.answer) {
          res.writeHead(result.answer.status, [
            ...result.answer.headers,
            'cache-status',
            CACHE_STATUS.failed,
          ]);
          res.end(result.answer.body);
          return;
        }
        d.log.warn({ key: t.path, err: result.error.message }, 'no origin answered');
        sendError(
          res,
          'FH_ERR_ORIGIN_UNAVAILABLE',
          ERROR_CODES.FH_ERR_ORIGIN_UNAVAILABLE.message,
          CACHE_STATUS.failed,
        );
        return;
      }
    }
  }

  /** `playbackId`: a signed id's playback, whose 200 without the marker says it is public now. */
  async function passThrough(
    req: IncomingMessage,
    res: ServerResponse,
    status: string,
    playbackId?: string,
  ): Promise<void> {
    if (status === CACHE_STATUS.bypass || status === CACHE_STATUS.method) metrics.requests.bypass.inc();
    const method = req.method ?? 'GET';
    const retryable = RETRYABLE.has(method);
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClose);
    try {
      const headers = forwardedRequestHeaders(req.headers, {
        address: req.socket.remoteAddress,
        tls: (req.socket as { encrypted?: boolean }).encrypted === true,
        trustForwarded: d.trustForwarded,
      });
      // Playback passed through is counted here (as served), not at the origin: only an answer
      // this edge tracks says so. One it cannot tie to a playback id (a percent-encoded path, two
      // tokens: parseTarget gives none) goes without the header, and the origin counts it.
      if (d.usage?.tracking(res)) headers[EDGE_REPORT_HEADER] = d.usage.fillHeader;
      const { res: up } = await d.pool.request({
        path: req.url ?? '/',
        method,
        headers,
        body: retryable ? null : req,
        retryable,
        headersTimeout: 120_000,
        // Event streams and long uploads: no limit between chunks.
        bodyTimeout: 0,
        signal: abort.signal,
      });
      if (playbackId !== undefined && up.statusCode === 200)
        noteSigned(cache.signedIds, playbackId, header(up.headers, SIGNED_MARKER) === 'signed');
      res.writeHead(up.statusCode, [...passedHeaders(up.headers), 'cache-status', status]);
      if (method === 'HEAD') {
        await up.body.dump().catch(() => {});
        res.end();
        return;
      }
      await pipeline(up.body, res);
    } catch (e) {
      if (abort.signal.aborted) return;
      if (!res.headersSent) {
        metrics.requests.failed.inc();
        sendError(
          res,
          'FH_ERR_ORIGIN_UNAVAILABLE',
          ERROR_CODES.FH_ERR_ORIGIN_UNAVAILABLE.message,
          CACHE_STATUS.failed,
        );
      } else res.destroy(e as Error);
    } finally {
      res.off('close', onClose);
    }
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const method = req.method;
    try {
      if (method === 'GET' || method === 'HEAD') {
        if (url.startsWith('/play/')) return await playback(req, res, url);
        if (url === '/healthz') {
          res.writeHead(200, ['content-type', 'application/json', 'content-length', String(HEALTH.length)]);
          res.end(method === 'HEAD' ? undefined : HEALTH);
          return;
        }
        if (url === '/metrics') {
          if (!d.metricsAllowed(req.headers.authorization, req.socket.remoteAddress ?? '')) {
            sendError(res, 'FH_ERR_FORBIDDEN', ERROR_CODES.FH_ERR_FORBIDDEN.message, CACHE_STATUS.bypass);
            return;
          }
          const text = await metrics.registry.metrics();
          res.writeHead(200, ['content-type', metrics.registry.contentType]);
          res.end(text);
          return;
        }
        return await passThrough(req, res, CACHE_STATUS.bypass);
      }
      return await passThrough(req, res, CACHE_STATUS.method);
    } catch (e) {
      d.log.error({ err: (e as Error).message, url: url.split('?')[0] }, 'edge request failed');
      if (!res.headersSent)
        sendError(res, 'FH_ERR_INTERNAL', ERROR_CODES.FH_ERR_INTERNAL.message, CACHE_STATUS.failed);
      else res.destroy();
    }
  };
}

/** A cached copy still within its stale-if-error window (or fresh again): better than an error. */
function usableOnError(o: CachedObject): boolean {
  const state = o.freshness(Date.now());
  return state === 'stale-error' || state === 'stale-revalidate' || state === 'fresh';
}

/** The origin's error shape (`{ error: { code, message } }`), with the Cache-Status. */
function sendError(res: ServerResponse, code: ErrorCode, message: string, status: string): void {
  const body = Buffer.from(JSON.stringify({ error: { code, message } }));
  res.writeHead(ERROR_CODES[code].status, [
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(body.length),
    'cache-status',
    status,
    // Playback is open to players on every site, its refusals too (as at the origin).
    'access-control-allow-origin',
    '*',
  ]);
  res.end(body);
}

/** The first request of a large object gets its bytes as they arrive from the origin. */
function streamSink(
  res: ServerResponse,
  status: string,
): StreamSink & { started: boolean; bytes: number; object: CachedObject | null } {
  return {
    started: false,
    bytes: 0,
    object: null,
    start(o) {
      this.started = true;
      this.object = o;
      // A copy: the object's head is shared with every later answer from it.
      const head = o.head.slice();
      head[o.ageSlot] = '0';
      head[o.ageSlot + 2] = status;
      res.writeHead(200, head);
    },
    async write(chunk) {
      if (res.destroyed) return; // the viewer left: the object is still written to disk
      this.bytes += chunk.length;
      if (res.write(chunk)) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    },
    end() {
      res.end();
    },
    fail() {
      res.destroy();
    },
  };
}
