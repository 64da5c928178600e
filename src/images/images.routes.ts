import type { FastifyInstance } from 'fastify';
import type { AssetsService } from '../assets/assets.service.ts';
import { auditWho } from '../audit/audit.ts';
import { sendObject } from '../delivery/serve-object.ts';
import type { Imports } from '../imports/imports.service.ts';
import { AppError } from '../shared/errors.ts';
import type { Batches } from './batches.ts';
import type { ImageRenditions } from './image-renditions.ts';
import { type Presets, presetBodySchema, presetFromBody, type StoredPreset } from './presets.ts';

const NAME = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } },
};

interface ImageRouteDeps {
  presets: Presets;
  batches: Batches;
  renditions: ImageRenditions;
  assets: AssetsService;
  /**
   * Objects already in the bucket under `imports/…` (copied there by rclone, the AWS CLI, a
   * camera's uploader) become assets, shared with the drop-in importer (src/imports): each
   * object once, copied server-side to a source of its own and probed like an upload.
   */
  imports: Pick<Imports, 'forBatch'>;
}

/** Presets, batches, and an asset's rendering by preset name. */
export function registerImageRoutes(app: FastifyInstance, deps: ImageRouteDeps): void {
  const tags = ['images'];
  app.get(
    '/v1/presets',
    { schema: { summary: 'Image presets: built-in, configured and saved', tags } },
    async () => ({
      data: (await deps.presets.list()).map((p) => ({ name: p.name, source: p.source, ...p.preset })),
    }),
  );
  app.put(
    '/v1/presets/:name',
    {
      schema: {
        summary: 'Save a preset (a built-in or configured one of that name is replaced)',
        tags,
        params: NAME,
        body: presetBodySchema,
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const preset = presetFromBody(request.body as Partial<StoredPreset>);
      await deps.presets.put(name, preset);
      return { data: { name, source: 'api', ...preset } };
    },
  );
  app.delete(
    '/v1/presets/:name',
    { schema: { summary: 'Remove a saved preset', tags, params: NAME } },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      if (!(await deps.presets.delete(name))) throw new AppError('FH_ERR_PRESET_NOT_FOUND');
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/batches',
    {
      schema: {
        summary: 'Render image assets with presets, as a batch of jobs',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['presets'],
          // Either assets that exist, or photos placed in the bucket under imports/.
          oneOf: [{ required: ['asset_ids'] }, { required: ['source_prefix'] }],
          properties: {
            source_prefix: { type: 'string', pattern: '^imports/[A-Za-z0-9._/-]{0,500}$' },
            asset_ids: {
              type: 'array',
              minItems: 1,
              maxItems: 10_000,
              items: { type: 'string', pattern: '^[a-z0-9]{8,64}$' },
            },
            presets: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'string', maxLength: 64 } },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { asset_ids?: string[]; source_prefix?: string; presets: string[] };
      const who = auditWho(request);
      await deps.batches.resolvePresets(body.presets); // an unknown preset is refused before any import
      const assetIds = body.asset_ids ?? (await deps.imports.forBatch(body.source_prefix ?? 'imports/', who));
      const batch = await deps.batches.create(assetIds, body.presets, who.actor);
      reply.code(202).header('location', `/v1/batches/${batch.id}`);
      return { data: batch };
    },
  );
  app.get(
    '/v1/batches',
    {
      schema: {
        summary: 'The newest batches, with their counters',
        tags,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        },
      },
    },
    async (request) => ({ data: await deps.batches.list((request.query as { limit: number }).limit) }),
  );
  app.get(
    '/v1/batches/:id',
    {
      schema: {
        summary: 'A batch: done, failed, total, throughput, ETA and the first errors',
        tags,
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } },
      },
    },
    async (request) => ({ data: await deps.batches.get((request.params as { id: string }).id) }),
  );

  app.get(
    '/v1/assets/:id/variants/:name',
    {
      schema: {
        summary: 'An image asset rendered with a preset (made now if a batch has not made it)',
        tags,
        params: {
          type: 'object',
          properties: { id: { type: 'string', maxLength: 64 }, name: { type: 'string', maxLength: 64 } },
        },
      },
    },
    async (request, reply) => {
      const { id, name } = request.params as { id: string; name: string };
      const asset = await deps.assets.row(id);
      if (!asset) throw new AppError('FH_ERR_ASSET_NOT_FOUND');
      if (asset.kind !== 'image') throw new AppError('FH_ERR_NOT_AN_IMAGE');
      const [[, recipe] = ['', null]] = await deps.batches.resolvePresets([name]);
      if (!recipe) throw new AppError('FH_ERR_PRESET_NOT_FOUND');
      const key = await deps.renditions.ensure(asset, recipe);
      return sendObject(request, reply, deps.renditions.store, key, 'private, max-age=3600');
    },
  );
}
