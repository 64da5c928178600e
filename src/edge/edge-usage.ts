import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { type AnswerStart, answerStart, deliveredBody, writtenHeader } from '../shared/answer-bytes.ts';
import { keyHash } from '../shared/key-hash.ts';
import { MEDIA_SECONDS_HEADER } from '../shared/playback-headers.ts';
import type { OriginPool } from './origin-pool.ts';

/** Playback ids waiting to be reported, at most (then the oldest reports are dropped, logged). */
export const MAX_PENDING_IDS = 10_000;
/**
 * Entries per report, at most: the origin takes 10,000 and a 1 MB body (an entry is ≤ ~130
 * bytes), so an interval with more playback ids is sent as several reports, each with its id.
 */
export const REPORT_MAX_ENTRIES = 2_000;
const REPORT_TIMEOUT_MS = 10_000;
const HOUR_MS = 3_600_000;
/** The origin's answers that sending again cannot change (a body it refuses): dropped, logged. */
const REFUSED = new Set([400, 413]);

interface Counts {
  bytes: number;
  seconds: number;
}

interface Tracked {
  usage: EdgeUsage;
  playbackId: string;
  start: AnswerStart;
}

const TRACKED = Symbol('framehouse.edge-usage');
type TrackedResponse = ServerResponse & { [TRACKED]?: Tracked };

interface Report {
  id: string;
  /** The UTC hour (ISO start) its counts were made in: the origin dates them there. */
  hour: string;
  entries: { playback_id: string; bytes: number; seconds: number }[];
}

/**
 * What this edge served viewers per playback id (hits, misses, stale answers and pass-throughs
 * alike): body bytes and media seconds (the X-Framehouse-Media-Seconds the origin put on media
 * answers, kept with the cached object, × the share of its bytes sent). Posted to the origin's
 * `POST /v1/usage/edge-reports` every `everyMs` with the edge's API key, one report per hour
 * counted in and REPORT_MAX_ENTRIES ids; a report that fails is kept (same id: the origin counts
 * it once) and sent again first, up to MAX_PENDING_IDS ids; one the origin refuses (400, 413) is
 * dropped with a log line. On the hit path the cost is one Map update (`served`, called where
 * the answer is sent).
 */
export class EdgeUsage {
  readonly #pool: OriginPool;
  readonly #apiKey: string;
  /** The X-Framehouse-Edge value of this edge's fills: its key's hash, as the origin stores keys. */
  readonly fillHeader: string;
  readonly #everyMs: number;
  readonly #edgeName: string;
  readonly #log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  readonly #now: () => number;
  /** Counts per playback id, by the start (ms) of the hour they were made in. */
  #hours = new Map<number, Map<string, Counts>>();
  // The current hour's counts, looked up once an hour rather than on every answer.
  #hourStart = -1;
  #counts: Map<string, Counts> | null = null;
  readonly #pending: Report[] = [];
  #timer: NodeJS.Timeout | null = null;
  #sending: Promise<void> | null = null;

  constructor(o: {
    pool: OriginPool;
    apiKey: string;
    everyMs: number;
    log: { info(o: object, m: string): void; warn(o: object, m: string): void };
    edgeName?: string;
    now?: () => number;
  }) {
    this.#now = o.now ?? Date.now;
    this.#pool = o.pool;
    this.#apiKey = o.apiKey;
    this.fillHeader = keyHash(o.apiKey);
    this.#everyMs = o.everyMs;
    this.#log = o.log;
    this.#edgeName = o.edgeName ?? hostname();
  }

  /**
   * Counts an answer not sent from the cache (passed through, the origin's own answer) once it is
   * done (whole, aborted or refused): a listener, which the hit path does without (`served`).
   */
  track(res: ServerResponse, playbackId: string): void {
    const r = res as TrackedResponse;
    if (r[TRACKED]) return;
    r[TRACKED] = { usage: this, playbackId, start: answerStart(res) };
    res.on('close', onClose);
  }

  /** Whether `res` is counted here (`track`): only then may its request tell the origin not to count it. */
  tracking(res: ServerResponse): boolean {
    return (res as TrackedResponse)[TRACKED]?.usage === this;
  }

  /** An answer from the cache: `bytes` of the object sent, its share of the object's media seconds. */
  served(playbackId: string, bytes: number, o: { mediaSeconds: number; meta: { size: number } }): void {
    if (bytes <= 0) return;
    const seconds =
      o.mediaSeconds > 0 && o.meta.size > 0
        ? (o.mediaSeconds * Math.min(bytes, o.meta.size)) / o.meta.size
        : 0;
    this.add(playbackId, bytes, seconds);
  }

  add(playbackId: string, bytes: number, seconds: number): void {
    const counts = this.#hourCounts(this.#now());
    const c = counts.get(playbackId);
    if (c) {
      c.bytes += bytes;
      c.seconds += seconds;
    } else counts.set(playbackId, { bytes, seconds });
  }

  #hourCounts(ms: number): Map<string, Counts> {
    const start = ms - (ms % HOUR_MS);
    if (start === this.#hourStart && this.#counts) return this.#counts;
    let counts = this.#hours.get(start);
    if (!counts) {
      counts = new Map();
      this.#hours.set(start, counts);
    }
    this.#hourStart = start;
    this.#counts = counts;
    return counts;
  }

  start(): this {
    this.#timer ??= setInterval(() => void this.report(), this.#everyMs);
    this.#timer.unref();
    return this;
  }

  /** Reports waiting (for tests). */
  get pendingReports(): number {
    return this.#pending.length;
  }

  /** Makes a report of what was counted, then sends every report waiting, oldest first. */
  async report(): Promise<void> {
    while (this.#sending) await this.#sending;
    this.#sending = this.#send().finally(() => {
      this.#sending = null;
    });
    await this.#sending;
  }

  async #send(): Promise<void> {
    const hours = [...this.#hours].sort((a, b) => a[0] - b[0]);
    this.#hours = new Map();
    this.#hourStart = -1;
    this.#counts = null;
    for (const [start, counts] of hours) {
      const hour = new Date(start).toISOString();
      const entries = [...counts].map(([playback_id, c]) => ({
        playback_id,
        bytes: c.bytes,
        seconds: c.seconds,
      }));
      for (let i = 0; i < entries.length; i += REPORT_MAX_ENTRIES)
        this.#pending.push({ id: randomUUID(), hour, entries: entries.slice(i, i + REPORT_MAX_ENTRIES) });
    }
    while (this.#pending.length > 0) {
      const next = this.#pending[0] as Report;
      try {
        await this.#post(next);
        this.#pending.shift();
      } catch (e) {
        if (e instanceof RefusedReport) {
          this.#pending.shift();
          this.#log.warn(
            { report: next.id, playback_ids: next.entries.length, err: e.message },
            'usage report refused by the origin: dropped',
          );
          continue;
        }
        this.#log.warn(
          { err: (e as Error).message, waiting: this.#pending.length },
          'usage report not accepted: kept for the next one',
        );
        this.#bound();
        return;
      }
    }
  }

  /** At most MAX_PENDING_IDS entries wait: the oldest reports go first. */
  #bound(): void {
    let total = this.#pending.reduce((n, r) => n + r.entries.length, 0);
    while (total > MAX_PENDING_IDS && this.#pending.length > 1) {
      const dropped = this.#pending.shift() as Report;
      total -= dropped.entries.length;
      this.#log.warn(
        { report: dropped.id, playback_ids: dropped.entries.length },
        'usage report dropped: the origin has not taken reports for too long',
      );
    }
  }

  async #post(report: Report): Promise<void> {
    const body = JSON.stringify({
      id: report.id,
      edge: this.#edgeName,
      hour: report.hour,
      entries: report.entries,
    });
    const { res, origin } = await this.#pool.request({
      path: '/v1/usage/edge-reports',
      method: 'POST',
      headers: { authorization: `Bearer ${this.#apiKey}`, 'content-type': 'application/json' },
      body,
      retryable: true,
      headersTimeout: REPORT_TIMEOUT_MS,
      bodyTimeout: REPORT_TIMEOUT_MS,
    });
    const text = await res.body.text().catch(() => '');
    if (res.statusCode === 202) return;
    const message = `${origin.name} answered ${res.statusCode}: ${text.slice(0, 200)}`;
    throw REFUSED.has(res.statusCode) ? new RefusedReport(message) : new Error(message);
  }

  /** Shutdown: no more timer, one last report. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.report();
  }
}

/** The origin will never take this report (sending it again cannot help). */
class RefusedReport extends Error {}

function onClose(this: TrackedResponse): void {
  const t = this[TRACKED];
  if (!t) return;
  this[TRACKED] = undefined;
  const { bytes, total } = deliveredBody(this, t.start);
  if (bytes <= 0) return;
  // Media: the seconds the origin put on the object, × the share of its bytes sent.
  const media = Number(writtenHeader(this, MEDIA_SECONDS_HEADER));
  const seconds = media > 0 ? media * (total > 0 ? Math.min(1, bytes / total) : 1) : 0;
  t.usage.add(t.playbackId, bytes, seconds);
}
