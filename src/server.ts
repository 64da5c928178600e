import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import sharp from 'sharp';
import { authFromConfig } from './accounts/auth.ts';
import { UsersService } from './accounts/users.service.ts';
import { AssetsService } from './assets/assets.service.ts';
import { ApiKeysService } from './auth/api-keys.service.ts';
import { PlaybackTokens } from './auth/playback-tokens.ts';
import { buildApp } from './composition/app.ts';
import type { Config } from './config/config.ts';
import { type Db, isPostgresUrl, migrateToLatest, openDatabase } from './db/database.ts';
import { Thumbnailer } from './delivery/thumbnails.ts';
import type { OutboxDispatcher } from './events/outbox-dispatcher.ts';
import { batchItemJob } from './images/batch-item.job.ts';
import { Batches } from './images/batches.ts';
import { ImageRenditions } from './images/image-renditions.ts';
import { imgKeysFromHex } from './images/imgproxy-url.ts';
import { imageLimitsOf } from './images/limits.ts';
import { Presets } from './images/presets.ts';
import { assetMailJob } from './notifications/asset-mail.ts';
import { QueuedMailer, sendMailJob } from './notifications/mail.job.ts';
import { assetMailDispatcher } from './notifications/mail-dispatcher.ts';
import { createMailer } from './notifications/mailer.ts';
import { recordDeadJobEvents } from './ops/dead-job-events.ts';
import { serveWorkerMetrics } from './ops/metrics.routes.ts';
import { Metrics } from './ops/metrics.ts';
import { WorkerPresence } from './ops/worker-presence.ts';
import { pipelineJobs } from './pipeline/index.ts';
import { ThroughputTracker } from './pipeline/ladder-strategy.ts';
import { PoolAutoscaler } from './queue/autoscaler.ts';
import { PostgresNotifier } from './queue/pg-notifier.ts';
import { JobQueue } from './queue/queue.ts';
import { WorkerPool } from './queue/worker.ts';
import { createObjectStore } from './storage/create-store.ts';
import type { UploadsService } from './uploads/uploads.service.ts';
import { deliverWebhookJob } from './webhooks/delivery.ts';
import { webhookDispatcher } from './webhooks/dispatcher.ts';

export interface RunningServer {
  /** The HTTP app; null for the `worker` role. */
  app: FastifyInstance | null;
  db: Db;
  workers: WorkerPool | null;
  /** Resumable uploads; null for the `worker` role. */
  uploads: UploadsService | null;
  log: Logger;
  /** Where the HTTP app listens; null for the `worker` role. */
  url: string | null;
  close(): Promise<void>;
}

/**
 * What a process runs: `all` (`framehouse serve`: HTTP and workers), `api` (HTTP only) or
 * `worker` (jobs only, optionally of some types).
 */
export type Role = 'all' | 'api' | 'worker';

/**
 * The composition root of every role: adapters chosen from configuration in this one place,
 * then the HTTP app and/or the worker pool over them.
 */
export async function startServer(
  config: Config,
  opts: { role?: Role; jobTypes?: string[] } = {},
): Promise<RunningServer> {
  const role = opts.role ?? 'all';
  const log: Logger = pino({
    level: config.logLevel,
    enabled: config.logLevel !== 'silent',
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  });
  const db = openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const store = await createObjectStore(config.storageUrl);
  // PostgreSQL wakes idle workers of every process at once; SQLite serves one machine in-process.
  const notifier = isPostgresUrl(config.databaseUrl)
    ? new PostgresNotifier(config.databaseUrl, (err) => log.warn({ err }, 'job wake-up connection lost'))
    : null;
  await notifier?.start();
  const queue = new JobQueue({ db, onDeadLetter: recordDeadJobEvents, ...(notifier ? { notifier } : {}) });
  const thumbnails = new Thumbnailer({ store, ffmpegPath: config.ffmpegPath });
  const assets = new AssetsService({ db, queue });
  const imageLimits = imageLimitsOf(config);
  const imageRenditions = new ImageRenditions({ store, limits: imageLimits });
  const presets = new Presets(db, config.imagePresets);
  const batches = new Batches({ db, queue, presets });
  // libvips threads per image; parallel images come from the worker's slots (see docs/images-scaling.md).
  sharp.concurrency(config.imageThreads);

  // Made before the app and the workers, which report to it; `workers` is read at scrape time.
  let workers: WorkerPool | null = null;
  const metrics = new Metrics({
    db,
    queue,
    workers: () => workers,
  });
  const metricsOptions = { token: config.metricsToken, allowedIps: config.metricsAllowedIps };
  const keys = new ApiKeysService(db);
  const tokens = new PlaybackTokens(db);
  const smtp = createMailer(config.smtpUrl, config.mailFrom, log);
  // Requests queue their mail (reset links, sign-in notices); workers hand it to SMTP and retry.
  const mailer = new QueuedMailer(smtp, queue, db);
  const auth = await authFromConfig(db, config, mailer, log);
  if (role !== 'worker') {
    if (config.adminApiKey) await keys.ensureEnvAdminKey(config.adminApiKey);
    await tokens.ensureSigningKey();
    if (!(await new UsersService(db).any()) && !(await keys.anyActive())) {
      log.warn(
        'open mode: no API key or account exists yet, so every request is treated as an administrator. ' +
          'Set FRAMEHOUSE_ADMIN_API_KEY, make a key (POST /v1/api-keys) or an account (framehouse users create) to require credentials.',
      );
    }
  }
  const http =
    role === 'worker'
      ? null
      : await buildApp({
          db,
          store,
          assets,
          thumbnails,
          dataDir: config.dataDir,
          maxUploadBytes: config.maxUploadBytes,
          ffmpegPath: config.ffmpegPath,
          trustProxy: config.trustProxy,
          segmentRedirectSeconds: config.segmentRedirectSeconds,
          keys,
          tokens,
          auth,
          webhooksAllowPrivate: config.webhooksAllowPrivate,
          queue,
          metrics,
          publicUrl: config.publicUrl,
          images: {
            keys: imgKeysFromHex(config.imgKey, config.imgSalt),
            renditions: imageRenditions,
            watermarkAssetId: config.imgWatermarkAsset ?? null,
            presets,
            batches,
          },
          metricsOptions,
          security: {
            corsOrigins: config.corsOrigins,
            adminAllowedIps: config.adminAllowedIps,
            rateLimitPerMinute: config.rateLimitPerMinute,
            tokenRateLimitPerMinute: config.tokenRateLimitPerMinute,
            authFailuresPerMinute: config.authFailuresPerMinute,
          },
          logger: log,
        });

  let dispatchers: OutboxDispatcher[] = [];
  const concurrency = concurrencyFor(role, config);
  if (concurrency > 0) {
    const registry = pipelineJobs({
      db,
      queue,
      store,
      thumbnails,
      ffmpegPath: config.ffmpegPath,
      ffprobePath: config.ffprobePath,
      workDir: join(config.dataDir, 'work'),
      x264Preset: config.x264Preset,
      segmentSeconds: config.segmentSeconds,
      transcodeTimeoutFactor: config.transcodeTimeoutFactor,
      imageLimits,
      ladderStrategy: config.ladderStrategy,
      throughput: new ThroughputTracker(),
    });
    registry.register(
      deliverWebhookJob({
        db,
        queue,
        config: {
          retrySchedule: config.webhookRetrySchedule,
          disableAfterFailures: config.webhookDisableAfter,
          allowPrivate: config.webhooksAllowPrivate,
          timeoutMs: config.webhookTimeoutMs,
        },
        onAttempt: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
      }),
    );
    registry.register(
      assetMailJob({ db, mailer: smtp, publicUrl: config.publicUrl ?? `http://localhost:${config.port}` }),
    );
    registry.register(sendMailJob(smtp));
    registry.register(batchItemJob({ db, batches, renditions: imageRenditions }));
    // Worker nodes turn events into webhook deliveries and e-mail notices (once each, whichever
    // node is first).
    dispatchers = [
      webhookDispatcher(db, queue, (err) => log.warn({ err }, 'webhook dispatch failed')),
      assetMailDispatcher(db, queue, (err) => log.warn({ err }, 'mail dispatch failed')),
    ];
    workers = new WorkerPool({
      queue,
      registry,
      concurrency,
      ...(opts.jobTypes?.length ? { types: opts.jobTypes } : {}),
      workerId: `${hostname()}-${process.pid}`,
      visibilityTimeoutMs: config.jobVisibilityTimeoutMs,
      logger: log.child({ component: 'worker' }),
    });
  }

  for (const d of dispatchers) await d.start();
  let url: string | null = null;
  let uploadHousekeeping: Promise<void> = Promise.resolve();
  if (http) {
    // Uploads cut short at completion, and the sweep: in the background, so that many
    // unfinished uploads do not delay start-up (close waits for it).
    const uploads = http.uploads;
    uploadHousekeeping = uploads
      .resumeUnfinished()
      .then(() => uploads.sweep())
      .catch((err: unknown) => log.warn({ err }, 'resuming or sweeping uploads failed'));
    await http.app.listen({ port: config.port, host: config.host });
    const address = http.app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : config.port}`;
  }
  if (workers) metrics.observeWorkers(workers);
  workers?.start();
  // --min/--max: the pool sizes itself on the backlog and the host's load.
  const autoscaler =
    workers && config.workerMax
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
  const presence = workers ? new WorkerPresence(db, workers, role, concurrency) : null;
  await presence?.start((err) => log.warn({ err }, 'worker heartbeat failed'));
  const workerMetrics =
    !http && config.metricsPort
      ? await serveWorkerMetrics(metrics, config.metricsPort, config.host, metricsOptions)
      : null;

  let closing: Promise<void> | null = null;
  return {
    app: http?.app ?? null,
    db,
    workers,
    uploads: http?.uploads ?? null,
    log,
    url,
    /** Graceful: stop claiming, let running jobs finish (or give their leases back), stop HTTP, close the database. */
    close() {
      closing ??= (async () => {
        await Promise.all([
          workers?.stop({ graceMs: config.shutdownGraceMs }),
          ...dispatchers.map((d) => d.stop()),
          autoscaler?.stop(),
          presence?.stop().catch(() => {}),
          http?.app.close(),
          uploadHousekeeping,
        ]);
        await new Promise((r) => (workerMetrics ? workerMetrics.close(r) : r(undefined)));
        await notifier?.close();
        await db.destroy();
      })();
      return closing;
    },
  };
}

/** Job slots a process runs: none for `api`, at least one for `worker`. */
function concurrencyFor(role: Role, config: Config): number {
  return role === 'api' ? 0 : Math.max(config.workerConcurrency, role === 'worker' ? 1 : 0);
}
