import type { FastifyReply, FastifyRequest } from 'fastify';
import parseRange from 'range-parser';
import { AppError } from '../shared/errors.ts';
import { ObjectNotFoundError, type ObjectStore } from '../storage/object-store.ts';
import type { HotObjects } from './hot-objects.ts';

/** The memory tier to answer from, and whether the object at this key never changes. */
export interface HotRead {
  tier: HotObjects;
  immutable: boolean;
}

/**
 * Sends a stored object with HTTP caching and byte ranges: ETag / If-None-Match (304),
 * a single `Range: bytes=…` (206, or 416 outside the object), and the caller's Cache-Control.
 */
export async function sendObject(
  request: FastifyRequest,
  reply: FastifyReply,
  store: ObjectStore,
  key: string,
  cacheControl: string,
  /** More headers for answers that carry (or confirm) the object, e.g. Content-Disposition. */
  extraHeaders: Record<string, string> = {},
  hot?: HotRead,
): Promise<FastifyReply> {
  const whole = hot ? await hot.tier.read(key, hot.immutable) : null;
  const info = whole === undefined ? null : (whole?.info ?? (await store.stat(key)));
  if (!info) throw new AppError('FH_ERR_NOT_FOUND', 'This file does not exist (yet).');
  // Validators and caching only on answers that carry (or confirm) the object, not on errors.
  const withObjectHeaders = () =>
    reply
      .header('content-type', info.contentType)
      .header('etag', info.etag)
      .header('last-modified', info.lastModified.toUTCString())
      .header('cache-control', cacheControl)
      .header('accept-ranges', 'bytes')
      .headers(extraHeaders);

  const inm = request.headers['if-none-match'];
  if (inm?.split(',').some((t) => ['*', info.etag, `W/${info.etag}`].includes(t.trim()))) {
    return withObjectHeaders().code(304).send();
  }

  const rangeHeader = request.headers.range;
  const ifRange = request.headers['if-range'];
  if (rangeHeader && (!ifRange || ifRange === info.etag)) {
    const ranges = parseRange(info.size, rangeHeader, { combine: true });
    if (ranges === -1) {
      reply.header('content-range', `bytes */${info.size}`);
      throw new AppError('FH_ERR_RANGE_NOT_SATISFIABLE');
    }
    // Multiple ranges (multipart/byteranges) are rare for media; answer them with the whole object.
    const only = ranges !== -2 && ranges.length === 1 ? ranges[0] : undefined;
    if (only) {
      const { start, end } = only;
      const body = whole
        ? whole.body.subarray(start, end + 1)
        : await openOrNotFound(store, key, { start, end });
      withObjectHeaders()
        .code(206)
        .header('content-range', `bytes ${start}-${end}/${info.size}`)
        .header('content-length', end - start + 1);
      return reply.send(body);
    }
  }
  const body = whole ? whole.body : await openOrNotFound(store, key);
  return withObjectHeaders().header('content-length', info.size).send(body);
}

async function openOrNotFound(store: ObjectStore, key: string, range?: { start: number; end: number }) {
  try {
    return await store.get(key, range);
  } catch (e) {
    if (e instanceof ObjectNotFoundError)
      throw new AppError('FH_ERR_NOT_FOUND', 'This file does not exist (yet).');
    throw e;
  }
}
