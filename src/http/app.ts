import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAssetRoutes } from '../assets/assets.routes.ts';
import type { AssetsService } from '../assets/assets.service.ts';
import type { Db } from '../db/database.ts';
import { registerPlaybackRoutes } from '../delivery/playback.routes.ts';
import type { Thumbnailer } from '../delivery/thumbnails.ts';
import { newId } from '../shared/ids.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { registerUploadRoutes } from '../uploads/uploads.routes.ts';
import type { UploadsService } from '../uploads/uploads.service.ts';
import { registerErrorHandling } from './error-handler.ts';
import { registerHealthRoutes } from './health.routes.ts';

export interface AppDeps {
  db: Db;
  store: ObjectStore;
  assets: AssetsService;
  thumbnails: Thumbnailer;
  dataDir: string;
  maxUploadBytes: number;
  ffmpegPath: string;
  trustProxy: boolean;
  segmentRedirectSeconds: number;
  /** The process's logger: requests get children of it, with their request id. */
  logger: FastifyBaseLogger;
}

/** Builds the HTTP app: cross-cutting plugins first, then each feature registers its routes. */
export async function buildApp(deps: AppDeps): Promise<{ app: FastifyInstance; uploads: UploadsService }> {
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId: () => newId(12),
    requestIdHeader: 'x-request-id',
    trustProxy: deps.trustProxy,
    bodyLimit: 1024 * 1024, // JSON bodies; uploads stream through multipart or tus
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true } },
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  registerErrorHandling(app);
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

  registerHealthRoutes(app, { db: deps.db, store: deps.store, ffmpegPath: deps.ffmpegPath });
  registerAssetRoutes(app, { assets: deps.assets, store: deps.store });
  const uploads = registerUploadRoutes(app, {
    db: deps.db,
    store: deps.store,
    assets: deps.assets,
    dataDir: deps.dataDir,
    maxUploadBytes: deps.maxUploadBytes,
    trustProxy: deps.trustProxy,
  });
  await registerPlaybackRoutes(app, {
    db: deps.db,
    store: deps.store,
    thumbnails: deps.thumbnails,
    segmentRedirectSeconds: deps.segmentRedirectSeconds,
  });
  return { app, uploads };
}
