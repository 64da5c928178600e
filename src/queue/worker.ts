import { EventEmitter } from 'node:events';
import { isStorageFull } from '../shared/errors.ts';
import { dependencyOutage } from '../shared/outage.ts';
import { CompletionBatcher } from './completion-batcher.ts';
import {
  type AnyJobDefinition,
  assertHandlersFor,
  isRetryable,
  type JobContext,
  type JobLogger,
  type JobRegistry,
} from './jobs.ts';
import type { ClaimedJob, JobQueue } from './queue.ts';

export interface WorkerPoolOptions {
  queue: JobQueue;
  registry: JobRegistry;
  /** Jobs run at once. */
  concurrency: number;
  /** Job types this pool claims. Default: every type in the registry. */
  types?: readonly string[];
  /** Names this process in lease owners (`{workerId}:{claim number}`), e.g. hostname-pid. */
  workerId: string;
  /** How often an idle pool looks for work (a local enqueue wakes it at once). Default 1000 ms. */
  pollIntervalMs?: number;
  /** Lease length for job types that set none. Default 60 s. */
  visibilityTimeoutMs?: number;
  /** Run-time limit of one attempt for job types that set none (`JobOptions.timeoutMs`). Default 1 h; null: none. */
  jobTimeoutMs?: number | null;
  /** How often expired leases out of attempts are made dead. Default 15 s. */
  reapIntervalMs?: number;
  /** Pause after a database error in the claim loop. Default: max(pollIntervalMs, 1000)… capped at 5 s. */
  errorPauseMs?: number;
  /** Completed jobs are deleted after this long. Default 24 h; null keeps them. */
  retainCompletedMs?: number | null;
  /** On forced stop or a time-out, how long to wait for aborted handlers to return. Default 10 s. */
  abortWaitMs?: number;
  logger?: JobLogger;
}

/** How a claimed job ended, for this pool. */
export type JobOutcome =
  | 'completed'
  | 'retrying'
  | 'dead'
  /** The lease was lost while the job ran: the handler was aborted and nothing was recorded. */
  | 'lease-lost'
  /** Forced stop: the handler was aborted and the job given back to the queue. */
  | 'released'
  /** The handler ended, but recording the outcome failed (database error): the lease will expire. */
  | 'unrecorded';

export type WorkerPoolEvents = {
  claimed: [job: ClaimedJob];
  /** A slot is free again. `error` is the handler's error, if it threw. */
  settled: [job: ClaimedJob, outcome: JobOutcome, error: unknown];
  /** A database error in the claim loop or the reaper (logged; the pool carries on). */
  'loop-error': [error: unknown];
  reaped: [jobs: Array<{ id: string; type: string; attempts: number }>];
};

/** The reason a job's signal is aborted when its lease is lost. */
export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`The lease on job ${jobId} was lost; another worker may be running it`);
    this.name = 'LeaseLostError';
  }
}

/**
 * The reason a job's signal is aborted when an attempt runs past its time limit, and the error
 * recorded for that attempt (retryable: the attempts run out and the job is dead-lettered).
 */
export class JobTimeoutError extends Error {
  readonly code = 'JOB_TIMEOUT';

  constructor(jobId: string, timeoutMs: number) {
    super(`Job ${jobId} ran longer than its time limit of ${timeoutMs} ms and was aborted`);
    this.name = 'JobTimeoutError';
  }
}

/** The reason a job's signal is aborted when the pool stops before the job finishes. */
export class WorkerShutdownError extends Error {
  constructor() {
    super('The worker is shutting down');
    this.name = 'WorkerShutdownError';
  }
}

interface Slot {
  job: ClaimedJob;
  owner: string;
  def: AnyJobDefinition | undefined;
  visibilityTimeoutMs: number;
  controller: AbortController;
  /** running → finishing (handler returned) | lost (lease lost) | released (forced stop). */
  state: 'running' | 'finishing' | 'lost' | 'released';
  heartbeatTimer: NodeJS.Timeout | undefined;
  done: Promise<void>;
}

const silentLogger: JobLogger = { info() {}, warn() {}, error() {} };

/**
 * Claims jobs and runs their handlers, up to `concurrency` at once. Heartbeats every running
 * job's lease at a third of its visibility timeout, aborts a job whose lease was lost, reaps
 * expired leases, and never lets an error escape its loop.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly workerId: string;
  readonly #queue: JobQueue;
  readonly #registry: JobRegistry;
  readonly #types: readonly string[];
  #concurrency: number;
  readonly #pollIntervalMs: number;
  readonly #defaultVisibilityMs: number;
  readonly #defaultTimeoutMs: number | null;
  readonly #reapIntervalMs: number;
  readonly #errorPauseMs: number;
  readonly #retainCompletedMs: number | null;
  readonly #abortWaitMs: number;
  readonly #log: JobLogger;

  readonly #slots = new Set<Slot>();
  readonly #completions: CompletionBatcher;
  #claimSeq = 0;
  #started = false;
  #stopping = false;
  #stopPromise: Promise<void> | undefined;
  #loopDone: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #maintenanceTimer: NodeJS.Timeout | undefined;
  #maintenanceRunning: Promise<void> = Promise.resolve();
  #lastPurge = 0;
  #wakeRequested = false;
  #wakeSleeper: (() => void) | undefined;

  constructor(options: WorkerPoolOptions) {
    super();
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`WorkerPool: concurrency must be an integer ≥ 1 (${options.concurrency})`);
    }
    this.workerId = options.workerId;
    this.#queue = options.queue;
    this.#completions = new CompletionBatcher((held) => options.queue.completeMany(held));
    this.#registry = options.registry;
    this.#types = [...new Set(options.types ?? options.registry.types())];
    assertHandlersFor(this.#types, this.#registry);
    this.#concurrency = options.concurrency;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#defaultVisibilityMs = options.visibilityTimeoutMs ?? 60_000;
    this.#defaultTimeoutMs = options.jobTimeoutMs === undefined ? 3600_000 : options.jobTimeoutMs;
    this.#reapIntervalMs = options.reapIntervalMs ?? 15_000;
    this.#errorPauseMs = options.errorPauseMs ?? Math.min(5000, Math.max(this.#pollIntervalMs, 1000));
    this.#retainCompletedMs =
      options.retainCompletedMs === undefined ? 24 * 3600_000 : options.retainCompletedMs;
    this.#abortWaitMs = options.abortWaitMs ?? 10_000;
    this.#log = options.logger ?? silentLogger;
  }

  /** Slots: how many jobs may run at once. */
  get concurrency(): number {
    return this.#concurrency;
  }

  /**
   * Resizes the pool (the autoscaler does). Growing claims at once; shrinking lets running jobs
   * finish and claims nothing until fewer than `n` run.
   */
  setConcurrency(n: number): void {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`WorkerPool: concurrency must be an integer ≥ 1 (${n})`);
    if (n === this.#concurrency) return;
    this.#concurrency = n;
    this.#wake();
  }

  /** Jobs running now. */
  get activeCount(): number {
    return this.#slots.size;
  }

  get types(): readonly string[] {
    return this.#types;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#types.length === 0) {
      this.#log.warn({ workerId: this.workerId }, 'worker pool has no job types to claim');
      return;
    }
    this.#unsubscribe = this.#queue.onEnqueued((type) => {
      if (this.#types.includes(type)) this.#wake();
    });
    this.#loopDone = this.#loop();
    this.#scheduleMaintenance(0);
    this.#log.info(
      { workerId: this.workerId, concurrency: this.#concurrency, types: this.#types },
      'worker pool started',
    );
  }

  /**
   * Stops claiming, waits up to `graceMs` for running jobs to finish, then aborts the rest and
   * releases their leases (the attempt does not count) so another worker takes them at once.
   * Resolves when every slot is free (or, for handlers that ignore their signal, after abortWaitMs).
   */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.#stopPromise ??= this.#stop(options.graceMs ?? 30_000);
    return this.#stopPromise;
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#unsubscribe?.();
    clearTimeout(this.#maintenanceTimer);
    this.#wake();
    await this.#loopDone;
    await this.#maintenanceRunning;

    if (this.#slots.size > 0) {
      this.#log.info(
        { workerId: this.workerId, running: this.#slots.size, graceMs },
        'worker pool stopping: waiting for running jobs',
      );
      await waitFor(this.#allDone(), graceMs);
    }

    const forced = [...this.#slots].filter((s) => s.state === 'running');
    if (forced.length > 0) {
      await Promise.all(
        forced.map(async (slot) => {
          slot.state = 'released';
          clearTimeout(slot.heartbeatTimer);
          slot.controller.abort(new WorkerShutdownError());
          try {
            const released = await this.#queue.release(slot.job.id, slot.owner);
            this.#log.warn(
              { jobId: slot.job.id, type: slot.job.type, released },
              released ? 'job released on shutdown' : 'job lease already lost on shutdown',
            );
          } catch (err) {
            this.#log.error(
              { jobId: slot.job.id, type: slot.job.type, err },
              'could not release job on shutdown; its lease will expire',
            );
          }
        }),
      );
      if (!(await waitFor(this.#allDone(), this.#abortWaitMs))) {
        this.#log.warn(
          { jobIds: [...this.#slots].map((s) => s.job.id) },
          'job handlers ignored their abort signal; stopping without them',
        );
      }
    }
    this.#log.info({ workerId: this.workerId }, 'worker pool stopped');
  }

  #allDone(): Promise<void> {
    return Promise.all([...this.#slots].map((s) => s.done)).then(() => undefined);
  }

  // ── Claim loop ──────────────────────────────────────────────────────────────────────────────

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      const free = this.#concurrency - this.#slots.size;
      if (free <= 0) {
        await this.#sleep(Number.POSITIVE_INFINITY); // a finishing job wakes us
        continue;
      }
      this.#wakeRequested = false;
      let jobs: ClaimedJob[];
      const owner = `${this.workerId}:${++this.#claimSeq}`;
      try {
        jobs = await this.#queue.claim(this.#types, free, owner, (type) => this.#visibilityFor(type));
      } catch (err) {
        this.#log.error({ err, workerId: this.workerId }, 'claiming jobs failed; retrying after a pause');
        this.emit('loop-error', err);
        await this.#sleep(this.#errorPauseMs);
        continue;
      }
      if (this.#stopping) {
        // Claimed while stop() was called: give them straight back, the attempt not counted.
        await Promise.all(jobs.map((job) => this.#queue.release(job.id, owner).catch(() => false)));
        break;
      }
      for (const job of jobs) this.#run(job, owner);
      if (jobs.length < free) await this.#sleep(this.#pollIntervalMs);
    }
  }

  #visibilityFor(type: string): number {
    return this.#registry.get(type)?.visibilityTimeoutMs ?? this.#defaultVisibilityMs;
  }

  #wake(): void {
    this.#wakeRequested = true;
    this.#wakeSleeper?.();
  }

  #sleep(ms: number): Promise<void> {
    if (this.#wakeRequested || this.#stopping) {
      this.#wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => done(), ms) : undefined;
      const done = () => {
        clearTimeout(timer);
        this.#wakeSleeper = undefined;
        this.#wakeRequested = false;
        resolve();
      };
      this.#wakeSleeper = done;
    });
  }

  // ── One job ─────────────────────────────────────────────────────────────────────────────────

  #run(job: ClaimedJob, owner: string): void {
    const slot: Slot = {
      job,
      owner,
      def: this.#registry.get(job.type),
      visibilityTimeoutMs: this.#visibilityFor(job.type),
      controller: new AbortController(),
      state: 'running',
      heartbeatTimer: undefined,
      done: Promise.resolve(),
    };
    this.#slots.add(slot);
    this.emit('claimed', job);
    slot.done = this.#execute(slot)
      .catch((err: unknown) => {
        // #execute handles its own errors; this is a last line of defence.
        this.#log.error({ err, jobId: job.id }, 'unexpected error in the worker');
      })
      .finally(() => {
        this.#slots.delete(slot);
        this.#wake();
      });
  }

  async #execute(slot: Slot): Promise<void> {
    const { job, owner, def } = slot;
    const bindings = { jobId: job.id, type: job.type, attempt: job.attempts, workerId: owner };
    const log = bindLogger(this.#log, bindings);
    const started = performance.now();
    this.#scheduleHeartbeat(slot, log);

    let error: unknown;
    let failed = false;
    try {
      if (!def) throw nonRetryable(`No handler is registered for job type ${job.type}`);
      let payload: unknown;
      try {
        payload = def.parse ? def.parse(job.payload) : job.payload;
      } catch (err) {
        throw nonRetryable(`The job's payload is not valid: ${errorMessage(err)}`, err);
      }
      const ctx: JobContext<unknown> = {
        id: job.id,
        payload,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        signal: slot.controller.signal,
        heartbeat: () => this.#manualHeartbeat(slot, log),
        log,
      };
      log.info({}, 'job started');
      const timeoutMs = def.timeoutMs === undefined ? this.#defaultTimeoutMs : def.timeoutMs;
      const running = def.handler(ctx);
      if (timeoutMs === null) await running;
      else await this.#withinTimeLimit(slot, running, timeoutMs, log);
    } catch (err) {
      failed = true;
      error = err;
    }
    clearTimeout(slot.heartbeatTimer);
    const durationMs = Math.round(performance.now() - started);

    if (slot.state === 'lost' || slot.state === 'released') {
      // Someone else owns the job now (or will): record nothing.
      this.emit('settled', job, slot.state === 'lost' ? 'lease-lost' : 'released', error);
      return;
    }
    slot.state = 'finishing';

    let outcome: JobOutcome;
    try {
      if (!failed) {
        outcome = (await this.#completions.complete(job.id, owner)) ? 'completed' : 'lease-lost';
        if (outcome === 'completed') log.info({ durationMs }, 'job completed');
        else
          log.warn({ durationMs }, 'job finished after its lease was lost; another worker may run it again');
      } else {
        const retryable = isRetryable(error);
        // An outage or a full disk is not the job's fault: retried without using up an attempt.
        const outage = retryable && (dependencyOutage(error) !== null || isStorageFull(error));
        const recorded = await this.#queue.fail(job.id, owner, {
          message: errorMessage(error),
          retryable,
          outage,
        });
        if (!recorded) {
          outcome = 'lease-lost';
          log.warn({ durationMs, err: error, ...codeOf(error) }, 'job failed after its lease was lost');
        } else {
          outcome = recorded;
          const fields = { durationMs, err: error, maxAttempts: job.maxAttempts, ...codeOf(error) };
          if (outcome === 'retrying') log.warn(fields, 'job attempt failed; it will be retried');
          else {
            log.error(
              fields,
              retryable ? 'job failed on its last attempt: dead' : 'job failed permanently: dead',
            );
            await this.#runOnDead(job.type, job.payload, errorMessage(error));
          }
        }
      }
    } catch (dbErr) {
      outcome = 'unrecorded';
      log.error(
        { err: dbErr, handlerError: error, ...codeOf(error) },
        'could not record the job outcome; its lease will expire',
      );
    }
    this.emit('settled', job, outcome, error);
  }

  /**
   * Settles as `running` does, unless it outlasts `timeoutMs`: then the job's signal is aborted
   * with a JobTimeoutError, the handler gets abortWaitMs to return, and the JobTimeoutError is
   * thrown either way (a handler that ignores its signal frees its slot all the same).
   */
  async #withinTimeLimit(
    slot: Slot,
    running: Promise<void>,
    timeoutMs: number,
    log: JobLogger,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs);
    });
    try {
      if ((await Promise.race([running.then(() => 'settled' as const), expired])) === 'settled') return;
    } finally {
      clearTimeout(timer);
    }
    const error = new JobTimeoutError(slot.job.id, timeoutMs);
    if (slot.state === 'running') slot.controller.abort(error);
    log.warn({ timeoutMs }, 'job ran past its time limit; aborting it');
    if (
      !(await waitFor(
        running.catch(() => {}),
        this.#abortWaitMs,
      ))
    ) {
      log.error(
        { timeoutMs, abortWaitMs: this.#abortWaitMs },
        'job handler ignored its abort signal after its time limit; its slot is freed without it',
      );
    }
    throw error;
  }

  async #runOnDead(type: string, payload: unknown, error: string): Promise<void> {
    const onDead = this.#registry.get(type)?.onDead;
    if (!onDead) return;
    try {
      await onDead(payload, error);
    } catch (err) {
      this.#log.error({ err, type }, 'the dead-letter hook failed');
    }
  }

  #scheduleHeartbeat(slot: Slot, log: JobLogger): void {
    const every = Math.max(1, Math.floor(slot.visibilityTimeoutMs / 3));
    slot.heartbeatTimer = setTimeout(async () => {
      try {
        await this.#beat(slot, log);
      } catch (err) {
        log.warn({ err, ...codeOf(err) }, 'heartbeat failed; retrying');
      }
      if (slot.state === 'running') this.#scheduleHeartbeat(slot, log);
    }, every);
  }

  /** One heartbeat. False (and the signal aborted) when the lease is lost. */
  async #beat(slot: Slot, log: JobLogger): Promise<boolean> {
    if (slot.state !== 'running') return slot.state === 'finishing';
    const held = await this.#queue.heartbeat(slot.job.id, slot.owner, slot.visibilityTimeoutMs);
    if (!held && slot.state === 'running') {
      slot.state = 'lost';
      clearTimeout(slot.heartbeatTimer);
      log.warn({}, 'job lease lost; aborting the job');
      slot.controller.abort(new LeaseLostError(slot.job.id));
    }
    return held;
  }

  async #manualHeartbeat(slot: Slot, log: JobLogger): Promise<void> {
    slot.controller.signal.throwIfAborted();
    try {
      await this.#beat(slot, log);
    } catch (err) {
      // A database blip must not fail a long job: the timer keeps trying.
      log.warn({ err, ...codeOf(err) }, 'heartbeat failed');
    }
    slot.controller.signal.throwIfAborted();
  }

  // ── Maintenance ─────────────────────────────────────────────────────────────────────────────

  #scheduleMaintenance(delayMs: number): void {
    this.#maintenanceTimer = setTimeout(() => {
      this.#maintenanceRunning = this.#maintain().finally(() => {
        if (!this.#stopping) this.#scheduleMaintenance(this.#reapIntervalMs);
      });
    }, delayMs);
  }

  async #maintain(): Promise<void> {
    try {
      const reaped = await this.#queue.reapExpired();
      if (reaped.length > 0) {
        this.#log.warn({ jobs: reaped }, 'jobs whose leases expired on their last attempt are now dead');
        for (const r of reaped) {
          const dead = await this.#queue.get(r.id);
          if (dead) await this.#runOnDead(r.type, dead.payload, 'the worker running it stopped answering');
        }
        this.emit('reaped', reaped);
      }
      const now = Date.now();
      if (this.#retainCompletedMs !== null && now - this.#lastPurge >= 10 * 60_000) {
        this.#lastPurge = now;
        const purged = await this.#queue.purgeCompleted(this.#retainCompletedMs);
        if (purged > 0) this.#log.info({ purged }, 'old completed jobs deleted');
      }
    } catch (err) {
      this.#log.error({ err }, 'queue maintenance failed; will retry');
      this.emit('loop-error', err);
    }
  }
}

function bindLogger(log: JobLogger, bindings: object): JobLogger {
  return {
    info: (obj, msg) => log.info({ ...bindings, ...obj }, msg),
    warn: (obj, msg) => log.warn({ ...bindings, ...obj }, msg),
    error: (obj, msg) => log.error({ ...bindings, ...obj }, msg),
  };
}

function nonRetryable(message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { retryable: false });
}

/** The registry code of a failure that has one the log should carry (the database may not take it). */
function codeOf(err: unknown): { code?: string } {
  return isStorageFull(err) ? { code: 'FH_ERR_STORAGE_FULL' } : {};
}

function errorMessage(err: unknown): string {
  // The registry's code first, so the failure reads the same whatever raised it (ffmpeg's write,
  // the store's, SQLite's).
  if (isStorageFull(err)) return `FH_ERR_STORAGE_FULL: ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Resolves true when `p` settles within `ms`, false otherwise. */
async function waitFor(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
