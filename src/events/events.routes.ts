import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../db/database.ts';
import type { EventRow } from '../db/schema.ts';
import { AppError } from '../shared/errors.ts';
import { EventFeed, type EventFilters as Filters } from './event-feed.ts';

const KEEPALIVE_MS = 15_000;

/** The outbox as the API shows it. `id` is the event's; `cursor` orders them. */
function present(e: EventRow) {
  return {
    id: e.id,
    cursor: String(e.seq),
    type: e.type,
    asset_id: e.asset_id,
    data: JSON.parse(e.data) as unknown,
    created_at: e.created_at,
  };
}

/**
 * `GET /v1/events` (oldest first after a cursor) and `GET /v1/events/stream` (Server-Sent
 * Events, resumable with Last-Event-ID). Every api node reads the same table, so a client
 * connected to any node sees every node's events. One poller per process feeds all streams.
 */
export function registerEventRoutes(app: FastifyInstance, { db }: { db: Db }): void {
  const filterSchema = {
    type: { type: 'string', maxLength: 500 },
    asset_id: { type: 'string', pattern: '^[a-z0-9]{8,64}$' },
  };
  app.get(
    '/v1/events',
    {
      schema: {
        summary: 'Events, oldest first after `after` (a cursor); filter by type(s) and asset',
        tags: ['events'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterSchema,
            after: { type: 'string', pattern: '^\\d{1,18}$' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as Filters & { after?: string; limit: number };
      const rows = await feed.read(q, Number(q.after ?? 0), q.limit);
      return {
        data: rows.map(present),
        next_cursor: rows.at(-1) ? String(rows.at(-1)?.seq) : (q.after ?? null),
      };
    },
  );

  const feed = new EventFeed(db);
  const open = new Set<FastifyReply['raw']>();
  // Streams never end by themselves: closing the server ends them (or it would wait forever).
  app.addHook('preClose', async () => {
    feed.close();
    for (const raw of open) raw.end();
  });
  app.get(
    '/v1/events/stream',
    {
      schema: {
        summary: 'Live events as Server-Sent Events (resume with Last-Event-ID)',
        tags: ['events'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...filterSchema, after: { type: 'string', pattern: '^\\d{1,18}$' } },
        },
      },
    },
    async (request, reply) => {
      const q = request.query as Filters & { after?: string };
      const lastId = request.headers['last-event-id'];
      const resumeFrom =
        typeof lastId === 'string' && /^\d{1,18}$/.test(lastId)
          ? Number(lastId)
          : q.after !== undefined
            ? Number(q.after)
            : null;
      if (lastId !== undefined && resumeFrom === null)
        throw new AppError('FH_ERR_VALIDATION', 'Last-Event-ID must be an event cursor.');
      // A new client starts from now; a resuming one gets what it missed first.
      let cursor = resumeFrom ?? (await feed.newest());
      startStream(reply);
      open.add(reply.raw);
      const send = (e: EventRow) => {
        if (e.seq <= cursor) return;
        if (q.type && !q.type.split(',').includes(e.type)) return;
        if (q.asset_id && e.asset_id !== q.asset_id) return;
        cursor = e.seq;
        reply.raw.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(present(e))}\n\n`);
      };
      for (const e of await feed.read(q, cursor, 1000)) send(e);
      const unsubscribe = feed.subscribe(send);
      const keepalive = setInterval(() => reply.raw.write(': keep-alive\n\n'), KEEPALIVE_MS);
      request.raw.on('close', () => {
        clearInterval(keepalive);
        unsubscribe();
        open.delete(reply.raw);
      });
    },
  );
}

function startStream(reply: FastifyReply): void {
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    // Proxies (nginx) must not buffer the stream.
    'x-accel-buffering': 'no',
  });
  reply.raw.write('retry: 2000\n\n');
}
