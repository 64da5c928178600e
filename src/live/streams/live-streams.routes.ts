import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorSchemaRef } from '../../assets/assets.schemas.ts';
import { auditWho } from '../../audit/audit.ts';
import { requestLocale } from '../../http/error-handler.ts';
import type { IngestAddresses } from './ingest-addresses.ts';
import { presentLiveStream } from './live-stream.presenter.ts';
import { createBody, idParams, liveStreamSchema, MAX_TITLE, patchBody } from './live-streams.schemas.ts';
import {
  canSeeSecrets,
  type LiveStreamInput,
  type LiveStreamsService,
  type LiveStreamView,
} from './live-streams.service.ts';

interface Deps {
  streams: LiveStreamsService;
  addresses: IngestAddresses;
}

const one = { type: 'object', properties: { data: liveStreamSchema } } as const;

/** `/v1/live-streams`: HTTP only (validate, call the service, shape the reply). */
export function registerLiveStreamRoutes(app: FastifyInstance, { streams, addresses }: Deps): void {
  /**
   * A stream as the API answers it; its `last_error` message in the request's language (so the
   * answer varies by Accept-Language, which caches are told).
   */
  const present = (request: FastifyRequest, reply: FastifyReply, view: LiveStreamView) => {
    reply.header('vary', 'Accept-Language');
    return presentLiveStream(view, {
      endpoints: addresses.endpointsFor(request.hostname),
      reveal: canSeeSecrets(view.stream, request.principal),
      locale: requestLocale(request),
    });
  };
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  app.post(
    '/v1/live-streams',
    {
      schema: {
        summary: 'Create a live stream (its key, ingest URLs and playback id)',
        tags: ['live'],
        body: createBody,
        response: { 201: one, '4xx': errorSchemaRef, '5xx': errorSchemaRef },
      },
      // A bare POST (no body at all) makes a stream with every default.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const view = await streams.create(cleanInput(request.body), auditWho(request));
      reply.code(201).header('location', `/v1/live-streams/${view.stream.id}`);
      return { data: present(request, reply, view) };
    },
  );

  app.get(
    '/v1/live-streams',
    {
      schema: {
        summary: 'List live streams, newest first',
        tags: ['live'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
            cursor: { type: 'string', maxLength: 200 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: liveStreamSchema },
              next_cursor: { type: ['string', 'null'] },
            },
          },
          '4xx': errorSchemaRef,
        },
      },
    },
    async (request, reply) => {
      const { limit, cursor } = request.query as { limit: number; cursor?: string };
      const page = await streams.list(limit, cursor);
      return { data: page.data.map((v) => present(request, reply, v)), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/v1/live-streams/:id',
    {
      schema: {
        summary: 'Get a live stream',
        tags: ['live'],
        params: idParams,
        response: { 200: one, '4xx': errorSchemaRef },
      },
    },
    async (request, reply) => ({ data: present(request, reply, await streams.get(idOf(request))) }),
  );

  app.patch(
    '/v1/live-streams/:id',
    {
      schema: {
        summary: 'Edit a live stream (the latency mode only between broadcasts)',
        tags: ['live'],
        params: idParams,
        body: patchBody,
        response: { 200: one, '4xx': errorSchemaRef },
      },
    },
    async (request, reply) => {
      await streams.assertCanManage(idOf(request), request.principal);
      const view = await streams.update(idOf(request), cleanInput(request.body), auditWho(request));
      return { data: present(request, reply, view) };
    },
  );

  app.delete(
    '/v1/live-streams/:id',
    {
      schema: {
        summary: 'Delete a live stream (refused while it broadcasts: complete or disable it first)',
        tags: ['live'],
        params: idParams,
        response: { '4xx': errorSchemaRef },
      },
    },
    async (request, reply) => {
      await streams.assertCanManage(idOf(request), request.principal);
      await streams.delete(idOf(request), auditWho(request));
      reply.code(204).send();
    },
  );

  const actions = {
    'reset-stream-key': {
      summary: 'A new stream key and SRT passphrase; the old key is refused from now on',
      run: (id: string, request: FastifyRequest) => streams.resetStreamKey(id, auditWho(request)),
    },
    complete: {
      summary: 'End the broadcast now (the stream turns idle; the recording is made as for any end)',
      run: (id: string, request: FastifyRequest) => streams.complete(id, auditWho(request)),
    },
    disable: {
      summary: 'Refuse publishes until enabled (a broadcast in progress ends)',
      run: (id: string, request: FastifyRequest) => streams.disable(id, auditWho(request)),
    },
    enable: {
      summary: 'Accept publishes again',
      run: (id: string, request: FastifyRequest) => streams.enable(id, auditWho(request)),
    },
  } as const;
  for (const [action, { summary, run }] of Object.entries(actions)) {
    app.post(
      `/v1/live-streams/:id/${action}`,
      {
        schema: { summary, tags: ['live'], params: idParams, response: { 200: one, '4xx': errorSchemaRef } },
      },
      async (request, reply) => {
        await streams.assertCanManage(idOf(request), request.principal);
        return { data: present(request, reply, await run(idOf(request), request)) };
      },
    );
  }
}

/** The schema checked types and ranges; titles are trimmed (empty: none). */
function cleanInput(body: unknown): LiveStreamInput {
  const input = { ...(body as LiveStreamInput | undefined) };
  if (typeof input.title === 'string') input.title = input.title.trim().slice(0, MAX_TITLE) || null;
  return input;
}
