import type { FastifyInstance } from 'fastify';
import { presentStorage } from './storage.presenter.ts';
import type { CachedStorageReport } from './storage-report.ts';

/** The storage page's data (docs/operations.md, "Lifecycle"; admin). */
export function registerStorageRoutes(app: FastifyInstance, deps: { report: CachedStorageReport }): void {
  app.get(
    '/v1/admin/storage',
    {
      schema: {
        summary:
          'Bytes and objects per storage class and folder, the trash, the lifecycle rules and what they do next (measured at most once a minute)',
        tags: ['admin'],
      },
    },
    async () => ({ data: presentStorage(await deps.report.get()) }),
  );
}
