import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/errors.ts';
import type { AuditEventRow, AuditService, AuditFilters as Filters } from './audit.service.ts';

const EXPORT_PAGE = 500;

/** `GET /v1/audit`: newest first, filtered, cursor-paged; `?format=jsonl` streams every match. */
export function registerAuditRoutes(app: FastifyInstance, { audit }: { audit: AuditService }): void {
  app.get(
    '/v1/audit',
    {
      schema: {
        summary: 'The audit trail (admins): filter by action, actor, target, outcome and time',
        tags: ['audit'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            action: { type: 'string', maxLength: 100 },
            actor: { type: 'string', maxLength: 100 },
            target_id: { type: 'string', maxLength: 100 },
            outcome: { type: 'string', enum: ['success', 'failure'] },
            since: { type: 'string', format: 'date-time' },
            until: { type: 'string', format: 'date-time' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            cursor: { type: 'string', maxLength: 40 },
            format: { type: 'string', enum: ['json', 'jsonl'], default: 'json' },
          },
        },
      },
    },
    async (request, reply) => {
      const q = request.query as Filters & { limit: number; cursor?: string; format: 'json' | 'jsonl' };
      const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (q.format === 'jsonl') {
        reply
          .header('content-type', 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', 'attachment; filename="framehouse-audit.jsonl"')
          .header('cache-control', 'no-store');
        return reply.send(Readable.from(exportLines(audit, q, before)));
      }
      const rows = await audit.page(q, before, q.limit + 1);
      const last = rows.length > q.limit ? rows[q.limit - 1] : undefined;
      return {
        data: rows.slice(0, q.limit).map(present),
        next_cursor: last ? Buffer.from(String(last.seq)).toString('base64url') : null,
      };
    },
  );
}

async function* exportLines(
  audit: AuditService,
  filters: Filters,
  before: number | undefined,
): AsyncGenerator<string> {
  let cursor = before;
  for (;;) {
    const rows = await audit.page(filters, cursor, EXPORT_PAGE);
    for (const row of rows) yield `${JSON.stringify(present(row))}\n`;
    if (rows.length < EXPORT_PAGE) return;
    cursor = rows.at(-1)?.seq;
  }
}

function present(row: AuditEventRow) {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    credential: row.credential,
    ip: row.ip,
    action: row.action,
    outcome: row.outcome,
    target: row.target_type ? { type: row.target_type, id: row.target_id } : null,
    details: JSON.parse(row.details) as unknown,
  };
}

function decodeCursor(cursor: string): number {
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(n) || n < 1) throw new AppError('FH_ERR_CURSOR_INVALID');
  return n;
}
