import type { FastifyInstance } from 'fastify';
import { errorSchemaRef } from '../assets/assets.schemas.ts';
import { auditWho } from '../audit/audit.ts';
import { QUOTA_MAXIMA, QUOTA_NAMES } from './quota-rules.ts';
import type { QuotasService, QuotaValues } from './quotas.service.ts';

const limitsSchema = {
  storage_bytes: {
    type: ['integer', 'null'],
    minimum: 0,
    maximum: QUOTA_MAXIMA.storage_bytes,
    description: 'Bytes in the store (GB is 10⁹)',
  },
  encoding_minutes_per_month: {
    type: ['number', 'null'],
    minimum: 0,
    maximum: QUOTA_MAXIMA.encoding_minutes_per_month,
    description: 'Encoding minutes per calendar month (UTC), every resolution class',
  },
  live_streams: {
    type: ['integer', 'null'],
    minimum: 0,
    maximum: QUOTA_MAXIMA.live_streams,
    description: 'Live streams receiving a publish at once',
  },
} as const;

const quotaUsageSchema = {
  type: 'object',
  properties: {
    storage_bytes: { type: 'number' },
    encoding_minutes_per_month: { type: 'number' },
    live_streams: { type: 'number' },
  },
} as const;

const adminRowSchema = {
  type: 'object',
  properties: {
    subject: { type: 'string' },
    ...limitsSchema,
    updated_at: { type: 'string', format: 'date-time' },
    updated_by: { type: ['string', 'null'] },
    email: { type: ['string', 'null'] },
    usage: { anyOf: [quotaUsageSchema, { type: 'null' }] },
    users: { type: ['integer', 'null'] },
  },
} as const;

const subjectParams = {
  type: 'object',
  properties: { subject: { type: 'string', maxLength: 100 } },
  required: ['subject'],
} as const;

/** Quotas (docs/usage.md, "Quotas"): the admin's rows, and the caller's own limits and usage. */
export function registerQuotaRoutes(app: FastifyInstance, { quotas }: { quotas: QuotasService }): void {
  app.get(
    '/v1/admin/quotas',
    {
      schema: {
        summary:
          'Every quota row (users and roles): user rows with what the user uses now, role rows with their number of accounts',
        tags: ['admin'],
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: adminRowSchema } } } },
      },
    },
    async () => ({ data: await quotas.adminList() }),
  );

  app.put(
    '/v1/admin/quotas/:subject',
    {
      schema: {
        summary:
          'Set the quotas of `user:{id}` or `role:{admin|editor|viewer}` (null: no limit; a user’s null takes the role’s)',
        tags: ['admin'],
        params: subjectParams,
        body: { type: 'object', additionalProperties: false, properties: limitsSchema },
        response: { 200: { type: 'object', properties: { data: adminRowSchema } }, '4xx': errorSchemaRef },
      },
    },
    async (request) => {
      const body = (request.body ?? {}) as Partial<QuotaValues>;
      const values = Object.fromEntries(
        QUOTA_NAMES.map((q) => [q, body[q] ?? null]),
      ) as unknown as QuotaValues;
      const { subject } = request.params as { subject: string };
      return { data: await quotas.put(subject, values, auditWho(request)) };
    },
  );

  app.delete(
    '/v1/admin/quotas/:subject',
    {
      schema: {
        summary: 'Remove the quota row of a user or role',
        tags: ['admin'],
        params: subjectParams,
        response: { '4xx': errorSchemaRef },
      },
    },
    async (request, reply) => {
      await quotas.remove((request.params as { subject: string }).subject, auditWho(request));
      reply.code(204).send();
    },
  );

  app.get(
    '/v1/usage/quota',
    {
      schema: {
        summary:
          'Your effective quotas and what you use of them (API keys and open mode have no quota: an empty list)',
        tags: ['usage'],
        response: {
          200: {
            type: 'object',
            properties: {
              data: {
                type: 'object',
                properties: {
                  quotas: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        quota: { type: 'string', enum: [...QUOTA_NAMES] },
                        limit: { type: 'number' },
                        used: { type: 'number' },
                        percent: { type: 'number' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (request) => ({ data: { quotas: await quotas.forCaller(request.principal) } }),
  );
}
