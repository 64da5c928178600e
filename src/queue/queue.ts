import { type ExpressionBuilder, type Kysely, type RawBuilder, sql } from 'kysely';
import { dialectOf } from '../db/dialect-helpers.ts';
import type { Database, JobRow, JobState } from '../db/schema.ts';
import { newId } from '../shared/ids.ts';
import { InProcessNotifier, type JobNotifier } from './notifier.ts';

/**
 * The SQL lease queue (semantics as SQS, see ARCHITECTURE.md "Job queue semantics").
 *
 * A job row moves   queued ──claim──▶ running ──complete──▶ completed
 *                      ▲                 │ └──fail (permanent, or out of attempts)──▶ dead
 *                      └─fail (retry) / release / lease expiry┘        redrive ──▶ queued
 *
 * - A claim is a lease: `lease_owner` + `lease_until`. A running job whose lease has expired is
 *   visible again (its worker died or hangs) and the next claim takes it over, counting an attempt
 *   — unless the job has crash allowance left (`crashAllowance`: attempts cut off by a worker's
 *   death that are forgiven, counted in `crashes`). Once it has used all its attempts and its
 *   allowance, `reapExpired` makes it dead instead.
 * - Every call that acts for a worker (heartbeat, complete, fail, release) names the lease owner
 *   and does nothing when that owner no longer holds the lease: the owner string is the fencing
 *   token. Use a distinct owner per claim (the WorkerPool does) when one process might re-claim
 *   a job whose lease it let expire.
 * - Every statement is a single autocommitted UPDATE/INSERT/DELETE (no explicit transaction), so
 *   it is atomic on SQLite and needs no retry loop on PostgreSQL — except dead-lettering, whose
 *   UPDATE shares a transaction with the `onDeadLetter` hook (the server records `job.dead`
 *   events there: the event exists iff the job died).
 * - Times are ISO-8601 UTC strings of equal width, compared as strings, from the injectable clock.
 */

/** Anything that runs queries: the database, or the caller's transaction (a Transaction is a Kysely). */
export type QueueExecutor = Kysely<Database>;

export interface EnqueueOptions {
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** Higher runs first. Default 0. */
  priority?: number;
  /** While a job with this key is queued or running, enqueueing it again returns that job. */
  dedupeKey?: string;
  /** Attempts before the job is dead. Default 5. */
  maxAttempts?: number;
  /**
   * How many attempts cut off by their worker's death (the lease expired) do not count against
   * maxAttempts. Default 0: every claim counts, as in SQS.
   */
  crashAllowance?: number;
}

export interface EnqueueResult {
  id: string;
  /** True when an existing queued or running job with the same dedupe key was returned instead. */
  deduplicated: boolean;
}

export interface ClaimedJob {
  id: string;
  type: string;
  payload: unknown;
  /** 1 on the first attempt. */
  attempts: number;
  maxAttempts: number;
  /** ISO-8601: the lease ends then unless it is extended by a heartbeat. */
  leaseUntil: string;
}

export interface FailError {
  message: string;
  retryable: boolean;
  /**
   * The attempt failed because a dependency (database, object store) was down, not because of the
   * job: it is queued again without using up an attempt, so an outage longer than the job's
   * back-off does not dead-letter work that would succeed once it ends.
   */
  outage?: boolean;
}

/** A job as admins and tests see it. */
export interface JobInfo {
  id: string;
  type: string;
  payload: unknown;
  state: JobState;
  priority: number;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  leaseOwner: string | null;
  leaseUntil: string | null;
  dedupeKey: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface TypeStats {
  /** Claimable now: queued and due, or running with an expired lease and attempts left. */
  queued: number;
  /** Queued with run_at in the future (delayed or backing off). */
  delayed: number;
  /** Running under a live lease (or an expired one awaiting the reaper). */
  running: number;
  dead: number;
  /** Age of the oldest claimable job (now − run_at), 0 when none: the autoscaling signal. */
  oldestVisibleAgeSeconds: number;
}

export interface BackoffOptions {
  /** Delay before the second attempt; doubles each attempt. Default 2000 ms. */
  baseMs?: number;
  /** Cap. Default 10 minutes. */
  maxMs?: number;
}

export interface JobQueueOptions {
  db: Kysely<Database>;
  /** Milliseconds since the epoch. Tests pass a controllable clock. */
  now?: () => number;
  /** Wake-up hook for workers. Default: in-process. */
  notifier?: JobNotifier;
  backoff?: BackoffOptions;
  /** [0, 1): the jitter source (tests pass a constant). */
  random?: () => number;
  /**
   * Runs in the transaction that dead-letters jobs (the queue knows nothing of what a job is
   * about; the composition root records the `job.dead` events here).
   */
  onDeadLetter?: (trx: QueueExecutor, jobs: DeadLetteredJob[]) => Promise<void>;
}

/** A job that has just become dead, as `onDeadLetter` sees it. */
export interface DeadLetteredJob {
  id: string;
  type: string;
  /** As stored: JSON. */
  payload: string;
  attempts: number;
  last_error: string | null;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
/** Back-off after an outage's failure as after this many failures (2 s base: 8–16 s). */
const OUTAGE_RETRY_ATTEMPT = 4;
/**
 * How long after its creation a job's outage failures are forgiven. Bounded, so a job whose own
 * failure merely looks like an outage (a store that always answers 500 for its object) is still
 * dead-lettered in the end rather than retried for ever; six hours covers a database failover or a
 * store's bad afternoon.
 */
export const OUTAGE_GRACE_MS = 6 * 3600_000;
const MAX_ERROR_LENGTH = 4000;
const LIVE_STATES: JobState[] = ['queued', 'running'];

export class JobQueue {
  readonly #db: Kysely<Database>;
  readonly #now: () => number;
  readonly #notifier: JobNotifier;
  readonly #random: () => number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #onDeadLetter: (trx: QueueExecutor, jobs: DeadLetteredJob[]) => Promise<void>;

  constructor(options: JobQueueOptions) {
    this.#db = options.db;
    this.#now = options.now ?? Date.now;
    this.#notifier = options.notifier ?? new InProcessNotifier();
    this.#random = options.random ?? Math.random;
    this.#backoffBaseMs = options.backoff?.baseMs ?? 2000;
    this.#backoffMaxMs = options.backoff?.maxMs ?? 10 * 60_000;
    this.#onDeadLetter = options.onDeadLetter ?? (async () => {});
  }

  /**
   * Adds a job. Pass the caller's transaction as `executor`, so the job exists if and only if
   * the change that needs it commits.
   */
  async enqueue(
    executor: QueueExecutor,
    type: string,
    payload: unknown,
    opts: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    const delayMs = opts.delayMs ?? 0;
    const priority = opts.priority ?? 0;
    const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const crashAllowance = opts.crashAllowance ?? 0;
    if (!type) throw new TypeError('enqueue: the job type is empty');
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`enqueue: bad delayMs ${delayMs}`);
    if (!Number.isInteger(priority))
      throw new RangeError(`enqueue: priority must be an integer (${priority})`);
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError(`enqueue: maxAttempts must be an integer ≥ 1 (${maxAttempts})`);
    }
    if (!Number.isInteger(crashAllowance) || crashAllowance < 0) {
      throw new RangeError(`enqueue: crashAllowance must be an integer ≥ 0 (${crashAllowance})`);
    }
    const nowMs = this.#now();
    const now = iso(nowMs);
    const row = {
      id: newId(),
      type,
      payload: JSON.stringify(payload ?? null),
      state: 'queued' as const,
      priority,
      attempts: 0,
      max_attempts: maxAttempts,
      crash_allowance: crashAllowance,
      run_at: iso(nowMs + delayMs),
      lease_owner: null,
      lease_until: null,
      dedupe_key: opts.dedupeKey ?? null,
      last_error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    };

    if (row.dedupe_key === null) {
      await executor.insertInto('jobs').values(row).execute();
      if (delayMs === 0) await this.#notifier.notify(executor, type);
      return { id: row.id, deduplicated: false };
    }

    // The partial unique index on dedupe_key (state queued|running) turns a duplicate into a
    // no-op. The holder of the key may finish between our insert and our look-up: then insert again.
    for (let i = 0; i < 5; i++) {
      const inserted = await executor
        .insertInto('jobs')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) {
        if (delayMs === 0) await this.#notifier.notify(executor, type);
        return { id: inserted.id, deduplicated: false };
      }
      const existing = await executor
        .selectFrom('jobs')
        .select('id')
        .where('dedupe_key', '=', row.dedupe_key)
        .where('state', 'in', LIVE_STATES)
        .executeTakeFirst();
      if (existing) return { id: existing.id, deduplicated: true };
    }
    throw new Error(`enqueue: could not insert or find the job with dedupe key ${row.dedupe_key}`);
  }

  /**
   * Leases up to `n` visible jobs of the given types to `workerId`, highest priority first, then
   * oldest run_at. `visibilityTimeoutMs` may depend on the job type.
   */
  async claim(
    types: readonly string[],
    n: number,
    workerId: string,
    visibilityTimeoutMs: number | ((type: string) => number),
  ): Promise<ClaimedJob[]> {
    if (types.length === 0 || n <= 0) return [];
    const nowMs = this.#now();
    const now = iso(nowMs);

    let leaseUntil: string | RawBuilder<string>;
    if (typeof visibilityTimeoutMs === 'number') {
      leaseUntil = iso(nowMs + visibilityTimeoutMs);
    } else {
      const branches = [...new Set(types)].map(
        (t) => sql`when ${t} then ${iso(nowMs + visibilityTimeoutMs(t))}`,
      );
      leaseUntil = sql<string>`case ${sql.ref('type')} ${sql.join(branches, sql` `)} end`;
    }

    let pick = this.#db
      .selectFrom('jobs')
      .select('id')
      .where('type', 'in', types)
      .where((eb) => visible(eb, now))
      .orderBy('priority', 'desc')
      .orderBy('run_at', 'asc')
      .orderBy('id', 'asc')
      .limit(n);
    // ── Dialect difference (the only one in the queue) ────────────────────────────────────────
    // SQLite has a single writer: the UPDATE below runs its subselect and its writes atomically.
    // PostgreSQL runs claims concurrently: lock the picked rows, skipping rows another claim has
    // locked, so concurrent workers take different jobs instead of queueing behind each other.
    // And `id IN (subquery … LIMIT n)` may be re-run by PostgreSQL's planner as a semi-join and
    // match more than n rows: `id = any(array(subquery))` evaluates the pick exactly once.
    const postgres = dialectOf(this.#db as unknown as Kysely<unknown>) === 'postgres';
    if (postgres) pick = pick.forUpdate().skipLocked();
    const picked = postgres ? sql<string>`any(array(${pick}))` : pick;
    // ─────────────────────────────────────────────────────────────────────────────────────────

    const rows = await this.#db
      .updateTable('jobs')
      .set((eb) => {
        // A running job is only visible once its lease expired: its worker died mid-attempt.
        const cutOff = eb('state', '=', 'running');
        return {
          state: 'running',
          lease_owner: workerId,
          lease_until: leaseUntil,
          // The cut-off attempt is forgiven while the job has crash allowance left: this claim
          // runs in its place instead of counting another.
          attempts: eb
            .case()
            .when(eb.and([cutOff, eb('crashes', '<', eb.ref('crash_allowance'))]))
            .then(eb.ref('attempts'))
            .else(eb('attempts', '+', 1))
            .end(),
          crashes: eb
            .case()
            .when(cutOff)
            .then(eb('crashes', '+', 1))
            .else(eb.ref('crashes'))
            .end(),
          updated_at: now,
        };
      })
      .where('id', postgres ? '=' : 'in', picked)
      // Re-checked on the row itself: on PostgreSQL a row may change between pick and update.
      .where((eb) => visible(eb, now))
      .returning(['id', 'type', 'payload', 'attempts', 'max_attempts', 'lease_until', 'priority', 'run_at'])
      .execute();

    // RETURNING order is unspecified: hand the jobs out in claim order.
    rows.sort((a, b) => b.priority - a.priority || cmp(a.run_at, b.run_at) || cmp(a.id, b.id));
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      payload: JSON.parse(r.payload) as unknown,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
      leaseUntil: r.lease_until ?? now,
    }));
  }

  /** Extends the lease. False: this worker no longer holds it, and must abandon the work. */
  async heartbeat(jobId: string, workerId: string, visibilityTimeoutMs: number): Promise<boolean> {
    const nowMs = this.#now();
    const r = await this.#db
      .updateTable('jobs')
      .set({ lease_until: iso(nowMs + visibilityTimeoutMs), updated_at: iso(nowMs) })
      .where('id', '=', jobId)
      .where('lease_owner', '=', workerId)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Marks the job done. False: the lease was lost (someone else may be running the job). */
  async complete(jobId: string, workerId: string): Promise<boolean> {
    return (await this.completeMany([{ jobId, workerId }])).has(jobId);
  }

  /**
   * Marks several jobs done in one statement (one commit: what a busy pool of short jobs waits
   * on). Returns the ids completed; the others' leases were lost.
   */
  async completeMany(held: ReadonlyArray<{ jobId: string; workerId: string }>): Promise<Set<string>> {
    if (held.length === 0) return new Set();
    const now = iso(this.#now());
    const rows = await this.#db
      .updateTable('jobs')
      .set({ state: 'completed', lease_until: null, finished_at: now, updated_at: now })
      .where((eb) =>
        eb(
          eb.refTuple('id', 'lease_owner'),
          'in',
          held.map((h) => eb.tuple(h.jobId, h.workerId)),
        ),
      )
      .where('state', '=', 'running')
      .returning('id')
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Records a failed attempt. Retryable with attempts left (or an outage within its grace): queued
   * again after a backoff, `'retrying'`. Otherwise `'dead'`. False: the lease was lost and nothing
   * changed. The answer, not the caller's guess, says which: only the queue knows the job's age.
   */
  async fail(jobId: string, workerId: string, error: FailError): Promise<'retrying' | 'dead' | false> {
    const nowMs = this.#now();
    const now = iso(nowMs);
    const held = await this.#db
      .selectFrom('jobs')
      .select(['attempts', 'max_attempts', 'created_at'])
      .where('id', '=', jobId)
      .where('lease_owner', '=', workerId)
      .where('state', '=', 'running')
      .executeTakeFirst();
    if (!held) return false;
    const message = truncate(error.message || 'unknown error');
    const outage =
      error.retryable && error.outage === true && nowMs - Date.parse(held.created_at) < OUTAGE_GRACE_MS;
    const retry = outage || (error.retryable && held.attempts < held.max_attempts);
    if (!retry) {
      const dead = await this.#db
        .transaction()
        .execute((trx) => this.#failForGood(trx, jobId, workerId, held.attempts, message));
      return dead ? 'dead' : false;
    }
    const r = await this.#db
      .updateTable('jobs')
      .set({
        state: 'queued',
        run_at: iso(nowMs + this.retryDelayMs(outage ? OUTAGE_RETRY_ATTEMPT : held.attempts)),
        // An outage's attempt does not count (the claim counted it).
        ...(outage ? { attempts: held.attempts - 1 } : {}),
        lease_owner: null,
        lease_until: null,
        last_error: message,
        updated_at: now,
      })
      .where('id', '=', jobId)
      .where('lease_owner', '=', workerId)
      .where('state', '=', 'running')
      // Fence: nobody took the job over between the read and this write.
      .where('attempts', '=', held.attempts)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n ? 'retrying' : false;
  }

  /** Dead-letters a held job; `onDeadLetter` runs in the same transaction. */
  async #failForGood(
    trx: QueueExecutor,
    jobId: string,
    workerId: string,
    attempts: number,
    message: string,
  ): Promise<boolean> {
    const now = iso(this.#now());
    const row = await trx
      .updateTable('jobs')
      .set({ state: 'dead', lease_until: null, last_error: message, finished_at: now, updated_at: now })
      .where('id', '=', jobId)
      .where('lease_owner', '=', workerId)
      .where('state', '=', 'running')
      .where('attempts', '=', attempts)
      .returning(['id', 'type', 'payload', 'attempts', 'last_error'])
      .executeTakeFirst();
    if (row) await this.#onDeadLetter(trx, [row]);
    return row !== undefined;
  }

  /** Backoff before the next attempt after `attempts` failures: exponential, capped, equal jitter. */
  retryDelayMs(attempts: number): number {
    const exp = Math.min(this.#backoffMaxMs, this.#backoffBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(exp / 2 + (this.#random() * exp) / 2);
  }

  /**
   * Gives the job back (graceful shutdown): queued, visible now, and this attempt does not count.
   * False: the lease was already lost.
   */
  async release(jobId: string, workerId: string): Promise<boolean> {
    const now = iso(this.#now());
    const row = await this.#db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'queued',
        attempts: eb
          .case()
          .when('attempts', '>', 0)
          .then(eb('attempts', '-', 1))
          .else(0)
          .end(),
        lease_owner: null,
        lease_until: null,
        updated_at: now,
      }))
      .where('id', '=', jobId)
      .where('lease_owner', '=', workerId)
      .where('state', '=', 'running')
      .returning('type')
      .executeTakeFirst();
    if (row) await this.#notifier.notify(this.#db, row.type);
    return row !== undefined;
  }

  /**
   * Running jobs whose lease expired and which have no attempts left become dead. Returns them.
   * (Those with attempts left are re-claimed by `claim` instead.)
   */
  async reapExpired(): Promise<Array<{ id: string; type: string; attempts: number }>> {
    const now = iso(this.#now());
    const rows = await this.#db.transaction().execute(async (trx) => {
      const dead = await trx
        .updateTable('jobs')
        .set({
          state: 'dead',
          last_error: sql<string>`${'lease expired '} || cast(crashes + 1 as text) || ${' times; the worker died or the job hangs'}`,
          lease_until: null,
          finished_at: now,
          updated_at: now,
        })
        .where('state', '=', 'running')
        .where('lease_until', '<=', now)
        .whereRef('attempts', '>=', 'max_attempts')
        .whereRef('crashes', '>=', 'crash_allowance')
        .returning(['id', 'type', 'payload', 'attempts', 'last_error'])
        .execute();
      if (dead.length) await this.#onDeadLetter(trx, dead);
      return dead;
    });
    return rows.map((r) => ({ id: r.id, type: r.type, attempts: r.attempts }));
  }

  /**
   * Dead → queued with a fresh set of attempts. False when the job is not dead, or when another
   * job with the same dedupe key is queued or running (that one does the work).
   */
  async redrive(jobId: string): Promise<boolean> {
    const now = iso(this.#now());
    const row = await this.#db
      .updateTable('jobs')
      .set({
        state: 'queued',
        attempts: 0,
        crashes: 0,
        run_at: now,
        lease_owner: null,
        lease_until: null,
        finished_at: null,
        updated_at: now,
      })
      .where('id', '=', jobId)
      .where('state', '=', 'dead')
      .where((eb) =>
        eb.or([
          eb('dedupe_key', 'is', null),
          eb.not(
            eb.exists(
              eb
                .selectFrom('jobs as other')
                .select(sql.lit(1).as('one'))
                .whereRef('other.dedupe_key', '=', 'jobs.dedupe_key')
                .where('other.state', 'in', LIVE_STATES),
            ),
          ),
        ]),
      )
      .returning('type')
      .executeTakeFirst();
    if (row) await this.#notifier.notify(this.#db, row.type);
    return row !== undefined;
  }

  /**
   * Deletes the job in any state. A running job's worker then loses its lease at its next
   * heartbeat and aborts: this is also how an admin cancels a job.
   */
  async discard(jobId: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('jobs').where('id', '=', jobId).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async get(jobId: string): Promise<JobInfo | undefined> {
    const row = await this.#db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    return row && toInfo(row);
  }

  /** Jobs for an admin view, most recently changed first. */
  async list(filter: { state?: JobState; type?: string; limit?: number } = {}): Promise<JobInfo[]> {
    let q = this.#db
      .selectFrom('jobs')
      .selectAll()
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.type) q = q.where('type', '=', filter.type);
    return (await q.execute()).map(toInfo);
  }

  /** Per job type: depth, delay, running, dead, oldest visible age. Types with none of these are absent. */
  async stats(): Promise<Record<string, TypeStats>> {
    const nowMs = this.#now();
    const now = iso(nowMs);
    const visibleNow = sql`(
      (state = 'queued' and run_at <= ${now})
      or (state = 'running' and lease_until <= ${now} and attempts < max_attempts))`;
    const rows = await this.#db
      .selectFrom('jobs')
      .select([
        'type',
        sql<number | string>`sum(case when ${visibleNow} then 1 else 0 end)`.as('queued'),
        sql<number | string>`sum(case when state = 'queued' and run_at > ${now} then 1 else 0 end)`.as(
          'delayed',
        ),
        sql<number | string>`sum(case when state = 'running' and not ${visibleNow} then 1 else 0 end)`.as(
          'running',
        ),
        sql<number | string>`sum(case when state = 'dead' then 1 else 0 end)`.as('dead'),
        sql<string | null>`min(case when ${visibleNow} then run_at end)`.as('oldest'),
      ])
      .where('state', 'in', ['queued', 'running', 'dead'])
      .groupBy('type')
      .execute();
    const out: Record<string, TypeStats> = {};
    for (const r of rows) {
      out[r.type] = {
        queued: Number(r.queued),
        delayed: Number(r.delayed),
        running: Number(r.running),
        dead: Number(r.dead),
        oldestVisibleAgeSeconds: r.oldest ? Math.max(0, (nowMs - Date.parse(r.oldest)) / 1000) : 0,
      };
    }
    return out;
  }

  /** Deletes completed jobs finished more than `olderThanMs` ago. Returns how many. */
  async purgeCompleted(olderThanMs: number): Promise<number> {
    const r = await this.#db
      .deleteFrom('jobs')
      .where('state', '=', 'completed')
      .where('finished_at', '<', iso(this.#now() - olderThanMs))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Called (on a later tick) when a job may have become visible. Returns the unsubscribe function. */
  onEnqueued(listener: (type: string) => void): () => void {
    return this.#notifier.subscribe(listener);
  }
}

/** Claimable now: queued and due, or running under an expired lease with attempts left. */
function visible(eb: ExpressionBuilder<Database, 'jobs'>, now: string) {
  return eb.or([
    eb.and([eb('state', '=', 'queued'), eb('run_at', '<=', now)]),
    eb.and([
      eb('state', '=', 'running'),
      eb('lease_until', '<=', now),
      eb.or([eb('attempts', '<', eb.ref('max_attempts')), eb('crashes', '<', eb.ref('crash_allowance'))]),
    ]),
  ]);
}

function toInfo(r: JobRow): JobInfo {
  return {
    id: r.id,
    type: r.type,
    payload: JSON.parse(r.payload) as unknown,
    state: r.state,
    priority: r.priority,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    runAt: r.run_at,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    dedupeKey: r.dedupe_key,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function truncate(s: string): string {
  return s.length > MAX_ERROR_LENGTH ? `${s.slice(0, MAX_ERROR_LENGTH - 1)}…` : s;
}
