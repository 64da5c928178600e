import { pipeline } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AuditWho, auditWho } from '../audit/audit.ts';
import { hasScope } from '../auth/principal.ts';
import type { Mp4Support } from '../db/schema.ts';
import { MP4_SUPPORT, parseMp4Support } from '../downloads/download-target.ts';
import { quotaError, type UploadQuotaCheck } from '../quotas/quotas.service.ts';
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { hashingPassThrough } from '../uploads/hashing.ts';
import type { AssetJson } from './asset.presenter.ts';
import { assetSchema, errorSchemaRef } from './assets.schemas.ts';
import type { AssetFilter, AssetPatch, AssetsService } from './assets.service.ts';

const MAX_TITLE = 500;

interface Deps {
  assets: AssetsService;
  store: ObjectStore;
  /** JSON `{ url, title }` instead of a file: the source is fetched by a worker (src/ingest). */
  urlIngest?: { create(body: { url?: unknown; title?: unknown }, who: AuditWho): Promise<AssetJson> };
  /** The caller's quotas (src/quotas), checked before anything is created or read. */
  quota?: UploadQuotaCheck;
  /** The multipart plugin's file size limit (FRAMEHOUSE_MAX_UPLOAD_BYTES): a quota's room is never more. */
  maxUploadBytes?: number;
}

export function registerAssetRoutes(
  app: FastifyInstance,
  { assets, store, urlIngest, quota, maxUploadBytes }: Deps,
): void {
  app.post(
    '/v1/assets',
    {
      schema: {
        summary:
          'Upload a file (multipart: `file`, optional `title` and `mp4_support`), or have one fetched (JSON: `url`, optional `title`), and start processing it',
        tags: ['assets'],
        consumes: ['multipart/form-data', 'application/json'],
        response: { 202: { type: 'object', properties: { data: assetSchema } }, '4xx': errorSchemaRef },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        const body = request.body as { url?: unknown; title?: unknown } | undefined;
        if (urlIngest && body && typeof body === 'object' && 'url' in body) {
          // The size is not known before the fetch: the usage alone must be under the quota.
          await quota?.checkUpload(request.principal, null);
          const asset = await urlIngest.create(body, auditWho(request));
          reply.code(202).header('location', `/v1/assets/${asset.id}`);
          return { data: asset };
        }
        throw new AppError(
          'FH_ERR_UNSUPPORTED_CONTENT_TYPE',
          'Send the file as multipart/form-data in a field named "file", or JSON { "url": "https://…" } to have it fetched.',
        );
      }
      await checkBeforeTheBody(request, reply, quota);
      // A chunked body has no length to check first: the file stops at the caller's room under
      // their storage quota (a Content-Length under it leaves room for the whole file anyway).
      const room = await quota?.storageRoom(request.principal);
      const left = room ? Math.max(0, room.limit - room.used) : null;
      const quotaBinds = left !== null && !(maxUploadBytes && maxUploadBytes <= left);
      const assetId = newId();
      const sourceKey = mediaKeys.source(assetId);
      let stored: { size: number; sha256: string; filename: string } | undefined;
      let title: string | null = null;
      let mp4Support: Mp4Support = 'none';
      // A bad field is answered once the body is read (a reply cut short would reset the client).
      let invalid: unknown;
      try {
        for await (const part of request.parts(
          quotaBinds ? { limits: { fileSize: left ?? 0 } } : undefined,
        )) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file' || stored || invalid) {
              part.file.resume(); // drain extra files: only one source per asset
              continue;
            }
            stored = await storeFilePart(store, sourceKey, part);
          } else if (part.fieldname === 'title' && typeof part.value === 'string') {
            title = part.value.trim().slice(0, MAX_TITLE) || null;
          } else if (part.fieldname === 'mp4_support') {
            try {
              mp4Support = parseMp4Support(typeof part.value === 'string' ? part.value : '');
            } catch (e) {
              invalid = e;
            }
          }
        }
        if (invalid) throw invalid;
      } catch (e) {
        await store.delete(sourceKey).catch(() => {});
        if (room && quotaBinds && (e as { code?: unknown }).code === 'FST_REQ_FILE_TOO_LARGE') {
          reply.header('connection', 'close');
          throw quotaError({ quota: 'storage_bytes', limit: room.limit, used: room.used, requested: null });
        }
        throw e;
      }
      if (!stored) throw new AppError('FH_ERR_UPLOAD_MISSING_FILE');
      const asset = await assets.createFromSource(
        {
          assetId,
          sourceKey,
          filename: stored.filename,
          title,
          size: stored.size,
          sha256: stored.sha256,
          mp4Support,
        },
        auditWho(request),
      );
      reply.code(202).header('location', `/v1/assets/${asset.id}`);
      return { data: asset };
    },
  );

  app.get(
    '/v1/assets',
    {
      schema: {
        summary:
          'List assets, newest first; with `trashed=true`, the trash (newest deletion first: an editor sees their own)',
        tags: ['assets'],
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
            cursor: { type: 'string', maxLength: 200 },
            status: { type: 'string', enum: ['waiting', 'processing', 'ready', 'errored'] },
            q: { type: 'string', maxLength: 200, description: 'Words in the title or file name' },
            trashed: { type: 'boolean', default: false, description: 'The trash instead of the library' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: assetSchema },
              next_cursor: { type: ['string', 'null'] },
            },
          },
        },
      },
    },
    async (request) => {
      const { limit, cursor, status, q, trashed } = request.query as {
        limit: number;
        cursor?: string;
        trashed: boolean;
      } & AssetFilter;
      const filter = { ...(status ? { status } : {}), ...(q?.trim() ? { q: q.trim() } : {}) };
      return trashed
        ? assets.listTrash(limit, cursor, request.principal, filter)
        : assets.list(limit, cursor, filter);
    },
  );

  const idParams = {
    type: 'object',
    properties: { id: { type: 'string', pattern: '^[a-z0-9]{8,64}$' } },
    required: ['id'],
  };

  app.get(
    '/v1/assets/:id',
    {
      schema: {
        summary: 'Get an asset',
        tags: ['assets'],
        params: idParams,
        response: { 200: { type: 'object', properties: { data: assetSchema } }, '4xx': errorSchemaRef },
      },
    },
    async (request) => ({ data: await assets.get((request.params as { id: string }).id) }),
  );

  app.patch(
    '/v1/assets/:id',
    {
      schema: {
        summary: 'Edit an asset',
        tags: ['assets'],
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            title: { type: ['string', 'null'], maxLength: MAX_TITLE },
            playback_policy: { type: 'string', enum: ['public', 'signed'] },
            mp4_support: { type: 'string', enum: [...MP4_SUPPORT] },
          },
        },
        response: { 200: { type: 'object', properties: { data: assetSchema } }, '4xx': errorSchemaRef },
      },
    },
    async (request) => {
      const body = request.body as AssetPatch;
      await assets.assertCanManage((request.params as { id: string }).id, request.principal);
      return { data: await assets.update((request.params as { id: string }).id, body, auditWho(request)) };
    },
  );

  app.delete(
    '/v1/assets/:id',
    {
      schema: {
        summary:
          'Move an asset to the trash (FRAMEHOUSE_TRASH_DAYS; 0: delete it at once); `permanent=true` (admins) deletes it and everything stored for it now, from the trash or not',
        tags: ['assets'],
        params: idParams,
        querystring: {
          type: 'object',
          properties: { permanent: { type: 'boolean', default: false } },
        },
        response: { '4xx': errorSchemaRef },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if ((request.query as { permanent: boolean }).permanent) {
        if (!hasScope(request.principal, 'admin'))
          throw new AppError('FH_ERR_FORBIDDEN', 'Only admins delete an asset forever.');
        await assets.purgeNow(id, auditWho(request));
      } else {
        await assets.assertCanManage(id, request.principal);
        await assets.delete(id, auditWho(request));
      }
      reply.code(204).send();
    },
  );

  app.post(
    '/v1/assets/:id/restore',
    {
      schema: {
        summary: 'Take an asset out of the trash, as it was',
        tags: ['assets'],
        params: idParams,
        response: { 200: { type: 'object', properties: { data: assetSchema } }, '4xx': errorSchemaRef },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await assets.assertCanManage(id, request.principal, { inTrash: true });
      return { data: await assets.restore(id, auditWho(request)) };
    },
  );
}

/**
 * The quota check of a multipart upload, on the request's Content-Length (a little more than the
 * file: the form's boundaries and fields) before a byte of the body is read; a chunked request
 * without a length is checked on the usage alone. A refusal closes the connection after the
 * answer, so the client stops sending a body nobody will read (Node would otherwise read and
 * drop all of it to keep the connection).
 */
async function checkBeforeTheBody(
  request: FastifyRequest,
  reply: FastifyReply,
  quota: UploadQuotaCheck | undefined,
): Promise<void> {
  if (!quota) return;
  const length = Number(request.headers['content-length']);
  try {
    await quota.checkUpload(request.principal, Number.isSafeInteger(length) && length >= 0 ? length : null);
  } catch (e) {
    reply.header('connection', 'close');
    throw e;
  }
}

/** Streams the part straight into the store, hashing on the way; nothing is buffered whole. */
async function storeFilePart(store: ObjectStore, key: string, part: MultipartFile) {
  const hashing = hashingPassThrough();
  // pipeline, not pipe: a body cut before its closing boundary can arrive whole while the route
  // awaits the database, and its part is then handed over already destroyed. pipe would wait on
  // it for ever (the request hangs); pipeline passes its error on, which aborts the put.
  pipeline(part.file, hashing.stream, () => {});
  // Past the size limit the part's stream errors (413), which aborts the put and its temp file.
  await store.put(key, hashing.stream);
  return { ...hashing.result(), filename: part.filename };
}
