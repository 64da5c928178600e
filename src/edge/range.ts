import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import parseRange from 'range-parser';
import { answerStart, deliveredBody } from '../shared/answer-bytes.ts';
import { ERROR_CODES } from '../shared/errors.ts';
import { type CachedObject, TOKEN_SLOT } from './cached-object.ts';
import type { ObjectCache } from './object-cache.ts';

/**
 * Answers a request from a cached object the way the origin's sendObject
 * (delivery/serve-object.ts) answers from the store, so that the bytes and statuses are the
 * same: If-None-Match → 304 (with the object's headers, no body); a single `Range` (unless an
 * If-Range names another ETag) → 206, or 416 with a `Content-Range` naming the size and the error
 * JSON; several ranges or a malformed one → the whole object. Objects the origin answers
 * without ranges (a playlist it made for the request, a live part) are answered whole, as there.
 */

const RANGE_ERROR = Buffer.from(
  JSON.stringify({
    error: {
      code: 'FH_ERR_RANGE_NOT_SATISFIABLE',
      message: ERROR_CODES.FH_ERR_RANGE_NOT_SATISFIABLE.message,
    },
  }),
);

/** What an answer cost, for the metrics. False: the object's file is gone (evicted, purged): a miss. */
export type Answered = false | number;

export async function answerObject(
  req: IncomingMessage,
  res: ServerResponse,
  o: CachedObject,
  cacheStatus: string,
  cache: ObjectCache,
  viewerToken: string | undefined,
  now = Date.now(),
): Promise<Answered> {
  // A copy per answer: the object's array is shared by every request answered from it, and this
  // one is written after an await (a file opened, a body read), when another may have set its own.
  const head = o.head.slice();
  head[o.ageSlot] = String(o.age(now));
  head[o.ageSlot + 2] = cacheStatus;
  const isHead = req.method === 'HEAD';
  const meta = o.meta;

  if (meta.template) {
    const body = await bodyOf(o, cache);
    if (!body) return false;
    const text = Buffer.from(
      body.toString('utf8').replaceAll(TOKEN_SLOT, encodeURIComponent(viewerToken ?? '')),
    );
    res.writeHead(200, [...head, 'content-length', String(text.length)]);
    res.end(isHead ? undefined : text);
    return isHead ? 0 : text.length;
  }

  const etag = meta.etag;
  if (etag) {
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && matchesEtag(inm, etag)) {
      // The object's headers without its length (none is sent with a 304).
      const h = withoutLength(head);
      res.writeHead(304, h);
      res.end();
      return 0;
    }
  }

  const rangeHeader = req.headers.range;
  if (meta.ranges && rangeHeader) {
    const ifRange = req.headers['if-range'];
    if (!ifRange || ifRange === etag) {
      const ranges = parseRange(meta.size, rangeHeader, { combine: true });
      if (ranges === -1) {
        res.writeHead(416, [
          ...corsOf(head),
          'content-range',
          `bytes */${meta.size}`,
          'content-type',
          'application/json; charset=utf-8',
          'content-length',
          String(RANGE_ERROR.length),
          'cache-status',
          cacheStatus,
        ]);
        res.end(isHead ? undefined : RANGE_ERROR);
        return 0;
      }
      const only = ranges !== -2 && ranges.length === 1 ? ranges[0] : undefined;
      if (only) {
        const { start, end } = only;
        const h = withoutLength(head);
        h.push(
          'content-range',
          `bytes ${start}-${end}/${meta.size}`,
          'content-length',
          String(end - start + 1),
        );
        return send(res, o, cache, 206, h, isHead, start, end);
      }
    }
  }
  return send(res, o, cache, 200, head, isHead, 0, meta.size - 1);
}

async function send(
  res: ServerResponse,
  o: CachedObject,
  cache: ObjectCache,
  status: number,
  head: string[],
  isHead: boolean,
  start: number,
  end: number,
): Promise<Answered> {
  const length = end - start + 1;
  if (isHead) {
    res.writeHead(status, head);
    res.end();
    return 0;
  }
  // Hot and small: from memory, one write.
  const body = o.body ?? (o.meta.size <= cache.memoryObjectMax ? await cache.readSmall(o) : null);
  if (body) {
    res.writeHead(status, head);
    res.end(length === body.length ? body : body.subarray(start, end + 1));
    return length;
  }
  if (!o.file) return false;
  // Large: streamed from its file (opened first: a file evicted meanwhile is a miss, not an error).
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(o.file, 'r');
  } catch {
    return false;
  }
  const began = answerStart(res);
  res.writeHead(status, head);
  if (length <= 0) {
    await fh.close();
    res.end();
    return 0;
  }
  const stream = createReadStream('', { fd: fh.fd, start, end, autoClose: false, highWaterMark: 256 * 1024 });
  try {
    await pipeline(stream, res);
  } catch {
    // The viewer left: what its socket took since the answer began, less the header (as the
    // origin counts, shared/answer-bytes.ts). The file's bytesRead would include what was read
    // ahead and buffered but never written.
    const { bytes } = deliveredBody(res, began);
    res.destroy();
    await fh.close().catch(() => {});
    return Math.min(bytes, length);
  }
  await fh.close().catch(() => {});
  return length;
}

async function bodyOf(o: CachedObject, cache: ObjectCache): Promise<Buffer | null> {
  return o.body ?? cache.readSmall(o);
}

function matchesEtag(inm: string, etag: string): boolean {
  for (const t of inm.split(',')) {
    const tag = t.trim();
    if (tag === '*' || tag === etag || tag === `W/${etag}`) return true;
  }
  return false;
}

function withoutLength(head: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < head.length; i += 2) {
    if (head[i] !== 'content-length') out.push(head[i] as string, head[i + 1] as string);
  }
  return out;
}

/** The CORS headers of the object, which the origin also sends on its errors. */
function corsOf(head: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < head.length; i += 2) {
    const name = head[i] as string;
    if (name.startsWith('access-control-') || name === 'vary') out.push(name, head[i + 1] as string);
  }
  return out;
}
