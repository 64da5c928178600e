import type { FastifyInstance } from 'fastify';
import { errorSchemaRef } from '../assets/assets.schemas.ts';
import {
  backupListQuery,
  backupListResponse,
  backupParams,
  backupResponse,
} from './backups-admin.schemas.ts';
import type { BackupListQuery, BackupsReader } from './backups-read.service.ts';

const TAGS = ['admin'];
const errors = { '4xx': errorSchemaRef, '5xx': errorSchemaRef };

/** Backup runs and the schedule, for admins (docs/operations.md, "Scheduled backups"). */
export function registerBackupAdminRoutes(app: FastifyInstance, deps: { backups: BackupsReader }): void {
  app.get(
    '/v1/admin/backups',
    {
      schema: {
        summary: 'Backup runs (CLI and scheduled), newest first, and the schedule with its next run',
        tags: TAGS,
        querystring: backupListQuery,
        response: { 200: backupListResponse, ...errors },
      },
    },
    async (request) => deps.backups.list(request.query as BackupListQuery),
  );
  app.get(
    '/v1/admin/backups/:id',
    {
      schema: {
        summary: 'One backup run: sizes, counts, verification and its problems, error',
        tags: TAGS,
        params: backupParams,
        response: { 200: backupResponse, ...errors },
      },
    },
    async (request) => ({ data: await deps.backups.get((request.params as { id: string }).id) }),
  );
}
