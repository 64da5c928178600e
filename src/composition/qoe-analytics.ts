import type { FastifyInstance } from 'fastify';
import type { AssetsService } from '../assets/assets.service.ts';
import type { Config } from '../config/config.ts';
import type { LiveStreamsService } from '../live/streams/live-streams.service.ts';
import { closeViewsJob } from '../qoe/close-views.job.ts';
import { QoeOverviewService } from '../qoe/overview.service.ts';
import { pruneJob } from '../qoe/prune.job.ts';
import { registerQoeReadRoutes } from '../qoe/qoe.routes.ts';
import { startQoeSchedule } from '../qoe/schedule.ts';
import { QoeViewsService } from '../qoe/view-reads.service.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import type { Infrastructure } from './infrastructure.ts';

export interface QoeAnalytics {
  /** Registers the read routes (`/v1/qoe/overview`, `/v1/qoe/views…`) on the HTTP app. */
  register(app: FastifyInstance): void;
}

/**
 * Viewer analytics, the reading side (docs/qoe.md): the overview and the views, readable even
 * when reporting is off (FRAMEHOUSE_QOE=false), so what was measured stays visible.
 */
export function qoeAnalyticsServices(
  { db }: Infrastructure,
  deps: { assets: AssetsService; streams: LiveStreamsService },
): QoeAnalytics {
  const overview = new QoeOverviewService({
    db,
    assets: deps.assets,
    // Live streams are few: one look-up each.
    streams: {
      titles: async (ids) =>
        new Map(
          await Promise.all(
            ids.map(async (id) => [id, (await deps.streams.row(id))?.title ?? null] as const),
          ),
        ),
    },
  });
  const views = new QoeViewsService({ db });
  return { register: (app) => registerQoeReadRoutes(app, { overview, views }) };
}

/** Closing views into the rollups, and pruning: registered on every worker (JOB_TYPES lists them). */
export function qoeAnalyticsJobs(config: Config, { db }: Infrastructure): AnyJobDefinition[] {
  return [
    closeViewsJob({ db, timeoutMs: config.qoeViewTimeoutMs }),
    pruneJob({
      db,
      retention: { viewDays: config.qoeViewRetentionDays, rollupMonths: config.qoeRollupRetentionMonths },
    }),
  ] as AnyJobDefinition[];
}

/**
 * Worker nodes ask for the jobs (one of each runs at a time across the cluster). Also with
 * FRAMEHOUSE_QOE=false: the views still open get closed, and what is kept is still deleted when
 * its retention ends (two indexed queries a minute when there is nothing to do).
 */
export function startQoeJobs(config: Config, { db, queue, log }: Infrastructure): { stop(): void } {
  return startQoeSchedule({ db, queue }, { viewTimeoutMs: config.qoeViewTimeoutMs }, (err) =>
    log.warn({ err }, 'viewer analytics: could not queue a job'),
  );
}
