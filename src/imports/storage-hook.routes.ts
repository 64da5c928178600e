import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/errors.ts';
import type { Imports } from './imports.service.ts';
import { createdObjects } from './s3-notification.ts';

/**
 * `POST /v1/hooks/storage`: S3 event notifications (AWS S3's `Records` JSON, MinIO's webhook
 * target) for objects put under imports/. Open to the bucket, not to API keys: the sender proves
 * itself with the operator's secret (`Authorization: Bearer <FRAMEHOUSE_STORAGE_HOOK_SECRET>`,
 * what MinIO sends for its `auth_token`). Without a secret the hook is off. The answer comes once
 * the imports are queued, not done: senders time out and retry long before a copy of a large
 * video could end.
 */
export function registerStorageHookRoute(
  app: FastifyInstance,
  deps: { imports: Imports; secret: string | undefined },
): void {
  const expected = deps.secret ? digest(`Bearer ${deps.secret}`) : null;
  app.post(
    '/v1/hooks/storage',
    {
      schema: {
        summary:
          'S3 event notifications for objects put under imports/ (the storage hook secret as a bearer token)',
        tags: ['imports'],
      },
    },
    async (request, reply) => {
      if (!expected) throw new AppError('FH_ERR_STORAGE_HOOK_OFF');
      // Compared as digests: constant time, whatever the lengths.
      if (!timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
        reply.header('www-authenticate', 'Bearer');
        throw new AppError('FH_ERR_UNAUTHENTICATED', 'The storage hook secret is missing or wrong.');
      }
      const objects = createdObjects(request.body);
      const queued = await deps.imports.queue(deps.imports.keysOf(objects), 'hook');
      reply.code(202);
      return { data: { objects: objects.length, queued } };
    },
  );
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
