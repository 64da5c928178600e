import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AnswerStart, answerStart, deliveredBody } from '../shared/answer-bytes.ts';
import type { UsageSink, UsageSubjectKind } from '../usage/usage-records.ts';

/** An edge that reports what it served sends this on its fills: the origin does not count them. */
export const EDGE_REPORT_HEADER = 'x-framehouse-edge';
/** The media seconds of a segment or part, for an edge to count from its cache. */
export const MEDIA_SECONDS_HEADER = 'x-framehouse-media-seconds';

interface Metered {
  sink: UsageSink;
  owner: string;
  kind: UsageSubjectKind;
  id: string;
  /** The whole object's media seconds (0: not media). */
  seconds: number;
  /** Where the answer began on its socket (an aborted answer's bytes are measured from it). */
  start: AnswerStart;
}

const METERED = Symbol('framehouse.usage');
type MeteredResponse = ServerResponse & { [METERED]?: Metered };

/**
 * Counts what the playback origin delivers (docs/usage.md: `delivered_bytes` and
 * `delivered_seconds`, path `origin`). A route calls `meter` once its subject is known; the count
 * is made when the answer's connection is done with it ('close', which follows 'finish' and also
 * fires on an abort): a whole answer counts its Content-Length, an aborted one the bytes the socket
 * took since the answer began less its header, a 304 or a HEAD nothing. Media seconds are the
 * object's seconds × the share of its bytes sent. The listener is one shared function (no
 * closure per request); the cost is an object, a listener and two Map updates.
 */
export class DeliveryUsage {
  readonly #sink: UsageSink;

  constructor(sink: UsageSink) {
    this.#sink = sink;
  }

  /**
   * Meters this answer for a subject. `seconds`: the object's media seconds (0 for playlists,
   * images and other non-media), also sent as X-Framehouse-Media-Seconds for edges when > 0.
   */
  meter(
    request: FastifyRequest,
    reply: FastifyReply,
    subject: { owner: string; kind: UsageSubjectKind; id: string },
    seconds = 0,
    /** false: only the header (a hop between live nodes: the node the viewer asked counts it). */
    count = true,
  ): void {
    if (seconds > 0) reply.header(MEDIA_SECONDS_HEADER, String(seconds));
    // An edge that reports counts this itself, as served to its viewers.
    if (!count || request.headers[EDGE_REPORT_HEADER] === 'report' || request.method === 'HEAD') return;
    const res = reply.raw as MeteredResponse;
    if (res[METERED]) return;
    res[METERED] = {
      sink: this.#sink,
      owner: subject.owner,
      kind: subject.kind,
      id: subject.id,
      seconds,
      start: answerStart(res),
    };
    res.once('close', onClose);
  }
}

function onClose(this: MeteredResponse): void {
  const m = this[METERED];
  if (!m) return;
  this[METERED] = undefined;
  const { bytes, total } = deliveredBody(this, m.start);
  if (bytes <= 0) return;
  const at = Date.now();
  m.sink.add({
    owner: m.owner,
    subjectKind: m.kind,
    subjectId: m.id,
    metric: 'delivered_bytes',
    dimension: 'origin',
    value: bytes,
    at,
  });
  // A range or an aborted answer: its share of the object's bytes.
  if (m.seconds > 0)
    m.sink.add({
      owner: m.owner,
      subjectKind: m.kind,
      subjectId: m.id,
      metric: 'delivered_seconds',
      dimension: 'origin',
      value: m.seconds * (total > 0 ? Math.min(1, bytes / total) : 1),
      at,
    });
}

/**
 * A VOD media segment's seconds: FRAMEHOUSE_SEGMENT_SECONDS, the last one the remainder of the
 * asset's duration. `index` counts from 0 (`seg_00000.m4s`).
 */
export function vodSegmentSeconds(index: number, segmentSeconds: number, duration: number | null): number {
  if (!duration || duration <= 0) return segmentSeconds;
  const left = duration - index * segmentSeconds;
  return left <= 0 ? 0 : Math.min(segmentSeconds, left);
}
