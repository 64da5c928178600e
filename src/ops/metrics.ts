import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AddressAllowlist } from '../auth/address-allowlist.ts';
import type { Db } from '../db/database.ts';
import type { JobQueue, TypeStats } from '../queue/queue.ts';
import type { WorkerPool } from '../queue/worker.ts';

/** Seconds a job may run: from a thumbnail (ms) to a long transcode (an hour). */
const JOB_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600];

/**
 * The process's Prometheus metrics (prom-client). Queue depth, oldest age and stored bytes are
 * read from the database at each scrape, so every api node reports the same cluster-wide
 * values; request, job and delivery counters are this process's own, as Prometheus expects.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly webhookDeliveries: Counter<'outcome'>;
  /** Player reports (src/qoe/): stored, late (their view was closed), invalid, limited (429). */
  readonly qoeReports: Counter<'result'>;
  /** Storage lifecycle (src/lifecycle/): objects and bytes dropped, moved cold, expired. */
  readonly lifecycleObjects: Counter<'action'>;
  readonly lifecycleBytes: Counter<'action'>;
  readonly #httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly #jobsTotal: Counter<'type' | 'outcome'>;
  readonly #jobDuration: Histogram<'type'>;
  #stats: { at: number; value: Promise<Record<string, TypeStats>> } | null = null;

  constructor(deps: {
    db: Db;
    queue: JobQueue;
    workers: () => WorkerPool | null;
    /** Every job type the application registers: the queue gauges show 0 for an idle one. */
    jobTypes: readonly string[];
  }) {
    const registers = [this.registry];
    const stats = () => {
      // One query for both queue gauges of a scrape.
      if (!this.#stats || Date.now() - this.#stats.at > 1000)
        this.#stats = { at: Date.now(), value: deps.queue.stats() };
      return this.#stats.value;
    };
    // A sample for every registered type (0 when it has no jobs), then any other type in the table.
    const byType = async (pick: (s: TypeStats) => number) => {
      const values = new Map(deps.jobTypes.map((type) => [type, 0]));
      for (const [type, s] of Object.entries(await stats())) values.set(type, pick(s));
      return values;
    };
    new Gauge({
      name: 'framehouse_queue_depth',
      help: 'Jobs waiting to run now, by type (cluster-wide)',
      labelNames: ['type'],
      registers,
      async collect() {
        this.reset();
        for (const [type, v] of await byType((s) => s.queued)) this.set({ type }, v);
      },
    });
    new Gauge({
      name: 'framehouse_queue_oldest_age_seconds',
      help: 'Age of the oldest job waiting to run, by type (cluster-wide)',
      labelNames: ['type'],
      registers,
      async collect() {
        this.reset();
        for (const [type, v] of await byType((s) => s.oldestVisibleAgeSeconds)) this.set({ type }, v);
      },
    });
    new Gauge({
      name: 'framehouse_queue_dead',
      help: 'Jobs in the dead-letter state, by type (cluster-wide)',
      labelNames: ['type'],
      registers,
      async collect() {
        this.reset();
        for (const [type, v] of await byType((s) => s.dead)) this.set({ type }, v);
      },
    });
    new Gauge({
      name: 'framehouse_worker_slots',
      help: "This process's job slots, busy or idle",
      labelNames: ['state'],
      registers,
      collect() {
        const pool = deps.workers();
        const busy = pool?.activeCount ?? 0;
        this.set({ state: 'busy' }, busy);
        this.set({ state: 'idle' }, Math.max(0, (pool?.concurrency ?? 0) - busy));
      },
    });
    new Gauge({
      name: 'framehouse_storage_bytes',
      help: 'Bytes of uploaded sources held in the object store (cluster-wide)',
      registers,
      async collect() {
        const row = await deps.db
          .selectFrom('assets')
          .select((eb) => eb.fn.sum<number | string | null>('source_size').as('bytes'))
          // Originals the lifecycle rules removed are no longer held.
          .where('source_dropped_at', 'is', null)
          .executeTakeFirst();
        this.set(Number(row?.bytes ?? 0));
      },
    });
    this.#httpDuration = new Histogram({
      name: 'framehouse_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.#jobsTotal = new Counter({
      name: 'framehouse_jobs_total',
      help: 'Jobs this process finished, by type and outcome',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.#jobDuration = new Histogram({
      name: 'framehouse_job_duration_seconds',
      help: 'How long jobs ran in this process, by type',
      labelNames: ['type'],
      buckets: JOB_BUCKETS,
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'framehouse_webhook_deliveries_total',
      help: 'Webhook delivery attempts made by this process, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.qoeReports = new Counter({
      name: 'framehouse_qoe_reports_total',
      help: 'Player reports (CMCD lines, beacons) this process received, by result',
      labelNames: ['result'],
      registers,
    });
    // Every result shows from the start (0), so a rate over it is never "no data".
    for (const result of ['stored', 'late', 'invalid', 'limited']) this.qoeReports.inc({ result }, 0);
    this.lifecycleObjects = new Counter({
      name: 'framehouse_lifecycle_objects_total',
      help: 'Objects the storage lifecycle rules removed (drop-original), moved to the cold tier (move-cold) or expired (expire-upload: unfinished uploads) in this process',
      labelNames: ['action'],
      registers,
    });
    this.lifecycleBytes = new Counter({
      name: 'framehouse_lifecycle_bytes_total',
      help: 'Bytes of those objects (multipart uploads found in the bucket count no bytes: their parts are not listed)',
      labelNames: ['action'],
      registers,
    });
    for (const action of ['drop-original', 'move-cold', 'expire-upload']) {
      this.lifecycleObjects.inc({ action }, 0);
      this.lifecycleBytes.inc({ action }, 0);
    }
  }

  /** This process's usage meter (docs/usage.md): its flushes by outcome, and the counters not written yet. */
  observeUsageMeter(meter: {
    readonly flushes: number;
    readonly failures: number;
    readonly pending: number;
  }): void {
    const registers = [this.registry];
    new Counter({
      name: 'framehouse_usage_flushes_total',
      help: "Writes of this process's usage counters to the database, by outcome (a failed one is retried at the next)",
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        this.inc({ outcome: 'ok' }, meter.flushes);
        this.inc({ outcome: 'failed' }, meter.failures);
      },
    });
    new Gauge({
      name: 'framehouse_usage_pending_counters',
      help: 'Usage counters this process holds that are not written yet',
      registers,
      collect() {
        this.set(meter.pending);
      },
    });
  }

  /** The playback origin's memory tier (src/delivery/hot-objects.ts), read at each scrape. */
  observeMemoryTier(tier: {
    stats(): { hits: number; misses: number; bytes: number; objects: number };
  }): void {
    const registers = [this.registry];
    new Counter({
      name: 'framehouse_hot_cache_lookups_total',
      help: "Playback objects looked up in this process's memory tier, by result",
      labelNames: ['result'],
      registers,
      collect() {
        const { hits, misses } = tier.stats();
        this.reset();
        this.inc({ result: 'hit' }, hits);
        this.inc({ result: 'miss' }, misses);
      },
    });
    new Gauge({
      name: 'framehouse_hot_cache_bytes',
      help: "Bytes held in this process's memory tier for playback objects",
      registers,
      collect() {
        this.set(tier.stats().bytes);
      },
    });
  }

  /**
   * Backups (docs/operations.md), read from the backups table at each scrape like the queue
   * gauges: every node reports the same, CLI runs included. The "last" gauges describe the newest
   * succeeded backup and have no sample until one has succeeded.
   */
  observeBackups(
    read: () => Promise<{
      lastSuccess: { finishedAtSeconds: number; durationSeconds: number; sizeBytes: number } | null;
      failures: { cli: number; schedule: number };
    }>,
  ): void {
    const registers = [this.registry];
    // One read for the four metrics of a scrape.
    let cached: { at: number; value: ReturnType<typeof read> } | null = null;
    const current = () => {
      if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), value: read() };
      return cached.value;
    };
    const last = (
      name: string,
      help: string,
      pick: (s: { finishedAtSeconds: number; durationSeconds: number; sizeBytes: number }) => number,
    ) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.reset();
          const { lastSuccess } = await current();
          if (lastSuccess) this.set(pick(lastSuccess));
        },
      });
    last(
      'framehouse_backup_last_success_timestamp_seconds',
      'When the newest successful backup finished (Unix time, cluster-wide)',
      (s) => s.finishedAtSeconds,
    );
    last(
      'framehouse_backup_last_duration_seconds',
      'How long the newest successful backup took (cluster-wide)',
      (s) => s.durationSeconds,
    );
    last(
      'framehouse_backup_last_size_bytes',
      'Bytes the newest successful backup added to its target (cluster-wide)',
      (s) => s.sizeBytes,
    );
    new Counter({
      name: 'framehouse_backup_failures_total',
      help: 'Backups that failed or stopped without finishing, by trigger (cli, schedule; cluster-wide)',
      labelNames: ['trigger'],
      registers,
      async collect() {
        const { failures } = await current();
        this.reset();
        this.inc({ trigger: 'cli' }, failures.cli);
        this.inc({ trigger: 'schedule' }, failures.schedule);
      },
    });
  }

  /** Request durations, labelled by route pattern (never the raw URL: ids would explode the series). */
  observeHttp(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      this.#httpDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });
  }

  observeWorkers(pool: WorkerPool): void {
    const started = new Map<string, number>();
    pool.on('claimed', (job: { id: string }) => started.set(job.id, performance.now()));
    pool.on('settled', (job: { id: string; type: string }, outcome: string) => {
      this.#jobsTotal.inc({ type: job.type, outcome });
      const t0 = started.get(job.id);
      started.delete(job.id);
      if (t0 !== undefined) this.#jobDuration.observe({ type: job.type }, (performance.now() - t0) / 1000);
    });
  }
}

/** Who may read /metrics: a bearer token when one is configured, else the allowed addresses. */
export function metricsGuard(token: string | undefined, allowedIps: string[]) {
  const allowlist = new AddressAllowlist(allowedIps.length ? allowedIps : ['127.0.0.0/8', '::1']);
  return (authorization: string | undefined, ip: string): boolean => {
    if (token) return authorization === `Bearer ${token}`;
    return allowlist.allows(ip);
  };
}
