import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import { HotObjects } from '../delivery/hot-objects.ts';
import type { LiveOrigin } from '../live/origin/live-origin.ts';
import { WhepOrigin } from '../live/whep/whep-origin.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { UploadsService } from '../uploads/uploads.service.ts';
import { type AccessServices, prepareAccess } from './access.ts';
import { buildApp } from './app.ts';
import type { BackupAdmin } from './backups.ts';
import { type ImageServices, imageHttpOptions } from './images.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { IngestServices } from './ingest.ts';
import { lifecycleHttp } from './lifecycle.ts';
import type { LiveServices } from './live.ts';
import { qoeIngest } from './qoe.ts';
import type { QoeAnalytics } from './qoe-analytics.ts';
import type { QuotaServices } from './quotas.ts';
import type { RoomServices } from './room.ts';
import type { UsageHttp } from './usage.ts';
import type { VodServices } from './vod.ts';

export interface HttpApp {
  app: FastifyInstance;
  uploads: UploadsService;
}

/** The HTTP side of the `all` and `api` roles: access prepared, then the app (not listening yet). */
export async function buildHttp(
  config: Config,
  infra: Infrastructure,
  services: {
    vod: VodServices;
    images: ImageServices;
    ingest: IngestServices;
    access: AccessServices;
    metrics: Metrics;
    live: LiveServices;
    liveOrigin: LiveOrigin;
    room: RoomServices;
    qoeAnalytics: QoeAnalytics;
    backups: BackupAdmin;
    quotas: QuotaServices;
    usage: UsageHttp;
  },
): Promise<HttpApp> {
  const { db, store, queue, log } = infra;
  const { vod, images, ingest, access, metrics, live, liveOrigin, room, qoeAnalytics, backups, quotas } =
    services;
  await prepareAccess(config, infra, access);
  const hot =
    config.hotCacheMb > 0 ? new HotObjects(store, { maxBytes: config.hotCacheMb * 1024 * 1024 }) : undefined;
  if (hot) metrics.observeMemoryTier(hot);
  return buildApp({
    db,
    store,
    assets: vod.assets,
    tracks: vod.tracks,
    live: {
      streams: live.streams,
      addresses: live.addresses,
      origin: liveOrigin,
      whep: new WhepOrigin({ local: live.localWhep }),
    },
    urlIngest: ingest.urlIngest,
    imports: ingest.imports,
    storageHookSecret: config.storageHookSecret,
    thumbnails: vod.thumbnails,
    dataDir: config.dataDir,
    maxUploadBytes: config.maxUploadBytes,
    ffmpegPath: config.ffmpegPath,
    trustProxy: config.trustProxy,
    segmentRedirectSeconds: config.segmentRedirectSeconds,
    keys: access.keys,
    tokens: access.tokens,
    auth: access.auth,
    webhooksAllowPrivate: config.webhooksAllowPrivate,
    eventsPollMs: config.eventsPollMs,
    queue,
    metrics,
    publicUrl: config.publicUrl,
    images: imageHttpOptions(config, images),
    metricsOptions: metricsOptionsOf(config),
    security: {
      corsOrigins: config.corsOrigins,
      adminAllowedIps: config.adminAllowedIps,
      rateLimitPerMinute: config.rateLimitPerMinute,
      tokenRateLimitPerMinute: config.tokenRateLimitPerMinute,
      authFailuresPerMinute: config.authFailuresPerMinute,
    },
    logger: log,
    accessLog: config.accessLog,
    hot,
    room,
    qoe: qoeIngest(config, infra, { assets: vod.assets, streams: live.streams, metrics }),
    qoeAnalytics,
    backups,
    lifecycle: lifecycleHttp(config, infra),
    quotas,
    unfinishedUploadMs: config.lifecycleUnfinishedUploadDays * 24 * 3_600_000,
    usage: services.usage,
    segmentSeconds: config.segmentSeconds,
  });
}

/** Who may scrape /metrics: a bearer token, an address list, or both. */
export function metricsOptionsOf(config: Config) {
  return { token: config.metricsToken, allowedIps: config.metricsAllowedIps };
}

/**
 * Listens, and takes up the uploads cut short at completion and the sweep in the background,
 * so that many unfinished uploads do not delay start-up (`housekeeping`: close waits for it).
 * With `shared`, the port is one of several processes' (SO_REUSEPORT: the kernel spreads
 * connections over them); only the first of them (not a `child`) does the housekeeping.
 */
export async function listen(
  config: Config,
  { app, uploads }: HttpApp,
  { log }: Infrastructure,
  shared: { reusePort: boolean; child: boolean } = { reusePort: false, child: false },
): Promise<{ url: string; housekeeping: Promise<void> }> {
  const housekeeping = shared.child
    ? Promise.resolve()
    : uploads
        .resumeUnfinished()
        .then(() => uploads.sweep())
        .catch((err: unknown) => log.warn({ err }, 'resuming or sweeping uploads failed'));
  await app.listen({
    port: config.port,
    host: config.host,
    ...(shared.reusePort ? { reusePort: true } : {}),
  });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : config.port}`;
  return { url, housekeeping };
}

/**
 * A second, private port of this process's app, for the hops between nodes that must reach this
 * process and no other: with several processes on the public port, a live playlist forwarded to
 * "the node holding the broadcast" could otherwise land on a sibling that does not hold it.
 */
export async function listenInternal(
  app: FastifyInstance,
  host: string,
  port = 0,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => app.routing(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    server,
    url: `http://${hostname()}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
