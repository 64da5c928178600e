import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AssetsService } from './assets/assets.service.ts';
import type { Config } from './config/config.ts';
import { type Db, migrateToLatest, openDatabase } from './db/database.ts';
import { Thumbnailer } from './delivery/thumbnails.ts';
import { buildApp } from './http/app.ts';
import { pipelineJobs } from './pipeline/index.ts';
import { ThroughputTracker } from './pipeline/ladder-strategy.ts';
import { JobQueue } from './queue/queue.ts';
import { WorkerPool } from './queue/worker.ts';
import { createObjectStore } from './storage/create-store.ts';

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  workers: WorkerPool | null;
  url: string;
  close(): Promise<void>;
}

/**
 * The composition root of `framehouse serve`: adapters chosen from configuration in this one
 * place, then the HTTP app and the worker pool over them.
 */
export async function startServer(config: Config): Promise<RunningServer> {
  const db = openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const store = await createObjectStore(config.storageUrl);
  const queue = new JobQueue({ db });
  const thumbnails = new Thumbnailer({ store, ffmpegPath: config.ffmpegPath });
  const assets = new AssetsService({ db, queue });

  const { app, uploads } = await buildApp({
    db,
    store,
    assets,
    thumbnails,
    dataDir: config.dataDir,
    maxUploadBytes: config.maxUploadBytes,
    ffmpegPath: config.ffmpegPath,
    trustProxy: config.trustProxy,
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
  });

  let workers: WorkerPool | null = null;
  if (config.workerConcurrency > 0) {
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
      ladderStrategy: config.ladderStrategy,
      throughput: new ThroughputTracker(),
    });
    workers = new WorkerPool({
      queue,
      registry,
      concurrency: config.workerConcurrency,
      workerId: `${hostname()}-${process.pid}`,
      visibilityTimeoutMs: config.jobVisibilityTimeoutMs,
      logger: app.log.child({ component: 'worker' }),
    });
  }

  await uploads.resumeUnfinished();
  await uploads.sweepFinished();
  await app.listen({ port: config.port, host: config.host });
  workers?.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  let closing: Promise<void> | null = null;
  return {
    app,
    db,
    workers,
    url: `http://127.0.0.1:${port}`,
    /** Graceful: stop claiming, let running jobs finish (or give their leases back), stop HTTP, close the database. */
    close() {
      closing ??= (async () => {
        await Promise.all([workers?.stop({ graceMs: config.shutdownGraceMs }), app.close()]);
        await db.destroy();
      })();
      return closing;
    },
  };
}
