import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { accessServices } from './composition/access.ts';
import { buildHttp, listen, listenInternal, metricsOptionsOf } from './composition/api.ts';
import { backupAdmin, observeBackups, startBackupJobs } from './composition/backups.ts';
import { outboxConsumers } from './composition/events.ts';
import { imageServices } from './composition/images.ts';
import { openInfrastructure } from './composition/infrastructure.ts';
import { ingestServices, startImportScans } from './composition/ingest.ts';
import { startLifecycleJobs } from './composition/lifecycle.ts';
import { type LiveServices, liveOrigin, liveServices, startLiveNode } from './composition/live.ts';
import { notificationServices } from './composition/notifications.ts';
import { qoeAnalyticsServices, startQoeJobs } from './composition/qoe-analytics.ts';
import { quotaServices, startQuotaJobs } from './composition/quotas.ts';
import { roomServices } from './composition/room.ts';
import { startTrashJobs } from './composition/trash.ts';
import { startUsageJobs, usageHttp, usageMeter } from './composition/usage.ts';
import { vodServices } from './composition/vod.ts';
import {
  createWorkerPool,
  jobSlotsFor,
  type Role,
  startWorkerPool,
  workerJobs,
} from './composition/workers.ts';
import type { Config } from './config/config.ts';
import type { Db } from './db/database.ts';
import { readinessCheck } from './http/health.routes.ts';
import { JOB_TYPES } from './job-types.ts';
import { serveWorkerMetrics } from './ops/metrics.routes.ts';
import { Metrics } from './ops/metrics.ts';
import type { WorkerPool } from './queue/worker.ts';
import type { UploadsService } from './uploads/uploads.service.ts';

export type { Role } from './composition/workers.ts';

export interface RunningServer {
  /** The HTTP app; null for the `worker` role. */
  app: FastifyInstance | null;
  db: Db;
  workers: WorkerPool | null;
  /** Resumable uploads; null for the `worker` role. */
  uploads: UploadsService | null;
  log: Logger;
  /** Live streams (their service and the ingest addresses the API shows). */
  live: LiveServices;
  /** Where the HTTP app listens; null for the `worker` role. */
  url: string | null;
  close(): Promise<void>;
}

/**
 * The composition root of every role. Each concern is built by its own small function in
 * src/composition/ (infrastructure, vod, images, notifications, access, webhooks, events, the
 * HTTP app, the worker pool); this reads as what a role starts, in order.
 */
export async function startServer(
  config: Config,
  opts: {
    role?: Role;
    jobTypes?: string[];
    /**
     * The HTTP port is shared with sibling processes (FRAMEHOUSE_HTTP_PROCESSES > 1); `child`:
     * this is one of the siblings, which leave housekeeping to the first process.
     */
    sharedPort?: { child: boolean };
  } = {},
): Promise<RunningServer> {
  const role = opts.role ?? 'all';
  const infra = await openInfrastructure(config);
  const { db, queue, log } = infra;
  // Usage metering: one meter per process, flushed on a timer and at close (docs/usage.md).
  const meter = usageMeter(config, infra);

  // Services every role builds.
  const vod = vodServices(config, infra);
  const images = imageServices(config, infra);
  const ingest = ingestServices(config, infra, vod);
  const live = liveServices(config, infra, meter);
  const quotas = quotaServices(infra, live);
  // Made before the app and the workers, which report to it; `workers` is read at scrape time.
  let workers: WorkerPool | null = null;
  const metrics = new Metrics({ db, queue, workers: () => workers, jobTypes: JOB_TYPES });
  observeBackups(metrics, infra);
  metrics.observeUsageMeter(meter);
  const notifications = notificationServices(config, infra);
  const access = await accessServices(config, infra, notifications.mailer);

  // api, live and all: the HTTP app. worker and all: the job slots and the outbox's consumers.
  // The live rooms of an HTTP process (one fan-out reader each).
  const room =
    role === 'worker'
      ? null
      : await roomServices(config, infra, {
          streams: live.streams,
          assets: vod.assets,
          tokens: access.tokens,
        });
  const usageApi = role === 'worker' || !room ? null : usageHttp(infra, meter, access.keys);
  const http =
    role === 'worker' || !room || !usageApi
      ? null
      : await buildHttp(config, infra, {
          vod,
          images,
          ingest,
          access,
          metrics,
          live,
          liveOrigin: liveOrigin(live, infra),
          room,
          qoeAnalytics: qoeAnalyticsServices(infra, { assets: vod.assets, streams: live.streams }),
          backups: backupAdmin(config, infra),
          quotas,
          usage: usageApi,
        });
  const slots = jobSlotsFor(role, config);
  if (slots > 0) {
    const registry = workerJobs(config, infra, {
      vod,
      images,
      ingest,
      notifications,
      metrics,
      live,
      quotas,
      meter,
    });
    workers = createWorkerPool(config, infra, registry, slots, opts.jobTypes);
  }
  const dispatchers = workers
    ? outboxConsumers(infra, {
        smtpConfigured: notifications.smtp.configured,
        publicUrl: notifications.publicUrl,
      })
    : [];

  // Start: the consumers settle their cursors before anything can emit, then HTTP, then the pool.
  for (const d of dispatchers) await d.start();
  const shared = opts.sharedPort ? { reusePort: true, child: opts.sharedPort.child } : undefined;
  const listening = http ? await listen(config, http, infra, shared) : null;
  const runsLive = role === 'all' || role === 'live';
  // Other processes reach the live node on a port of its own when its public one is shared: the
  // port of FRAMEHOUSE_LIVE_INTERNAL_URL when given (it must not be PORT), any free one otherwise.
  const internal =
    http && runsLive && shared ? await listenInternal(http.app, config.host, internalPortOf(config)) : null;
  // all and live: RTMP/SRT ingest, live transcoding and packaging (after HTTP: other nodes reach it there).
  const liveNode = runsLive
    ? await startLiveNode(
        internal && !config.liveInternalUrlGiven ? { ...config, liveInternalUrl: internal.url } : config,
        infra,
        live,
        quotas.quotas,
      )
    : null;
  const pool = workers ? await startWorkerPool(config, infra, workers, metrics, role, slots) : null;
  const importScans = workers ? startImportScans(infra, ingest) : null;
  const qoeJobs = workers ? startQoeJobs(config, infra) : null;
  const trashPurge = workers ? startTrashJobs(infra) : null;
  const lifecycleJobs = workers ? startLifecycleJobs(infra) : null;
  // The 80 % / 100 % quota notices, every FRAMEHOUSE_USAGE_FLUSH_SECONDS.
  const quotaNotices = workers ? startQuotaJobs(config, infra) : null;
  const usageJobs = workers ? startUsageJobs(config, infra) : null;
  // FRAMEHOUSE_BACKUP_SCHEDULE: each slot's backup.run, one per slot across the workers.
  const backupSchedule = workers ? startBackupJobs(config, infra) : null;
  const workerMetrics =
    !http && config.metricsPort
      ? await serveWorkerMetrics(
          metrics,
          config.metricsPort,
          config.host,
          metricsOptionsOf(config),
          readinessCheck({ db, store: infra.store, ffmpegPath: config.ffmpegPath }),
        )
      : null;

  let closing: Promise<void> | null = null;
  return {
    app: http?.app ?? null,
    db,
    workers,
    uploads: http?.uploads ?? null,
    live,
    log,
    url: listening?.url ?? null,
    /** Graceful: stop claiming, let running jobs finish (or give their leases back), stop HTTP, close the database. */
    close() {
      closing ??= (async () => {
        // Broadcasts on air turn disconnected first: their encoders can reconnect to another node.
        await liveNode?.stop();
        await Promise.all([
          workers?.stop({ graceMs: config.shutdownGraceMs }),
          ...dispatchers.map((d) => d.stop()),
          pool?.stop(),
          importScans?.stop(),
          qoeJobs?.stop(),
          trashPurge?.stop(),
          lifecycleJobs?.stop(),
          quotaNotices?.stop(),
          usageJobs?.stop(),
          backupSchedule?.stop(),
          http?.app.close(),
          internal?.close(),
          listening?.housekeeping,
        ]);
        await room?.close();
        usageApi?.stop();
        await new Promise((r) => (workerMetrics ? workerMetrics.close(r) : r(undefined)));
        // What was counted since the last flush (the HTTP answers and the jobs are done by now).
        await meter.stop();
        await infra.close();
      })();
      return closing;
    },
  };
}

/** The private port of the live node's hops when the public one is shared (0: any free port). */
function internalPortOf(config: Config): number {
  if (!config.liveInternalUrlGiven) return 0;
  const url = new URL(config.liveInternalUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (port === config.port)
    throw new Error(
      `FRAMEHOUSE_LIVE_INTERNAL_URL (${config.liveInternalUrl}) must name a port other than PORT when several HTTP processes share PORT (FRAMEHOUSE_HTTP_PROCESSES): a hop there could reach a process that does not hold the broadcast`,
    );
  return port;
}
