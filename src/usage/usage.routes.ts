import type { FastifyInstance } from 'fastify';
import { describePrincipal, hasScope } from '../auth/principal.ts';
import { usageCsv, usageCsvFilename } from './usage.presenter.ts';
import type { UsageService } from './usage.service.ts';

const figures = {
  type: 'object',
  properties: {
    encoding_minutes: { type: 'object', additionalProperties: { type: 'number' } },
    stored_gb_hours: { type: 'object', additionalProperties: { type: 'number' } },
    delivered_bytes: { type: 'object', additionalProperties: { type: 'number' } },
    delivered_minutes: { type: 'object', additionalProperties: { type: 'number' } },
    live_input_minutes: { type: 'number' },
  },
} as const;

const usageRow = {
  type: 'object',
  properties: {
    day: { type: 'string' },
    owner: { type: 'string' },
    email: { type: ['string', 'null'] },
    subject_kind: { type: 'string', enum: ['asset', 'live_stream'] },
    subject_id: { type: 'string' },
    title: { type: ['string', 'null'] },
    ...figures.properties,
  },
} as const;

/** Usage metering (docs/usage.md): the report, and the edges' reports of what they served. */
export function registerUsageRoutes(app: FastifyInstance, deps: { usage: UsageService }): void {
  app.get(
    '/v1/usage',
    {
      schema: {
        summary:
          'Usage per day, owner or asset over a time range (hours): encoding minutes, stored GB-hours, delivered bytes and minutes, live input minutes; CSV with format=csv or Accept: text/csv',
        tags: ['usage'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'string', maxLength: 40 },
            to: { type: 'string', maxLength: 40 },
            group_by: { type: 'string', enum: ['day', 'user', 'asset'] },
            owner: { type: 'string', maxLength: 200 },
            format: { type: 'string', enum: ['json', 'csv'] },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: usageRow },
              from: { type: 'string' },
              to: { type: 'string' },
              group_by: { type: 'string' },
              totals: figures,
            },
          },
        },
      },
    },
    async (request, reply) => {
      const q = request.query as {
        from?: string;
        to?: string;
        group_by?: 'day' | 'user' | 'asset';
        owner?: string;
        format?: 'json' | 'csv';
      };
      const viewer = hasScope(request.principal, 'admin') ? null : describePrincipal(request.principal).actor;
      const report = await deps.usage.report(
        { from: q.from, to: q.to, groupBy: q.group_by, owner: q.owner },
        viewer,
      );
      const csv =
        q.format === 'csv' || (q.format === undefined && /\btext\/csv\b/i.test(request.headers.accept ?? ''));
      if (!csv) return report;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${usageCsvFilename(report)}"`)
        .header('cache-control', 'no-store')
        .serializer((s: string) => s)
        .send(usageCsv(report));
    },
  );

  app.post(
    '/v1/usage/edge-reports',
    {
      schema: {
        summary:
          'What a `framehouse edge` served viewers per playback id since its last report (bytes, media seconds); counted once per report id',
        tags: ['usage'],
        body: {
          type: 'object',
          required: ['id', 'entries'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', minLength: 8, maxLength: 100 },
            edge: { type: 'string', maxLength: 200 },
            // The UTC hour the counts were made in (its start); kept within the last 7 days.
            hour: { type: 'string', format: 'date-time', maxLength: 40 },
            entries: {
              type: 'array',
              maxItems: 10_000,
              items: {
                type: 'object',
                required: ['playback_id', 'bytes', 'seconds'],
                additionalProperties: false,
                properties: {
                  playback_id: { type: 'string', minLength: 1, maxLength: 64 },
                  bytes: { type: 'number', minimum: 0 },
                  seconds: { type: 'number', minimum: 0 },
                },
              },
            },
          },
        },
        response: {
          202: {
            type: 'object',
            properties: {
              data: {
                type: 'object',
                properties: { accepted: { type: 'integer' }, unknown: { type: 'integer' } },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as {
        id: string;
        edge?: string;
        hour?: string;
        entries: { playback_id: string; bytes: number; seconds: number }[];
      };
      const data = await deps.usage.edgeReport({
        id: body.id,
        edge: body.edge ?? '',
        hour: body.hour,
        entries: body.entries,
      });
      return reply.code(202).send({ data });
    },
  );
}
