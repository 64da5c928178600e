import type { FastifyInstance } from 'fastify';
import { auditWho } from '../audit/audit.ts';
import type { WebhookInput, WebhooksService } from './webhooks.service.ts';

const webhookSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    enabled: { type: 'boolean' },
    disabled_reason: { type: ['string', 'null'] },
    secret: { type: 'string' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
};
const fields = {
  url: { type: 'string', minLength: 8, maxLength: 2000 },
  events: {
    type: 'array',
    minItems: 1,
    maxItems: 50,
    items: { type: 'string', pattern: '^(\\*|[a-z_]+(\\.[a-z_]+)+)$' },
  },
  enabled: { type: 'boolean' },
};
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[a-z0-9]{8,64}$' } },
  required: ['id'],
};

/** Webhook endpoints (admins): CRUD, secret rotation, the delivery log and redelivery by hand. */
export function registerWebhookRoutes(
  app: FastifyInstance,
  { webhooks }: { webhooks: WebhooksService },
): void {
  const one = { 200: { type: 'object', properties: { data: webhookSchema } } };
  app.post(
    '/v1/webhooks',
    {
      schema: {
        summary: 'Add a webhook endpoint (its whsec_ secret is in this answer only)',
        tags: ['webhooks'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['url', 'events'],
          properties: fields,
        },
        response: { 201: one[200] },
      },
    },
    async (request, reply) => {
      const body = request.body as Required<Pick<WebhookInput, 'url' | 'events'>> & WebhookInput;
      reply.code(201).header('cache-control', 'no-store');
      return { data: await webhooks.create(auditWho(request), body) };
    },
  );
  app.get(
    '/v1/webhooks',
    {
      schema: {
        summary: 'Webhook endpoints',
        tags: ['webhooks'],
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: webhookSchema } } } },
      },
    },
    async () => ({ data: await webhooks.list() }),
  );
  app.get(
    '/v1/webhooks/:id',
    { schema: { summary: 'A webhook endpoint', tags: ['webhooks'], params: idParams, response: one } },
    async (request) => ({ data: await webhooks.get((request.params as { id: string }).id) }),
  );
  app.patch(
    '/v1/webhooks/:id',
    {
      schema: {
        summary: 'Edit a webhook endpoint; `rotate_secret: true` answers a new secret',
        tags: ['webhooks'],
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { ...fields, rotate_secret: { type: 'boolean' } },
        },
        response: one,
      },
    },
    async (request, reply) => {
      const { rotate_secret: rotateSecret, ...input } = request.body as WebhookInput & {
        rotate_secret?: boolean;
      };
      if (rotateSecret) reply.header('cache-control', 'no-store');
      return {
        data: await webhooks.update(auditWho(request), (request.params as { id: string }).id, {
          ...input,
          ...(rotateSecret ? { rotateSecret } : {}),
        }),
      };
    },
  );
  app.delete(
    '/v1/webhooks/:id',
    { schema: { summary: 'Remove a webhook endpoint', tags: ['webhooks'], params: idParams } },
    async (request, reply) => {
      await webhooks.delete(auditWho(request), (request.params as { id: string }).id);
      reply.code(204).send();
    },
  );
  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      schema: {
        summary: 'The delivery log: every attempt with its status code and latency, newest first',
        tags: ['webhooks'],
        params: idParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
        },
      },
    },
    async (request) => ({
      data: await webhooks.deliveries(
        (request.params as { id: string }).id,
        (request.query as { limit: number }).limit,
      ),
    }),
  );
  app.post(
    '/v1/webhooks/:id/events/:eventId/redeliver',
    {
      schema: {
        summary: 'Send an event to this endpoint again (a new first attempt)',
        tags: ['webhooks'],
        params: {
          type: 'object',
          properties: {
            id: { type: 'string', pattern: '^[a-z0-9]{8,64}$' },
            eventId: { type: 'string', pattern: '^[a-z0-9]{8,64}$' },
          },
          required: ['id', 'eventId'],
        },
      },
    },
    async (request, reply) => {
      const { id, eventId } = request.params as { id: string; eventId: string };
      await webhooks.redeliver(id, eventId);
      reply.code(202).send();
    },
  );
}
