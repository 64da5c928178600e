import { hourBucket, type UsageEntry, type UsageSink } from './usage-records.ts';

/** One counter as the flush writes it: a row of usage_records to add to. */
export interface UsageCount {
  bucket: string;
  owner: string;
  subject_kind: UsageEntry['subjectKind'];
  subject_id: string;
  metric: UsageEntry['metric'];
  dimension: string;
  value: number;
}

const SEP = '\u0000';
const HOUR_MS = 3_600_000;

/**
 * The process's usage counters (docs/usage.md, "What is metered"). `add` is what the hot paths
 * call: one string key and one Map update, no I/O. Every `flushSeconds` (and at `stop`) the
 * counters are handed to `write` (an add-upsert in one transaction) and start again from zero;
 * a write that fails gives its counts back, so the next flush carries them.
 */
export class UsageMeter implements UsageSink {
  readonly #write: (counts: UsageCount[]) => Promise<void>;
  readonly #onError: (err: unknown) => void;
  readonly #now: () => number;
  readonly #everyMs: number;
  #counts = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  // The current hour's bucket, made once an hour rather than on every add.
  #hourStart = -1;
  #hourBucket = '';
  /** Called before each flush: counters kept elsewhere (the delivery path's tallies) move in. */
  readonly #sources: (() => void)[] = [];
  flushes = 0;
  failures = 0;

  constructor(deps: {
    write: (counts: UsageCount[]) => Promise<void>;
    onError: (err: unknown) => void;
    flushSeconds: number;
    now?: () => number;
  }) {
    this.#write = deps.write;
    this.#onError = deps.onError;
    this.#now = deps.now ?? Date.now;
    this.#everyMs = deps.flushSeconds * 1000;
  }

  add(e: UsageEntry): void {
    if (!(e.value > 0) || !Number.isFinite(e.value)) return;
    const key =
      this.#bucketOf(e.at ?? this.#now()) +
      SEP +
      e.owner +
      SEP +
      e.subjectKind +
      SEP +
      e.subjectId +
      SEP +
      e.metric +
      SEP +
      e.dimension;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + e.value);
  }

  #bucketOf(ms: number): string {
    const start = ms - (ms % HOUR_MS);
    if (start === this.#hourStart) return this.#hourBucket;
    const bucket = hourBucket(ms);
    // Only the newest hour is remembered: amounts dated in an earlier hour (a walk's interval)
    // make their own bucket string.
    if (start > this.#hourStart) {
      this.#hourStart = start;
      this.#hourBucket = bucket;
    }
    return bucket;
  }

  /** `drain` adds what it holds to this meter before every flush (and the last one). */
  addSource(drain: () => void): void {
    this.#sources.push(drain);
  }

  /** Counters not written yet (for tests and the metrics). */
  get pending(): number {
    return this.#counts.size;
  }

  start(): this {
    this.#timer ??= setInterval(() => void this.flush(), this.#everyMs);
    this.#timer.unref();
    return this;
  }

  /** Writes what was counted so far; one flush at a time (a second caller waits for the first, then writes). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    for (const drain of this.#sources) drain();
    if (this.#counts.size === 0) return;
    const taken = this.#counts;
    this.#counts = new Map();
    this.#flushing = this.#write(rowsOf(taken))
      .then(() => {
        this.flushes++;
      })
      .catch((err: unknown) => {
        this.failures++;
        // Given back: added to whatever was counted meanwhile, written by the next flush.
        for (const [key, value] of taken) this.#counts.set(key, (this.#counts.get(key) ?? 0) + value);
        this.#onError(err);
      })
      .finally(() => {
        this.#flushing = null;
      });
    await this.#flushing;
  }

  /** Stops the timer and writes what is left (shutdown). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }
}

function rowsOf(counts: Map<string, number>): UsageCount[] {
  const rows: UsageCount[] = [];
  for (const [key, value] of counts) {
    const [bucket, owner, kind, subjectId, metric, dimension] = key.split(SEP) as [
      string,
      string,
      UsageCount['subject_kind'],
      string,
      UsageCount['metric'],
      string,
    ];
    rows.push({ bucket, owner, subject_kind: kind, subject_id: subjectId, metric, dimension, value });
  }
  return rows;
}
