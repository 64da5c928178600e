import { availableParallelism } from 'node:os';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAccountRoutes } from '../accounts/accounts.routes.ts';
import type { Auth } from '../accounts/auth.ts';
import { UsersService } from '../accounts/users.service.ts';
import { registerAssetRoutes } from '../assets/assets.routes.ts';
import type { AssetsService } from '../assets/assets.service.ts';
import { registerAuditRoutes } from '../audit/audit.routes.ts';
import { AuditService } from '../audit/audit.service.ts';
import { registerAccessRoutes } from '../auth/access.routes.ts';
import { registerAccessControl } from '../auth/access.ts';
import { AddressAllowlist } from '../auth/address-allowlist.ts';
import type { ApiKeysService } from '../auth/api-keys.service.ts';
import type { PlaybackTokens } from '../auth/playback-tokens.ts';
import { registerTrackRoutes } from '../captions/tracks.routes.ts';
import type { TracksService } from '../captions/tracks.service.ts';
import type { TrustProxy } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { AssetThumbnails } from '../delivery/asset-thumbnail.ts';
import type { HotObjects } from '../delivery/hot-objects.ts';
import { PLAYBACK_CORS, registerPlaybackRoutes } from '../delivery/playback.routes.ts';
import type { Thumbnailer } from '../delivery/thumbnails.ts';
import { registerEventRoutes } from '../events/events.routes.ts';
import { AccessLog, type AccessLogMode } from '../http/access-log.ts';
import { registerErrorHandling } from '../http/error-handler.ts';
import { registerHealthRoutes } from '../http/health.routes.ts';
import { registerSecurityHeaders } from '../http/security-headers.ts';
import type { Batches } from '../images/batches.ts';
import type { ImageRenditions } from '../images/image-renditions.ts';
import { registerImageRoutes } from '../images/images.routes.ts';
import { registerImgRoutes } from '../images/img.routes.ts';
import type { ImgproxyKeys } from '../images/imgproxy-url.ts';
import type { Presets } from '../images/presets.ts';
import type { Imports } from '../imports/imports.service.ts';
import { registerStorageHookRoute } from '../imports/storage-hook.routes.ts';
import type { UrlIngest } from '../ingest/url-ingest.ts';
import type { LiveOrigin } from '../live/origin/live-origin.ts';
import type { IngestAddresses } from '../live/streams/ingest-addresses.ts';
import { registerLiveStreamRoutes } from '../live/streams/live-streams.routes.ts';
import type { LiveStreamsService } from '../live/streams/live-streams.service.ts';
import type { WhepOrigin } from '../live/whep/whep-origin.ts';
import { registerAdminRoutes } from '../ops/admin.routes.ts';
import { registerMetricsRoute } from '../ops/metrics.routes.ts';
import type { Metrics } from '../ops/metrics.ts';
import { QOE_REPORT_CORS, QOE_REPORT_PATHS } from '../qoe/ingest.routes.ts';
import type { JobQueue } from '../queue/queue.ts';
import { newId } from '../shared/ids.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { createUploadStaging } from '../uploads/staging.ts';
import { registerUploadRoutes } from '../uploads/uploads.routes.ts';
import type { UploadsService } from '../uploads/uploads.service.ts';
import { registerWebRoutes } from '../web/web.routes.ts';
import { registerWebhookRoutes } from '../webhooks/webhooks.routes.ts';
import { WebhooksService } from '../webhooks/webhooks.service.ts';
import type { BackupAdmin } from './backups.ts';
import type { LifecycleHttp } from './lifecycle.ts';
import type { QoeIngest } from './qoe.ts';
import type { QoeAnalytics } from './qoe-analytics.ts';
import type { QuotaServices } from './quotas.ts';
import type { RoomServices } from './room.ts';
import type { UsageHttp } from './usage.ts';

export interface AppDeps {
  db: Db;
  store: ObjectStore;
  assets: AssetsService;
  /** Subtitle and caption tracks of assets. */
  tracks: TracksService;
  /** Live streams and the ingest addresses their API shows. */
  live: { streams: LiveStreamsService; addresses: IngestAddresses; origin: LiveOrigin; whep: WhepOrigin };
  /** Assets from a URL (`POST /v1/assets` with JSON). */
  urlIngest: UrlIngest;
  /** Objects under imports/ as assets: the storage hook (on with its secret) and image batches. */
  imports: Imports;
  storageHookSecret: string | undefined;
  thumbnails: Thumbnailer;
  dataDir: string;
  maxUploadBytes: number;
  ffmpegPath: string;
  /** Fastify's `trustProxy`: see TrustProxy in config. */
  trustProxy: TrustProxy;
  segmentRedirectSeconds: number;
  keys: ApiKeysService;
  tokens: PlaybackTokens;
  auth: Auth;
  queue: JobQueue;
  metrics: Metrics;
  /** imgproxy-compatible image URLs: the signing key and salt, renderings, the watermark asset. */
  images: {
    keys: ImgproxyKeys | null;
    renditions: ImageRenditions;
    watermarkAssetId: string | null;
    presets: Presets;
    batches: Batches;
  };
  /** FRAMEHOUSE_PUBLIC_URL, when set. */
  publicUrl: string | undefined;
  metricsOptions: { token: string | undefined; allowedIps: string[] };
  webhooksAllowPrivate: boolean;
  /** How often the live event streams read the outbox. */
  eventsPollMs: number;
  security: {
    /** Origins allowed to call the API from a browser (playback is open to every origin). */
    corsOrigins: string[];
    /** CIDRs allowed to use admin routes; empty: any address. */
    adminAllowedIps: string[];
    rateLimitPerMinute: number;
    tokenRateLimitPerMinute: number;
    authFailuresPerMinute: number;
  };
  /** The process's logger: requests get children of it, with their request id. */
  logger: FastifyBaseLogger;
  /** One line per request (`all`), for failed requests only (`errors`), or none. */
  accessLog: AccessLogMode;
  /** The playback origin's memory tier (FRAMEHOUSE_HOT_CACHE_MB; none when 0). */
  hot: HotObjects | undefined;
  /** The live rooms (chat, reactions, viewers, products, moderation). */
  room: RoomServices;
  /** Viewer analytics: the players' report endpoints. */
  qoe: QoeIngest;
  /** Viewer analytics, the reading side. */
  qoeAnalytics: QoeAnalytics;
  /** Backup runs and the schedule, for admins. */
  backups: BackupAdmin;
  /** Storage lifecycle: the storage report (admin) and the record of views. */
  lifecycle: LifecycleHttp;
  /** Unfinished resumable uploads are removed this long after they began. */
  unfinishedUploadMs: number;
  /** Quotas: checked when an upload is created; the admin's rows and the caller's usage. */
  quotas: Pick<QuotaServices, 'quotas' | 'register'>;
  /** Usage metering: the report routes and the delivery meter. */
  usage: UsageHttp;
  /** FRAMEHOUSE_SEGMENT_SECONDS (a VOD segment's media seconds, for metering). */
  segmentSeconds: number;
}

/**
 * Fastify's form of FRAMEHOUSE_TRUST_PROXY. A hop count becomes a function: Fastify 5.12 takes a
 * bare number as "trust nothing" (it cannot check who the nearest peer is). Trusting the nearest
 * `hops` peers is what the setting means; it is only safe when every client comes through the
 * proxy, which is what setting it says.
 */
function fastifyTrustProxy(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust;
}

/**
 * Builds the HTTP app: cross-cutting plugins first (http/), then every feature's routes. Part of
 * the composition root: the one module that imports every routes file.
 */
export async function buildApp(deps: AppDeps): Promise<{ app: FastifyInstance; uploads: UploadsService }> {
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: () => newId(12),
    requestIdHeader: 'x-request-id',
    trustProxy: fastifyTrustProxy(deps.trustProxy),
    bodyLimit: 1024 * 1024, // JSON bodies; uploads stream through multipart or tus
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true } },
    // One line per request instead of Fastify's two, without credentials (see access-log.ts).
    logController: new AccessLog(deps.accessLog),
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  registerErrorHandling(app);
  registerSecurityHeaders(app, {
    // Players on other sites fetch segments and thumbnails: resources are not same-origin only.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginEmbedderPolicy: false,
  });
  // Browsers on the allowed origins may call the API; playback is open to every origin.
  const apiOrigins = new Set(deps.security.corsOrigins);
  await app.register(cors, {
    delegator: (request, callback) => {
      if (request.url.startsWith('/play/')) return callback(null, PLAYBACK_CORS);
      if (QOE_REPORT_PATHS.includes(request.url.split('?')[0] ?? '')) return callback(null, QOE_REPORT_CORS);
      callback(null, {
        origin: (origin, cb) => cb(null, origin !== undefined && apiOrigins.has(origin)),
        methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
        allowedHeaders: [
          'authorization',
          'content-type',
          'tus-resumable',
          'upload-length',
          'upload-offset',
          'upload-metadata',
          'upload-defer-length',
          'x-http-method-override',
          'x-request-id',
        ],
        exposedHeaders: [
          'location',
          'retry-after',
          'x-request-id',
          'upload-offset',
          'upload-length',
          'tus-resumable',
          'upload-expires',
        ],
        maxAge: 600,
      });
    },
  });
  // Access control before any route: every route gets its permission from the policy table.
  await registerAccessControl(app, {
    db: deps.db,
    keys: deps.keys,
    sessions: async (headers) => {
      const session = await deps.auth.api.getSession({ headers });
      return session ? { user: session.user } : null;
    },
    // Pages of the allowed origins, and of this server's public URL (behind a proxy the
    // request's own host may differ from it).
    trustedOrigins: [...deps.security.corsOrigins, ...(deps.publicUrl ? [deps.publicUrl] : [])],
    adminAllowlist: deps.security.adminAllowedIps.length
      ? new AddressAllowlist(deps.security.adminAllowedIps)
      : null,
    maxAuthFailuresPerMinute: deps.security.authFailuresPerMinute,
    requestsPerMinute: deps.security.rateLimitPerMinute,
    qoe: deps.qoe.enabled,
    trashDays: deps.assets.trashDays,
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Framehouse API',
        version: '0.1.0',
        description: 'Upload, process and deliver video and audio.',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(multipart, {
    // A few file parts are tolerated (only `file` is kept, the others drained).
    limits: { fileSize: deps.maxUploadBytes, files: 3, fields: 10, fieldSize: 64 * 1024, parts: 20 },
  });

  deps.metrics.observeHttp(app);
  registerMetricsRoute(app, deps.metrics, deps.metricsOptions);
  registerHealthRoutes(app, { db: deps.db, store: deps.store, ffmpegPath: deps.ffmpegPath });
  await registerWebRoutes(app);
  registerImageRoutes(app, {
    presets: deps.images.presets,
    batches: deps.images.batches,
    renditions: deps.images.renditions,
    assets: deps.assets,
    imports: deps.imports,
  });
  registerImgRoutes(app, {
    assets: deps.assets,
    renditions: deps.images.renditions,
    keys: deps.images.keys,
    watermarkAssetId: deps.images.watermarkAssetId,
    maxRendering: Math.max(1, availableParallelism()),
  });
  registerAssetRoutes(app, {
    assets: deps.assets,
    store: deps.store,
    urlIngest: deps.urlIngest,
    quota: deps.quotas.quotas,
    maxUploadBytes: deps.maxUploadBytes,
  });
  registerTrackRoutes(app, { assets: deps.assets, tracks: deps.tracks });
  registerLiveStreamRoutes(app, { streams: deps.live.streams, addresses: deps.live.addresses });
  deps.room.register(app, {
    pictures: new AssetThumbnails({
      store: deps.store,
      thumbnails: deps.thumbnails,
      images: deps.images.renditions,
      hot: deps.hot,
    }),
  });
  const uploads = registerUploadRoutes(app, {
    db: deps.db,
    store: deps.store,
    assets: deps.assets,
    dataDir: deps.dataDir,
    maxUploadBytes: deps.maxUploadBytes,
    trustProxy: deps.trustProxy !== false,
    corsOrigins: deps.security.corsOrigins,
    staging: await createUploadStaging(deps.store, deps.db, deps.dataDir, deps.unfinishedUploadMs),
    unfinishedAfterMs: deps.unfinishedUploadMs,
    quota: deps.quotas.quotas,
    onExpired: (bytes) => {
      deps.metrics.lifecycleObjects.inc({ action: 'expire-upload' });
      deps.metrics.lifecycleBytes.inc({ action: 'expire-upload' }, bytes);
    },
  });
  await registerPlaybackRoutes(app, {
    assets: deps.assets,
    store: deps.store,
    thumbnails: deps.thumbnails,
    tokens: deps.tokens,
    segmentRedirectSeconds: deps.segmentRedirectSeconds,
    images: deps.images.renditions,
    tracks: deps.tracks,
    live: deps.live.origin,
    whep: deps.live.whep,
    hot: deps.hot,
    onMasterPlaylist: deps.lifecycle.viewed,
    usage: deps.usage.delivery,
    segmentSeconds: deps.segmentSeconds,
  });
  registerAccessRoutes(app, {
    assets: deps.assets,
    isLivePlaybackId: async (playbackId) => (await deps.live.streams.byPlaybackId(playbackId)) !== undefined,
    keys: deps.keys,
    tokens: deps.tokens,
    tokensPerMinute: deps.security.tokenRateLimitPerMinute,
  });
  registerStorageHookRoute(app, { imports: deps.imports, secret: deps.storageHookSecret });
  deps.qoeAnalytics.register(app);
  registerAuditRoutes(app, { audit: new AuditService(deps.db) });
  registerAccountRoutes(app, { auth: deps.auth, users: new UsersService(deps.db) });
  registerEventRoutes(app, { db: deps.db, pollMs: deps.eventsPollMs });
  deps.qoe.register(app);
  registerAdminRoutes(app, { db: deps.db, queue: deps.queue });
  deps.backups.register(app);
  deps.lifecycle.register(app);
  deps.quotas.register(app);
  deps.usage.register(app);
  registerWebhookRoutes(app, {
    webhooks: new WebhooksService(deps.db, deps.webhooksAllowPrivate, deps.queue),
  });
  return { app, uploads };
}
