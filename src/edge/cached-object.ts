import { MEDIA_SECONDS_HEADER } from '../shared/playback-headers.ts';

/**
 * One object the edge holds: the origin's 200 answer (its body, the headers worth replaying,
 * its freshness) as stored in a file of the disk cache and, when hot and small, in memory.
 */
export interface ObjectMeta {
  v: 1;
  key: string;
  /** Headers to replay, flat `[name, value, …]` in lower case (no hop-by-hop, length or date). */
  headers: string[];
  etag: string | null;
  /** The origin answers byte ranges of it (it said `Accept-Ranges: bytes`): so does the edge. */
  ranges: boolean;
  size: number;
  /** Epoch ms it was stored (or last confirmed fresh). */
  storedAt: number;
  /** `Age` it already had when it came. */
  age: number;
  ttlMs: number;
  swrMs: number;
  sieMs: number;
  /** From a signed playback id: answered only to a valid token. */
  signed: boolean;
  /** A signed playlist with TOKEN_SLOT where the viewer's token goes (see edge-fetch.ts). */
  template: boolean;
  playbackId: string | null;
}

/** Stands for the viewer's (URL-encoded) token in a stored signed playlist. */
export const TOKEN_SLOT = '\u0000framehouse-edge-token\u0000';

export type Freshness = 'fresh' | 'stale-revalidate' | 'stale-error' | 'expired';

export class CachedObject {
  readonly meta: ObjectMeta;
  /** The file in the disk cache, once written. */
  file: string | null = null;
  /** Bytes of the file (body and metadata): what counts against the disk cap. */
  fileSize = 0;
  /** The body, when held in memory. */
  body: Buffer | null;
  /**
   * The headers of a full 200 answer, computed once: replayed headers, then accept-ranges,
   * content-length, and two slots (age, cache-status) filled in per answer.
   */
  readonly head: string[];
  readonly ageSlot: number;
  /** The media seconds the origin said the object carries (X-Framehouse-Media-Seconds); 0: not media. */
  readonly mediaSeconds: number;

  constructor(meta: ObjectMeta, body: Buffer | null) {
    this.meta = meta;
    this.body = body;
    const at = meta.headers.indexOf(MEDIA_SECONDS_HEADER);
    const seconds = at >= 0 && at % 2 === 0 ? Number(meta.headers[at + 1]) : 0;
    this.mediaSeconds = seconds > 0 ? seconds : 0;
    this.head = [...meta.headers];
    if (meta.ranges) this.head.push('accept-ranges', 'bytes');
    if (!meta.template) this.head.push('content-length', String(meta.size));
    this.ageSlot = this.head.length + 1;
    this.head.push('age', '0', 'cache-status', '');
  }

  freshness(now: number): Freshness {
    const past = now - this.meta.storedAt - this.meta.ttlMs;
    if (past < 0) return 'fresh';
    if (past < this.meta.swrMs) return 'stale-revalidate';
    if (past < this.meta.sieMs) return 'stale-error';
    return 'expired';
  }

  /** Age in seconds (RFC 9111 4.2.3): what it had when it came plus what it spent here. */
  age(now: number): number {
    return this.meta.age + Math.max(0, Math.floor((now - this.meta.storedAt) / 1000));
  }
}
