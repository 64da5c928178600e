import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import { quotaNoticesJob, startQuotaNoticeSchedule } from '../quotas/quota-notices.ts';
import { registerQuotaRoutes } from '../quotas/quotas.routes.ts';
import { QuotasService } from '../quotas/quotas.service.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { LiveServices } from './live.ts';

/**
 * Quotas (docs/usage.md, "Quotas"): one service every role builds — the API's upload entry
 * points and the live node's publish check call it, workers run its notices.
 */
export function quotaServices({ db }: Infrastructure, live: LiveServices) {
  const receiving = (owner?: string) => live.streams.receivingByOwner(owner);
  const quotas = new QuotasService({ db, receiving });
  return {
    quotas,
    receiving,
    /** GET /v1/admin/quotas, PUT/DELETE /v1/admin/quotas/{subject}, GET /v1/usage/quota. */
    register: (app: FastifyInstance) => registerQuotaRoutes(app, { quotas }),
  };
}

export type QuotaServices = ReturnType<typeof quotaServices>;

/** The `quota.notices` job, on every worker (JOB_TYPES lists it). */
export function quotaJobs({ db }: Infrastructure, { quotas, receiving }: QuotaServices): AnyJobDefinition[] {
  return [quotaNoticesJob({ db, quotas, receiving })] as AnyJobDefinition[];
}

/** Worker nodes ask for the check every flush interval (one runs at a time across the cluster). */
export function startQuotaJobs(config: Config, { db, queue, log }: Infrastructure): { stop(): void } {
  return startQuotaNoticeSchedule({ db, queue }, config.usageFlushSeconds * 1000, (err) =>
    log.warn({ err }, 'quota notices: could not queue the check'),
  );
}
