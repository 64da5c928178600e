import type { FastifyInstance } from 'fastify';
import { errorSchemaRef } from '../assets/assets.schemas.ts';
import type { AssetsService } from '../assets/assets.service.ts';
import { auditWho } from '../audit/audit.ts';
import { AppError } from '../shared/errors.ts';
import { trackSchema } from './track.presenter.ts';
import type { TrackKind, TracksService } from './tracks.service.ts';

/**
 * Largest caption file accepted. A feature film's subtitles are 50–200 kB; the cap keeps a
 * file that is read whole into memory (and parsed) small.
 */
export const MAX_CAPTION_BYTES = 4 * 1024 * 1024;

const KINDS: readonly TrackKind[] = ['subtitles', 'captions'];

interface Deps {
  assets: AssetsService;
  tracks: TracksService;
}

const params = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9]{8,64}$' },
    trackId: { type: 'string', pattern: '^[a-z0-9]{8,64}$' },
  },
  required: ['id'],
};
const one = { type: 'object', properties: { data: trackSchema } };

/** `/v1/assets/{id}/tracks`: subtitles and captions, added by those who may edit the asset. */
export function registerTrackRoutes(app: FastifyInstance, { assets, tracks }: Deps): void {
  app.post(
    '/v1/assets/:id/tracks',
    {
      schema: {
        summary:
          'Add a subtitle or caption track (multipart: `file` WebVTT or SRT, `language` BCP 47, `name`, `kind` subtitles|captions, `default`)',
        tags: ['assets'],
        consumes: ['multipart/form-data'],
        params,
        response: { 201: one, '4xx': errorSchemaRef },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!request.isMultipart()) {
        throw new AppError(
          'FH_ERR_UNSUPPORTED_CONTENT_TYPE',
          'Send the caption file as multipart/form-data in a field named "file".',
        );
      }
      await assets.assertCanManage(id, request.principal);
      await assets.get(id); // 404 for an asset that does not exist
      let file: Buffer | undefined;
      const fields: Record<string, string> = {};
      try {
        for await (const part of request.parts({ limits: { fileSize: MAX_CAPTION_BYTES } })) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file' || file) part.file.resume();
            else file = await part.toBuffer();
          } else if (typeof part.value === 'string') fields[part.fieldname] = part.value;
        }
      } catch (e) {
        if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw new AppError(
            'FH_ERR_UPLOAD_TOO_LARGE',
            `A caption file may be at most ${MAX_CAPTION_BYTES / 1024 / 1024} MiB.`,
          );
        }
        throw e;
      }
      if (!file) throw new AppError('FH_ERR_UPLOAD_MISSING_FILE');
      if (!fields.language) {
        throw new AppError(
          'FH_ERR_VALIDATION',
          'Say the language of the track in "language" (BCP 47: en, ko…).',
          {
            field: 'language',
          },
        );
      }
      const kind = fields.kind?.trim() || 'subtitles';
      if (!KINDS.includes(kind as TrackKind)) {
        throw new AppError('FH_ERR_VALIDATION', '"kind" is "subtitles" or "captions".', { field: 'kind' });
      }
      const track = await tracks.add(
        id,
        {
          file,
          language: fields.language,
          name: fields.name ?? null,
          kind: kind as TrackKind,
          isDefault: parseBoolean(fields.default),
        },
        auditWho(request),
      );
      reply.code(201).header('location', `/v1/assets/${id}/tracks/${track.id}`);
      return { data: track };
    },
  );

  app.get(
    '/v1/assets/:id/tracks',
    {
      schema: {
        summary: "An asset's subtitle and caption tracks",
        tags: ['assets'],
        params,
        response: {
          200: { type: 'object', properties: { data: { type: 'array', items: trackSchema } } },
          '4xx': errorSchemaRef,
        },
      },
    },
    async (request) => ({ data: (await assets.get((request.params as { id: string }).id)).tracks }),
  );

  app.get(
    '/v1/assets/:id/tracks/:trackId',
    {
      schema: {
        summary: 'One track',
        tags: ['assets'],
        params,
        response: { 200: one, '4xx': errorSchemaRef },
      },
    },
    async (request) => {
      const { id, trackId } = request.params as { id: string; trackId: string };
      await assets.assertExists(id); // an asset in the trash shows nothing
      return { data: await tracks.get(id, trackId) };
    },
  );

  app.delete(
    '/v1/assets/:id/tracks/:trackId',
    {
      schema: {
        summary: 'Remove a track (and its rendition from the master playlist)',
        tags: ['assets'],
        params,
      },
    },
    async (request, reply) => {
      const { id, trackId } = request.params as { id: string; trackId: string };
      await assets.assertCanManage(id, request.principal);
      await tracks.delete(id, trackId, auditWho(request));
      reply.code(204).send();
    },
  );
}

/** A multipart field as a boolean: `true`/`1`/`yes`/`on` (any case) or absent/false. */
function parseBoolean(value: string | undefined): boolean {
  const v = value?.trim().toLowerCase() ?? '';
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['', 'false', '0', 'no', 'off'].includes(v)) return false;
  throw new AppError('FH_ERR_VALIDATION', '"default" is true or false.', { field: 'default' });
}
