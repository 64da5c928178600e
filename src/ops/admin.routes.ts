import type { FastifyInstance } from 'fastify';
import { assetRecords } from '../assets/asset-records.ts';
import { auditWho, recordAudit } from '../audit/audit.ts';
import type { Db } from '../db/database.ts';
import { probeSpec, transcodeSpec } from '../pipeline/job-specs.ts';
import type { JobInfo, JobQueue } from '../queue/queue.ts';
import { AppError } from '../shared/errors.ts';
import { listWorkerNodes, WORKER_STALE_MS } from './worker-presence.ts';

const jobIdParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 64 } },
  required: ['id'],
};

/**
 * A queued mail holds what it says (a password-reset link among them): admins see to whom and
 * what about, never the body, or the dead-letter list would hand them other people's accounts.
 */
function visiblePayload(j: JobInfo): unknown {
  if (j.type !== 'email.send') return j.payload;
  const mail = j.payload as { to?: unknown; subject?: unknown } | null;
  return { to: mail?.to, subject: mail?.subject };
}

function presentJob(j: JobInfo) {
  return {
    id: j.id,
    type: j.type,
    state: j.state,
    attempts: j.attempts,
    max_attempts: j.maxAttempts,
    error: j.lastError,
    payload: visiblePayload(j),
    run_at: j.runAt,
    lease_owner: j.leaseOwner,
    created_at: j.createdAt,
    updated_at: j.updatedAt,
    finished_at: j.finishedAt,
  };
}

/** Jobs that read an asset's original: once the lifecycle rules removed it, running them again cannot work. */
const READS_SOURCE = new Set([probeSpec.type, transcodeSpec.type]);

async function encodesDroppedSource(db: Db, job: JobInfo): Promise<boolean> {
  const assetId = (job.payload as { assetId?: unknown } | null)?.assetId;
  if (!READS_SOURCE.has(job.type) || typeof assetId !== 'string') return false;
  return Boolean((await assetRecords.get(db, assetId))?.source_dropped_at);
}

/** What an operator looks at and steers: queues, the dead-letter list, redrive/discard, workers. */
export function registerAdminRoutes(app: FastifyInstance, { db, queue }: { db: Db; queue: JobQueue }): void {
  app.get(
    '/v1/admin/queues',
    { schema: { summary: 'Per job type: depth, delayed, running, dead, oldest age', tags: ['admin'] } },
    async () => {
      const stats = await queue.stats();
      return {
        data: Object.entries(stats)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([type, s]) => ({
            type,
            depth: s.queued,
            delayed: s.delayed,
            running: s.running,
            dead: s.dead,
            oldest_age_seconds: Math.round(s.oldestVisibleAgeSeconds * 10) / 10,
          })),
      };
    },
  );

  app.get(
    '/v1/admin/jobs',
    {
      schema: {
        summary: 'Jobs, most recently changed first (state=dead for the dead-letter list)',
        tags: ['admin'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: ['queued', 'running', 'completed', 'dead'] },
            type: { type: 'string', maxLength: 100 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as { state?: JobInfo['state']; type?: string; limit: number };
      return { data: (await queue.list(q)).map(presentJob) };
    },
  );

  app.post(
    '/v1/admin/jobs/:id/redrive',
    { schema: { summary: 'Run a dead job again with fresh attempts', tags: ['admin'], params: jobIdParams } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const job = await queue.get(id);
      if (!job) throw new AppError('FH_ERR_JOB_NOT_FOUND');
      if (await encodesDroppedSource(db, job)) throw new AppError('FH_ERR_SOURCE_DROPPED');
      if (!(await queue.redrive(id))) throw new AppError('FH_ERR_JOB_NOT_DEAD');
      await recordAudit(db, auditWho(request), {
        action: 'job.redriven',
        target: { type: 'job', id },
        details: { type: job.type },
      });
      reply.code(204).send();
    },
  );

  app.delete(
    '/v1/admin/jobs/:id',
    {
      schema: {
        summary: 'Discard a job (a running one is cancelled at its next heartbeat)',
        tags: ['admin'],
        params: jobIdParams,
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const job = await queue.get(id);
      if (!job || !(await queue.discard(id))) throw new AppError('FH_ERR_JOB_NOT_FOUND');
      await recordAudit(db, auditWho(request), {
        action: 'job.discarded',
        target: { type: 'job', id },
        details: { type: job.type, state: job.state },
      });
      reply.code(204).send();
    },
  );

  app.get(
    '/v1/admin/workers',
    { schema: { summary: 'Worker processes: host, role, slots, last heartbeat', tags: ['admin'] } },
    async () => {
      const rows = await listWorkerNodes(db);
      const now = Date.now();
      return {
        data: rows.map((w) => ({
          id: w.id,
          host: w.host,
          role: w.role,
          types: JSON.parse(w.types) as string[],
          slots: w.slots,
          busy: w.busy,
          started_at: w.started_at,
          last_heartbeat_at: w.last_seen_at,
          alive: now - Date.parse(w.last_seen_at) < WORKER_STALE_MS,
        })),
      };
    },
  );
}
