import type { IncomingMessage } from 'node:http';
import { Server as TusServer } from '@tus/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AssetsService } from '../assets/assets.service.ts';
import { whoFor } from '../audit/audit.ts';
import type { Db } from '../db/database.ts';
import { errorBody, localeForPath } from '../http/error-handler.ts';
import { errorMessage } from '../i18n/error-messages.ts';
import type { QuotaRefusal } from '../quotas/quota-rules.ts';
import { quotaError, type UploadQuotaCheck } from '../quotas/quotas.service.ts';
import { AppError, isStorageFull } from '../shared/errors.ts';
import { ID_PATTERN, newId } from '../shared/ids.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { UploadStaging } from './staging.ts';
import { DatabaseLocker } from './upload-locker.ts';
import { UploadsService } from './uploads.service.ts';

interface Deps {
  db: Db;
  store: ObjectStore;
  assets: AssetsService;
  dataDir: string;
  maxUploadBytes: number;
  trustProxy: boolean;
  /** Origins whose browsers may upload (the API's CORS allowlist). */
  corsOrigins: string[];
  /** Where unfinished uploads are kept (made by createUploadStaging for the object store). */
  staging: UploadStaging;
  /** Unfinished uploads are removed this long after they began. */
  unfinishedAfterMs: number;
  /** Each unfinished upload the sweep removes, with the bytes it had staged (metrics). */
  onExpired?: (bytes: number) => void;
  /** The caller's quotas (src/quotas), checked at creation before tus makes anything. */
  quota?: UploadQuotaCheck;
}

const UPLOADS_PATH = '/v1/uploads';
const ACTOR_HEADER = 'x-framehouse-internal-actor';
const IP_HEADER = 'x-framehouse-internal-ip';
/** The caller's storage quota as `{limit} {used}` in bytes, or `none`, for tus's maxSize. */
const ROOM_HEADER = 'x-framehouse-internal-storage-room';

/**
 * tus 1.0 (creation, HEAD offset, PATCH, termination) at /v1/uploads, served by @tus/server,
 * plus `GET /v1/uploads/{id}` reporting the asset an upload became.
 */
export function registerUploadRoutes(app: FastifyInstance, deps: Deps): UploadsService {
  const { staging } = deps;
  const uploads = new UploadsService({
    db: deps.db,
    assets: deps.assets,
    staging,
    log: app.log,
    unfinishedAfterMs: deps.unfinishedAfterMs,
    ...(deps.onExpired ? { onExpired: deps.onExpired } : {}),
  });
  const sweep = setInterval(() => {
    void uploads.sweep().catch((err) => app.log.warn({ err }, 'upload sweep failed'));
  }, 3_600_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  const tus = new TusServer({
    path: UPLOADS_PATH,
    datastore: staging.datastore,
    // Locks in the database: a PATCH retried through another api node waits for (and
    // preempts) the one still running on the first.
    locker: new DatabaseLocker(deps.db),
    // The caller's room under their storage quota bounds an upload as well as the server's
    // limit: that is what stops a deferred length (checked on the usage alone at creation) from
    // growing past the quota, on its PATCHes' Upload-Length and on the bytes themselves.
    // (@tus/server applies maxSize only to uploads of deferred length; a declared length is
    // counted in the usage already and was checked at creation.)
    maxSize: async (req) => {
      const room = roomOf(req);
      if (!room) return deps.maxUploadBytes;
      const left = room.limit - room.used;
      if (left <= 0) {
        // 0 would mean "no limit" to @tus/server: a full storage refuses a deferred upload here.
        if (await isDeferred(req)) throw tusRefusal(quotaError(storageRefusalOf(room, req)), req);
        return deps.maxUploadBytes;
      }
      return deps.maxUploadBytes > 0 ? Math.min(deps.maxUploadBytes, left) : left;
    },
    // A deferred upload past the quota (not the server's own limit): tus's 413 becomes our
    // coded refusal. A declared length's 413 (a body longer than it) stays tus's.
    onResponseError: async (req, err) => {
      // A full disk under the staging folder: what was written stays (the offset says how much),
      // and the client resumes once space returns.
      if (isStorageFull(err)) return tusRefusal(new AppError('FH_ERR_STORAGE_FULL'), req);
      const room = roomOf(req);
      const status = (err as { status_code?: unknown }).status_code;
      if (!room || status !== 413) return undefined;
      if (deps.maxUploadBytes > 0 && room.limit - room.used >= deps.maxUploadBytes) return undefined;
      if (!(await isDeferred(req))) return undefined;
      return tusRefusal(quotaError(storageRefusalOf(room, req)), req);
    },
    respectForwardedHeaders: deps.trustProxy,
    allowedOrigins: (origin) => deps.corsOrigins.includes(origin),
    relativeLocation: true,
    // A finished upload is an asset now: deleting the asset is how to remove it.
    disableTerminationForFinishedUploads: true,
    // Our own random ids: URL-safe, and never derived from anything the client sent. The
    // staging area may file them under a prefix (a bucket key); URLs carry only the id.
    namingFunction: () => staging.stagedId(newId()),
    generateUrl: (_req, { path, id }) => `${path}/${staging.uploadIdOf(id)}`,
    getFileIdFromRequest: (_req, lastPath) =>
      lastPath && ID_PATTERN.test(lastPath) ? staging.stagedId(lastPath) : undefined,
    onUploadCreate: async (req, upload) => {
      await uploads
        .recordCreated(upload, {
          actor: req.headers.get(ACTOR_HEADER) ?? 'anonymous',
          credential: null,
          ip: req.headers.get(IP_HEADER),
        })
        .catch((e: unknown) => asTusError(e, req));
      return {};
    },
    onUploadFinish: async (_req, upload) => {
      const assetId = await uploads.finish(staging.uploadIdOf(upload.id));
      return { headers: { 'Framehouse-Asset-Id': assetId, Location: `/v1/assets/${assetId}` } };
    },
  });
  /** Whether the request is about an upload of deferred length (the ones maxSize bounds). */
  const isDeferred = async (req: Request): Promise<boolean> => {
    if (req.method === 'POST') return req.headers.has('upload-defer-length');
    // A PATCH declaring the length is only accepted for a deferred upload.
    if (req.headers.has('upload-length')) return true;
    const id = new URL(req.url).pathname.split('/').at(-1) ?? '';
    if (!ID_PATTERN.test(id)) return false;
    return staging.datastore
      .getUpload(staging.stagedId(id))
      .then((u) => u.sizeIsDeferred)
      .catch(() => false);
  };
  tus.on('POST_TERMINATE', (_req: unknown, _res: unknown, id: string) => {
    void uploads.forget(staging.uploadIdOf(id));
  });

  app.register(async (scope) => {
    // tus bodies are raw bytes: leave them unparsed for @tus/server to stream to disk.
    scope.addContentTypeParser('application/offset+octet-stream', (_req, _payload, done) => done(null));
    const handOver = async (request: FastifyRequest, reply: FastifyReply) => {
      // Creation: the quota is checked on Upload-Length (a deferred length: usage alone) before
      // @tus/server sees the request, so a refusal leaves no upload row and nothing staged, and
      // answers with our coded error and its numbers. @tus/server picks its handler by the
      // request's method alone (not its path, not X-HTTP-Method-Override): every POST creates.
      if (request.method === 'POST' && deps.quota) {
        const length = Number(request.headers['upload-length']);
        try {
          await deps.quota.checkUpload(
            request.principal,
            request.headers['upload-length'] !== undefined && Number.isSafeInteger(length) && length >= 0
              ? length
              : null,
          );
        } catch (e) {
          // tus clients read these on every answer; a creation-with-upload body is not read.
          reply.header('tus-resumable', '1.0.0').header('connection', 'close');
          throw e;
        }
      }
      // A finished upload answers HEAD from our own record: its tus copy may be swept already.
      const id = request.method === 'HEAD' ? request.url.split('?')[0]?.split('/')[3] : undefined;
      const finished = id ? await uploads.finishedLength(id) : null;
      if (finished !== null) {
        reply
          .code(200)
          .headers({
            'tus-resumable': '1.0.0',
            'upload-offset': String(finished),
            'upload-length': String(finished),
            'cache-control': 'no-store',
          })
          .send();
        return;
      }
      // @tus/server sees a web Request made from the raw one: who is asking travels in headers
      // set here, after any a client sent under the same names are removed.
      const room =
        deps.quota && (request.method === 'POST' || request.method === 'PATCH')
          ? await deps.quota.storageRoom(request.principal)
          : null;
      setInternalHeaders(request.raw, {
        [ACTOR_HEADER]: whoFor(request.principal, null).actor,
        [IP_HEADER]: request.ip,
        [ROOM_HEADER]: room ? `${room.limit} ${room.used}` : 'none',
      });
      reply.hijack();
      await tus.handle(request.raw, reply.raw);
    };
    for (const url of [UPLOADS_PATH, `${UPLOADS_PATH}/*`]) {
      scope.route({
        method: ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS'],
        url,
        schema: { hide: true },
        handler: handOver,
      });
    }
  });

  app.get(
    `${UPLOADS_PATH}/:id`,
    {
      // HEAD on an upload is tus's offset query: it must reach @tus/server, not this route.
      exposeHeadRoute: false,
      schema: {
        summary: 'Status of a resumable (tus) upload, with the asset it became once complete',
        tags: ['uploads'],
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z0-9]{8,64}$' } } },
        response: {
          200: {
            type: 'object',
            properties: {
              data: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  asset_id: { type: ['string', 'null'] },
                  offset: { type: 'integer' },
                  length: { type: ['integer', 'null'] },
                },
              },
            },
          },
        },
      },
    },
    async (request) => ({ data: await uploads.get((request.params as { id: string }).id) }),
  );

  return uploads;
}

/**
 * An error's message for the uploader, in the language of its Accept-Language as the API's error
 * handler answers (tus's own protocol headers and its other answers stay as @tus/server writes them).
 */
const messageFor = (e: AppError, req: Request) =>
  errorMessage(
    e.code,
    localeForPath(new URL(req.url, 'http://localhost').pathname, req.headers.get('accept-language')).locale,
    e.message,
    { details: e.details },
  );

/** A coded error (bad metadata) as @tus/server answers it: our JSON body, its status. */
function asTusError(e: unknown, req: Request): never {
  if (!(e instanceof AppError)) throw e;
  throw {
    status_code: e.status,
    body: JSON.stringify({ error: { code: e.code, message: messageFor(e, req) } }),
  };
}

/** A quota refusal as @tus/server answers it: the body the API's error handler would send. */
function tusRefusal(e: AppError, req: Request): { status_code: number; body: string } {
  return { status_code: e.status, body: JSON.stringify(errorBody(e.code, messageFor(e, req), e.details)) };
}

function roomOf(req: Request): { limit: number; used: number } | null {
  const [limit, used] = (req.headers.get(ROOM_HEADER) ?? 'none').split(' ').map(Number);
  return limit !== undefined && used !== undefined && Number.isFinite(limit) && Number.isFinite(used)
    ? { limit, used }
    : null;
}

/**
 * The storage refusal of a tus request past the quota: what the upload asks for is its declared
 * length if this PATCH declares it, else where this body would take it (null: a chunked body).
 */
function storageRefusalOf(room: { limit: number; used: number }, req: Request): QuotaRefusal {
  const declared = Number(req.headers.get('upload-length') ?? Number.NaN);
  const offset = Number(req.headers.get('upload-offset') ?? 0);
  const body = Number(req.headers.get('content-length') ?? Number.NaN);
  const requested = Number.isSafeInteger(declared)
    ? declared
    : Number.isSafeInteger(body) && Number.isSafeInteger(offset)
      ? offset + body
      : null;
  return { quota: 'storage_bytes', limit: room.limit, used: room.used, requested };
}

/** Sets headers on an incoming request (parsed and raw forms), replacing any the client sent. */
function setInternalHeaders(raw: IncomingMessage, values: Record<string, string>): void {
  const names = new Set(Object.keys(values));
  const kept: string[] = [];
  for (let i = 0; i < raw.rawHeaders.length; i += 2) {
    const name = raw.rawHeaders[i] ?? '';
    if (!names.has(name.toLowerCase())) kept.push(name, raw.rawHeaders[i + 1] ?? '');
  }
  for (const [name, value] of Object.entries(values)) {
    kept.push(name, value);
    raw.headers[name] = value;
  }
  raw.rawHeaders.splice(0, raw.rawHeaders.length, ...kept);
}
