import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AnswerStart, answerStart, deliveredBody } from '../shared/answer-bytes.ts';
import { EDGE_REPORT_HEADER, MEDIA_SECONDS_HEADER } from '../shared/playback-headers.ts';
import type { UsageSink, UsageSubjectKind } from '../usage/usage-records.ts';

interface Metered {
  usage: DeliveryUsage;
  reply: FastifyReply;
  owner: string;
  kind: UsageSubjectKind;
  id: string;
  /** The whole object's media seconds (0: not media). */
  seconds: number;
  /** Where the answer began on its socket (an aborted answer's bytes are measured from it). */
  start: AnswerStart;
  /** An X-Framehouse-Edge value not known (yet) as a reporting edge's: judged again at the drain. */
  claim: string | undefined;
}

interface Tally {
  owner: string;
  bytes: number;
  seconds: number;
}

/** An X-Framehouse-Edge value that can be a key's hash (sha256, hex): anything else is a viewer's. */
const KEY_HASH = /^[0-9a-f]{64}$/;
/** Claims waiting for the drain, at most: beyond, an answer is counted at once (spoofed values cost no memory). */
export const MAX_CLAIMS = 10_000;
const HOUR_MS = 3_600_000;

/** One hour's tallies per subject. */
interface HourTallies {
  assets: Map<string, Tally>;
  streams: Map<string, Tally>;
}

const METERED = Symbol('framehouse.usage');
type MeteredResponse = ServerResponse & { [METERED]?: Metered | undefined };

/**
 * Counts what the playback origin delivers (docs/usage.md: `delivered_bytes` and
 * `delivered_seconds`, path `origin`). A route calls `meter` once its subject is known; the count
 * is made when the answer is done with ('close', which follows 'finish' and also fires on an
 * abort): a whole answer counts its Content-Length, an aborted one the bytes its socket took since
 * the answer began less its header, a 304, an error or a HEAD nothing. Media seconds are the
 * object's seconds × the share of its bytes sent.
 *
 * The hot path's cost: one small object, one listener (a shared function, no closure), one Map
 * look-up by subject id and two additions. Tallies are kept per hour (the one the answer ended
 * in) and subject, and move to the meter, dated in their hour, when it flushes.
 */
export class DeliveryUsage {
  readonly #sink: UsageSink;
  readonly #edges: { has(value: string): boolean } | undefined;
  readonly #now: () => number;
  /** Tallies by the start (ms) of the hour their answers ended in. */
  readonly #hours = new Map<number, HourTallies>();
  // The current hour, looked up once an hour rather than on every answer (as UsageMeter does).
  #hourStart = -1;
  #hour: HourTallies | null = null;
  /**
   * Answers that claimed to be an edge's fill with a value not known when they began: a key made
   * a moment ago, or a viewer's guess. The set of edges has been reloaded by the drain (≥ 1 s
   * later), which counts them as deliveries unless the claim turned out true. Only values shaped
   * like a key's hash are held, at most MAX_CLAIMS.
   */
  readonly #claimed = new Map<
    string,
    { claim: string; kind: UsageSubjectKind; id: string; at: number; tally: Tally }
  >();

  /** `edges`: which X-Framehouse-Edge values are reporting edges' (none: every fill counts). */
  constructor(sink: UsageSink, edges?: { has(value: string): boolean }, now: () => number = Date.now) {
    this.#sink = sink;
    this.#edges = edges;
    this.#now = now;
  }

  /**
   * Meters this answer for a subject. `seconds`: the object's media seconds (0 for playlists,
   * images and other non-media), also sent as X-Framehouse-Media-Seconds for edges when > 0.
   */
  meter(
    request: FastifyRequest,
    reply: FastifyReply,
    owner: string,
    kind: UsageSubjectKind,
    id: string,
    seconds = 0,
    /** false: only the header (a hop between live nodes: the node the viewer asked counts it). */
    count = true,
  ): void {
    if (seconds > 0) reply.header(MEDIA_SECONDS_HEADER, String(seconds));
    // An edge that reports counts this itself, as served to its viewers.
    if (!count || request.method === 'HEAD') return;
    const edge = request.headers[EDGE_REPORT_HEADER];
    if (typeof edge === 'string' && this.#edges?.has(edge)) return;
    const res = reply.raw as MeteredResponse;
    if (res[METERED]) return;
    const claim = typeof edge === 'string' && this.#edges && KEY_HASH.test(edge) ? edge : undefined;
    res[METERED] = { usage: this, reply, owner, kind, id, seconds, start: answerStart(res), claim };
    res.on('close', onClose);
  }

  /** One answer's bytes and media seconds, added to its subject's tally. */
  add(
    kind: UsageSubjectKind,
    id: string,
    owner: string,
    bytes: number,
    seconds: number,
    claim?: string,
  ): void {
    const now = this.#now();
    if (claim !== undefined) {
      const at = now - (now % HOUR_MS);
      const key = `${at}\n${kind}\n${id}\n${claim}`;
      const c = this.#claimed.get(key);
      if (c) {
        c.tally.bytes += bytes;
        c.tally.seconds += seconds;
        return;
      }
      if (this.#claimed.size < MAX_CLAIMS) {
        this.#claimed.set(key, { claim, kind, id, at, tally: { owner, bytes, seconds } });
        return;
      }
      // Too many claims waiting (a viewer making them up): this one counts now, as a viewer's.
    }
    this.#tally(this.#hourOf(now), kind, id, owner, bytes, seconds);
  }

  #tally(
    hour: HourTallies,
    kind: UsageSubjectKind,
    id: string,
    owner: string,
    bytes: number,
    seconds: number,
  ): void {
    const tallies = kind === 'asset' ? hour.assets : hour.streams;
    const t = tallies.get(id);
    if (t) {
      t.bytes += bytes;
      t.seconds += seconds;
    } else tallies.set(id, { owner, bytes, seconds });
  }

  /** The tallies of the hour holding `ms`. */
  #hourOf(ms: number): HourTallies {
    const start = ms - (ms % HOUR_MS);
    if (start === this.#hourStart && this.#hour) return this.#hour;
    let hour = this.#hours.get(start);
    if (!hour) {
      hour = { assets: new Map(), streams: new Map() };
      this.#hours.set(start, hour);
    }
    // Only the newest hour is remembered: a claim judged at the drain is dated in its own hour.
    if (start >= this.#hourStart) {
      this.#hourStart = start;
      this.#hour = hour;
    }
    return hour;
  }

  /** Moves the tallies to the meter (the meter calls this before each flush). */
  drain(): void {
    for (const { claim, kind, id, at, tally } of this.#claimed.values())
      if (!this.#edges?.has(claim))
        this.#tally(this.#hourOf(at), kind, id, tally.owner, tally.bytes, tally.seconds);
    this.#claimed.clear();
    for (const [at, hour] of this.#hours) {
      for (const [subjectKind, tallies] of [
        ['asset', hour.assets],
        ['live_stream', hour.streams],
      ] as const) {
        for (const [subjectId, t] of tallies) {
          const base = { owner: t.owner, subjectKind, subjectId, dimension: 'origin', at };
          this.#sink.add({ ...base, metric: 'delivered_bytes', value: t.bytes });
          if (t.seconds > 0) this.#sink.add({ ...base, metric: 'delivered_seconds', value: t.seconds });
        }
      }
    }
    this.#hours.clear();
    this.#hourStart = -1;
    this.#hour = null;
  }
}

function onClose(this: MeteredResponse): void {
  const m = this[METERED];
  if (!m) return;
  this[METERED] = undefined;
  const { bytes, total } = deliveredBody(this, m.start, {
    length: m.reply.getHeader('content-length'),
    range: m.reply.getHeader('content-range'),
  });
  if (bytes <= 0) return;
  // A range or an aborted answer: its share of the object's bytes.
  const seconds = m.seconds > 0 ? m.seconds * (total > 0 ? Math.min(1, bytes / total) : 1) : 0;
  m.usage.add(m.kind, m.id, m.owner, bytes, seconds, m.claim);
}

/**
 * A VOD media segment's seconds: FRAMEHOUSE_SEGMENT_SECONDS, the last one the rest of the
 * asset's duration. `index` counts from 0 (`seg_00000.m4s`).
 */
export function vodSegmentSeconds(index: number, segmentSeconds: number, duration: number | null): number {
  if (!duration || duration <= 0) return segmentSeconds;
  const left = duration - index * segmentSeconds;
  return left <= 0 ? 0 : Math.min(segmentSeconds, left);
}
