import { isStorageFull } from '../shared/errors.ts';
import type { EnqueueOptions, EnqueueResult, JobQueue, QueueExecutor } from './queue.ts';

/** pino-like: the object first, then the message. */
export interface JobLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface JobContext<P> {
  id: string;
  payload: P;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
  /**
   * Aborted when the lease is lost (another worker may now run the job) or on forced shutdown.
   * Pass it to everything that can be cancelled (spawned ffmpeg, fetch, streams).
   */
  signal: AbortSignal;
  /**
   * Extends the lease now. The worker already heartbeats every visibilityTimeout/3; call this
   * between long synchronous steps if you like. Throws (and aborts `signal`) when the lease is lost.
   */
  heartbeat(): Promise<void>;
  /** Bound to the job's id, type and attempt. */
  log: JobLogger;
}

export interface JobOptions<P> {
  handler(ctx: JobContext<P>): Promise<void>;
  /** Default 5. Used by `enqueueJob` unless the call overrides it. */
  maxAttempts?: number;
  /** Lease length; the worker heartbeats every third of it. Default: the pool's. */
  visibilityTimeoutMs?: number;
  /**
   * Longest one attempt may run. Heartbeats keep a lease for as long as the process lives, so a
   * handler that never settles would otherwise hold its job for ever: past this, the worker aborts
   * `signal` with a `JobTimeoutError`, waits the pool's abortWaitMs for the handler to return, and
   * records a retryable failure (so the attempts run out and the job is dead-lettered).
   * Default: the pool's (`FRAMEHOUSE_JOB_TIMEOUT_MS`). `null`: no limit — only for handlers that
   * bound their own work by its size (transcode: ffmpeg's limit scales with the duration).
   */
  timeoutMs?: number | null;
  /** Default 0; higher runs first. Used by `enqueueJob` unless the call overrides it. */
  priority?: number;
  /**
   * Called once when the job is dead-lettered — its last attempt failed, or its lease expired on
   * the last attempt (the worker died) — so the job can leave what it works on in an honest
   * state (an asset `errored` rather than `processing` for ever). Errors here are logged.
   */
  onDead?(payload: P, error: string): Promise<void>;
  /** Validates the stored payload (e.g. a zod schema's `parse`). A throw is a permanent failure. */
  parse?(raw: unknown): P;
}

export interface JobDefinition<P> extends JobOptions<P> {
  readonly type: string;
}

/**
 * What enqueuing needs to know of a job type — its name, payload type and defaults — without
 * its handler, so the code that enqueues does not depend on what the handler depends on.
 */
export interface JobSpec<P> {
  readonly type: string;
  readonly priority?: number;
  readonly maxAttempts?: number;
  /** Attempts cut off by a worker's death that do not count (EnqueueOptions.crashAllowance). */
  readonly crashAllowance?: number;
  /** Never set: carries the payload type. */
  readonly payloadType?: P;
}

export function jobSpec<P>(
  type: string,
  defaults: { priority?: number; maxAttempts?: number; crashAllowance?: number } = {},
): JobSpec<P> {
  return { type, ...defaults };
}

/** Declares a job type once, with its payload type and handler. */
export function defineJob<P>(type: string, options: JobOptions<P>): JobDefinition<P> {
  if (!/^[a-z][a-z0-9._-]*$/.test(type)) {
    throw new Error(`Job type "${type}" must be lower-case letters, digits, '.', '_' or '-'`);
  }
  return { ...options, type };
}

/**
 * Enqueues a job of a defined type with its payload type checked, applying the definition's
 * priority, maxAttempts and crashAllowance unless `opts` overrides them. Pass the caller's transaction.
 */
export function enqueueJob<P>(
  queue: JobQueue,
  executor: QueueExecutor,
  job: JobSpec<P>,
  payload: P,
  opts: EnqueueOptions = {},
): Promise<EnqueueResult> {
  const merged: EnqueueOptions = { ...opts };
  if (merged.priority === undefined && job.priority !== undefined) merged.priority = job.priority;
  if (merged.maxAttempts === undefined && job.maxAttempts !== undefined) merged.maxAttempts = job.maxAttempts;
  if (merged.crashAllowance === undefined && job.crashAllowance !== undefined)
    merged.crashAllowance = job.crashAllowance;
  return queue.enqueue(executor, job.type, payload, merged);
}

/**
 * Thrown by a handler when retrying cannot help (the input is not media, the asset is gone…):
 * the job goes straight to dead. Any error with `retryable === false` counts the same.
 */
export class PermanentJobError extends Error {
  readonly retryable = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** Whether a handler's error allows another attempt: everything but `retryable === false`. */
export function isRetryable(err: unknown): boolean {
  // A full disk is never the job's fault, and space comes back: always try again.
  if (isStorageFull(err)) return true;
  return !(typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === false);
}

/** A definition of any payload type (handlers are methods, so `JobDefinition<P>` fits). */
export type AnyJobDefinition = JobDefinition<unknown>;

/** The job types a process can run, each with one handler. */
export class JobRegistry {
  readonly #jobs = new Map<string, AnyJobDefinition>();

  constructor(jobs: Iterable<AnyJobDefinition> = []) {
    for (const job of jobs) this.register(job);
  }

  register(job: AnyJobDefinition): this {
    if (this.#jobs.has(job.type)) throw new Error(`Job type "${job.type}" is defined twice`);
    this.#jobs.set(job.type, job);
    return this;
  }

  get(type: string): AnyJobDefinition | undefined {
    return this.#jobs.get(type);
  }

  has(type: string): boolean {
    return this.#jobs.has(type);
  }

  types(): string[] {
    return [...this.#jobs.keys()];
  }
}

/** Start-up check: throws one error naming every job type that has no handler. */
export function assertHandlersFor(types: Iterable<string>, registry: JobRegistry): void {
  const missing = [...new Set(types)].filter((t) => !registry.has(t));
  if (missing.length > 0) {
    throw new Error(`No handler is registered for job type(s): ${missing.join(', ')}`);
  }
}
