import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import { sweepScratch } from '../media/scratch-sweep.ts';
import type { Metrics } from '../ops/metrics.ts';
import { WorkerPresence } from '../ops/worker-presence.ts';
import { PoolAutoscaler } from '../queue/autoscaler.ts';
import type { JobRegistry } from '../queue/jobs.ts';
import { WorkerPool } from '../queue/worker.ts';
import type { UsageSink } from '../usage/usage-records.ts';
import { backupJobs } from './backups.ts';
import { type ImageServices, imageJobs } from './images.ts';
import type { Infrastructure } from './infrastructure.ts';
import { type IngestServices, ingestJobs } from './ingest.ts';
import { lifecycleJobs } from './lifecycle.ts';
import { type LiveServices, liveJobs } from './live.ts';
import { type NotificationServices, notificationJobs } from './notifications.ts';
import { qoeAnalyticsJobs } from './qoe-analytics.ts';
import { type QuotaServices, quotaJobs } from './quotas.ts';
import { trashJobs } from './trash.ts';
import { usageJobs } from './usage.ts';
import { type VodServices, vodJobs } from './vod.ts';
import { webhookJobs } from './webhooks.ts';

/**
 * What a process runs: `all` (`framehouse serve`: HTTP, workers and live ingest), `api` (HTTP
 * only), `worker` (jobs only, optionally of some types) or `live` (ingest, live transcoding and
 * packaging, with the HTTP that serves its playlists to api nodes).
 */
export type Role = 'all' | 'api' | 'worker' | 'live';

/** Job slots a process runs: none for `api` and `live`, at least one for `worker`. */
export function jobSlotsFor(role: Role, config: Config): number {
  if (role === 'api' || role === 'live') return 0;
  return Math.max(config.workerConcurrency, role === 'worker' ? 1 : 0);
}

/** Every job type a worker handles, declared once: start-up fails if a queued type has no handler. */
export function workerJobs(
  config: Config,
  infra: Infrastructure,
  services: {
    vod: VodServices;
    images: ImageServices;
    ingest: IngestServices;
    notifications: NotificationServices;
    metrics: Metrics;
    live: LiveServices;
    quotas: QuotaServices;
    /** Usage metering: encoding seconds as renditions turn ready. */
    meter: UsageSink;
  },
): JobRegistry {
  const registry = vodJobs(config, infra, services.vod, services.images.limits, services.meter);
  for (const job of [
    ...webhookJobs(config, infra, services.metrics),
    ...notificationJobs(config, infra, services.notifications),
    ...imageJobs(infra, services.images),
    ...ingestJobs(config, infra, services.vod, services.ingest),
    ...liveJobs(config, infra, services.live, services.vod),
    ...qoeAnalyticsJobs(config, infra),
    ...trashJobs(config, infra, services.vod),
    ...lifecycleJobs(config, infra, services.metrics),
    ...backupJobs(config, infra),
    ...quotaJobs(infra, services.quotas),
    ...usageJobs(infra),
  ])
    registry.register(job);
  return registry;
}

/** The pool of job slots (not started yet: the metrics and the HTTP app are made first). */
export function createWorkerPool(
  config: Config,
  { queue, log }: Infrastructure,
  registry: JobRegistry,
  slots: number,
  jobTypes: string[] | undefined,
): WorkerPool {
  return new WorkerPool({
    queue,
    registry,
    concurrency: slots,
    ...(jobTypes?.length ? { types: jobTypes } : {}),
    workerId: `${hostname()}-${process.pid}`,
    visibilityTimeoutMs: config.jobVisibilityTimeoutMs,
    jobTimeoutMs: config.jobTimeoutMs,
    logger: log.child({ component: 'worker' }),
  });
}

/**
 * Starts claiming; with --min/--max the pool sizes itself on the backlog and the host's load;
 * the node says it is alive (`worker_nodes`) for the admin page. `stop` ends the last two.
 */
export async function startWorkerPool(
  config: Config,
  { db, queue, log }: Infrastructure,
  workers: WorkerPool,
  metrics: Metrics,
  role: Role,
  slots: number,
): Promise<{ stop(): Promise<void> }> {
  metrics.observeWorkers(workers);
  // What a killed predecessor on this data folder left: its attempts' folders, its ffmpeg.
  const sweep = await sweepScratch(join(config.dataDir, 'work')).catch((err: unknown) => {
    log.warn({ err }, 'sweeping the scratch folder failed');
    return undefined;
  });
  if (sweep && (sweep.removed.length > 0 || sweep.killed.length > 0))
    log.info(
      { removed: sweep.removed, killedOrphans: sweep.killed },
      'scratch left by an earlier process removed',
    );
  else if (sweep && !sweep.swept) log.info({}, 'scratch folder in use by another live process: not swept');
  workers.start();
  const autoscaler = config.workerMax
    ? new PoolAutoscaler(
        workers,
        queue,
        { min: config.workerMin ?? 1, max: config.workerMax },
        {
          onChange: (from, to, reason) => log.info({ from, to, reason }, 'worker pool resized'),
        },
      )
    : null;
  autoscaler?.start();
  const presence = new WorkerPresence(db, workers, role, slots);
  await presence.start((err) => log.warn({ err }, 'worker heartbeat failed'));
  return {
    async stop() {
      await Promise.all([autoscaler?.stop(), presence.stop().catch(() => {})]);
    },
  };
}
