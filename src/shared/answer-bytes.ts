import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Node's serialized header block of an answer (set once its head is written). */
type WithHead = ServerResponse & { _header?: string | null };

/** Where an answer began on its socket, for `deliveredBody` when it is done. */
export interface AnswerStart {
  socket: Socket | null;
  bytes: number;
}

export function answerStart(res: ServerResponse): AnswerStart {
  const socket = res.socket ?? null;
  return { socket, bytes: socket?.bytesWritten ?? 0 };
}

/** A header's value (lower-case `name`) in the answer's header block as written (answers written from raw arrays have no getHeader). */
export function writtenHeader(res: ServerResponse, name: string): string | undefined {
  const head = (res as WithHead)._header;
  if (!head) return undefined;
  // Fastify and the edge write header names in lower case (the edge lower-cases what it stores).
  const at = head.indexOf(`\r\n${name}:`);
  if (at < 0) return undefined;
  const end = head.indexOf('\r\n', at + 2);
  return head.slice(at + name.length + 3, end < 0 ? undefined : end).trim();
}

/**
 * The body bytes an answer delivered, once it is done ('close'): a whole answer its
 * Content-Length; an aborted (or chunked) one what its socket took since it began, less the
 * header block (capped at the length). 304s, other 3xx, errors and HEAD count nothing; `total`
 * is the whole object's size (Content-Range's, else the length) for a share of media seconds.
 */
export function deliveredBody(
  res: ServerResponse,
  start: AnswerStart,
  /** The answer's Content-Length and Content-Range when the caller has them (else read from the header block). */
  known?: { length: unknown; range: unknown },
): { bytes: number; total: number } {
  const status = res.statusCode;
  if (status >= 300 || status < 200 || res.req?.method === 'HEAD') return { bytes: 0, total: 0 };
  const length = Number((known ? known.length : writtenHeader(res, 'content-length')) ?? Number.NaN);
  const hasLength = Number.isFinite(length) && length >= 0;
  let bytes: number;
  if (res.writableFinished && hasLength) bytes = length;
  else {
    const head = (res as WithHead)._header?.length ?? 0;
    const written = (start.socket?.bytesWritten ?? start.bytes) - start.bytes - head;
    bytes = Math.max(0, hasLength ? Math.min(written, length) : written);
  }
  const rangeValue = known ? known.range : writtenHeader(res, 'content-range');
  const range = typeof rangeValue === 'string' ? rangeValue : undefined;
  const total = range ? Number(range.slice(range.lastIndexOf('/') + 1)) : hasLength ? length : bytes;
  return { bytes, total: Number.isFinite(total) ? total : bytes };
}
