import type { FastifyInstance, FastifyReply } from 'fastify';
import { hasScope, type Principal } from '../auth/principal.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';
import { EventFeed } from './event-feed.ts';
import { type OutboxEvent, type OutboxFilter, outboxHead, readOutbox } from './outbox.ts';

interface Filters {
  type?: string;
  asset_id?: string;
}

const POLL_MS = 500;
const KEEPALIVE_MS = 15_000;

/** The outbox as the API shows it. `id` is the event's; `cursor` orders them. */
function present(e: OutboxEvent) {
  return {
    id: e.id,
    cursor: String(e.seq),
    type: e.type,
    asset_id: e.asset_id,
    data: JSON.parse(e.data) as unknown,
    created_at: e.created_at,
  };
}

function filterOf(f: Filters): OutboxFilter {
  return { ...(f.type ? { types: f.type.split(',') } : {}), ...(f.asset_id ? { assetId: f.asset_id } : {}) };
}

/**
 * Which events a caller may read. Most are about assets (the `assets:read` the routes ask for);
 * backups and quota notices are not: an administrator's alone, except a user's own quota notices
 * (`usage.threshold` with `owner` `user:{their id}`).
 */
export function visibleTo(principal: Principal): (e: OutboxEvent) => boolean {
  if (hasScope(principal, 'admin')) return () => true;
  const own = principal.kind === 'user' ? `user:${principal.id}` : null;
  return (e) => {
    if (e.type.startsWith('backup.')) return false;
    if (e.type !== 'usage.threshold') return true;
    return own !== null && (JSON.parse(e.data) as { owner?: unknown }).owner === own;
  };
}

/**
 * `GET /v1/events` (oldest first after a cursor) and `GET /v1/events/stream` (Server-Sent
 * Events, resumable with Last-Event-ID). Every api node reads the same table, so a client
 * connected to any node sees every node's events. One poller per process feeds all streams.
 */
export function registerEventRoutes(
  app: FastifyInstance,
  { db, pollMs = POLL_MS }: { db: Db; pollMs?: number },
): void {
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
      const page = await readOutbox(db, Number(q.after ?? 0), q.limit, filterOf(q));
      // Past events the filter left out too, so the next page does not read them again. (A page
      // may hold fewer than `limit`, or none, where events the caller may not read were.)
      const visible = visibleTo(request.principal);
      return { data: page.events.filter(visible).map(present), next_cursor: String(page.through) };
    },
  );

  const feed = new EventFeed(db, pollMs);
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
      // The client may leave while the head is read: its 'close' has fired by then, so it is
      // watched from here, and nothing is set up (no timer, no subscription) for a gone client.
      let gone = false;
      request.raw.once('close', () => {
        gone = true;
      });
      // A new client starts from now; a resuming one gets what it missed first.
      const position = resumeFrom ?? (await outboxHead(db));
      if (gone || request.raw.destroyed) return reply.hijack();
      startStream(reply);
      open.add(reply.raw);
      const visible = visibleTo(request.principal);
      const unsubscribe = feed.subscribe(position, filterOf(q), (e) => {
        if (!visible(e)) return;
        reply.raw.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(present(e))}\n\n`);
      });
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
