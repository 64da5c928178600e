import { cpus, loadavg } from 'node:os';
import type { JobQueue } from './queue.ts';
import type { WorkerPool } from './worker.ts';

export interface AutoscalePolicy {
  /** Slots kept however quiet it is (the Auto Scaling group's minimum). */
  min: number;
  /** Slots never exceeded (its maximum). */
  max: number;
  /** How often demand is sampled. */
  intervalMs?: number;
  /** Quiet samples in a row before a slot is given back (hysteresis: no flapping on bursts). */
  scaleDownAfter?: number;
  /** Above this 1-minute load per core the pool does not grow (the host is the bottleneck). */
  maxLoadPerCore?: number;
}

export interface ScaleSample {
  at: number;
  slots: number;
  busy: number;
  backlog: number;
}

/**
 * Grows and shrinks a worker pool between `min` and `max` slots from its queue backlog and the
 * host's load, like an Auto Scaling group's min/desired/max: up at once to what the backlog can
 * use (unless the host is already overloaded), down one slot at a time and only after several
 * quiet samples in a row. The desired size is also what `framehouse_queue_depth` tells an
 * external scaler (KEDA, deploy/kubernetes/) to do with whole worker processes.
 */
export class PoolAutoscaler {
  readonly #pool: WorkerPool;
  readonly #queue: JobQueue;
  readonly #min: number;
  readonly #max: number;
  readonly #intervalMs: number;
  readonly #scaleDownAfter: number;
  readonly #maxLoadPerCore: number;
  readonly #loadPerCore: () => number;
  readonly #onChange: (from: number, to: number, reason: string) => void;
  readonly history: ScaleSample[] = [];
  #quiet = 0;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> = Promise.resolve();

  constructor(
    pool: WorkerPool,
    queue: JobQueue,
    policy: AutoscalePolicy,
    opts: { loadPerCore?: () => number; onChange?: (from: number, to: number, reason: string) => void } = {},
  ) {
    if (!(policy.min >= 1 && policy.max >= policy.min))
      throw new RangeError('autoscaling needs 1 ≤ min ≤ max');
    this.#pool = pool;
    this.#queue = queue;
    this.#min = policy.min;
    this.#max = policy.max;
    this.#intervalMs = policy.intervalMs ?? 5000;
    this.#scaleDownAfter = policy.scaleDownAfter ?? 6;
    this.#maxLoadPerCore = policy.maxLoadPerCore ?? 1.5;
    this.#loadPerCore = opts.loadPerCore ?? (() => (loadavg()[0] ?? 0) / Math.max(1, cpus().length));
    this.#onChange = opts.onChange ?? (() => {});
  }

  start(): void {
    this.#pool.setConcurrency(Math.min(Math.max(this.#pool.concurrency, this.#min), this.#max));
    this.#timer = setInterval(() => {
      this.#sampling = this.#sampling.then(() =>
        this.sample().then(
          () => undefined,
          () => undefined,
        ),
      );
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sampling;
  }

  /** One decision: the new slot count. */
  async sample(): Promise<number> {
    const stats = await this.#queue.stats();
    const backlog = this.#pool.types.reduce((n, type) => n + (stats[type]?.queued ?? 0), 0);
    const busy = this.#pool.activeCount;
    const current = this.#pool.concurrency;
    // Every running job plus every job waiting could use a slot right now.
    const wanted = Math.min(this.#max, Math.max(this.#min, busy + backlog));
    let next = current;
    let reason = '';
    if (wanted > current) {
      this.#quiet = 0;
      if (this.#loadPerCore() > this.#maxLoadPerCore)
        reason = 'backlog, but the host is overloaded: not growing';
      else {
        next = wanted;
        reason = `backlog of ${backlog} with ${busy} busy`;
      }
    } else if (wanted < current) {
      this.#quiet++;
      if (this.#quiet >= this.#scaleDownAfter) {
        next = current - 1;
        reason = `quiet for ${this.#quiet} samples`;
        this.#quiet = 0;
      }
    } else this.#quiet = 0;
    if (next !== current) {
      this.#pool.setConcurrency(next);
      this.#onChange(current, next, reason);
    }
    this.history.push({ at: Date.now(), slots: next, busy, backlog });
    if (this.history.length > 1000) this.history.shift();
    return next;
  }
}
