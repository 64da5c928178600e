import type { FastifyInstance } from 'fastify';
import type { ApiKeysService } from '../auth/api-keys.service.ts';
import type { Config } from '../config/config.ts';
import { DeliveryUsage } from '../delivery/delivery-usage.ts';
import { ReportingEdges } from '../delivery/reporting-edges.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import { startUsageSchedule } from '../usage/schedule.ts';
import { usageStorageWalkJob } from '../usage/storage-walk.job.ts';
import { registerUsageRoutes } from '../usage/usage.routes.ts';
import { UsageService } from '../usage/usage.service.ts';
import { databaseMeter } from '../usage/usage-flush.ts';
import type { UsageMeter } from '../usage/usage-meter.ts';
import type { Infrastructure } from './infrastructure.ts';

/**
 * One meter per process (docs/usage.md): features add to it (the playback origin, the pipeline,
 * the live node), it flushes every FRAMEHOUSE_USAGE_FLUSH_SECONDS; `stop` writes what is left.
 */
export function usageMeter(config: Config, { db, log }: Infrastructure): UsageMeter {
  return databaseMeter(db, {
    flushSeconds: config.usageFlushSeconds,
    onError: (err) => log.warn({ err }, 'usage: could not write the counters (kept for the next flush)'),
  });
}

export interface UsageHttp {
  /** GET /v1/usage, POST /v1/usage/edge-reports. */
  register(app: FastifyInstance): void;
  /** What the playback origin delivers. */
  delivery: DeliveryUsage;
  /** Shutdown: no more reloads of the reporting edges (their timer would query a closed database). */
  stop(): void;
}

export function usageHttp({ db, log }: Infrastructure, meter: UsageMeter, keys: ApiKeysService): UsageHttp {
  const usage = new UsageService({ db });
  // Fills of a reporting edge carry its admin key's hash; anything else counts as a viewer's.
  const edges = new ReportingEdges(
    () => keys.adminKeyHashes(),
    (err) => log.warn({ err }, 'usage: could not read which edges report their deliveries'),
  ).start();
  const delivery = new DeliveryUsage(meter, edges);
  meter.addSource(() => delivery.drain());
  return {
    register: (app) => registerUsageRoutes(app, { usage }),
    delivery,
    stop: () => edges.stop(),
  };
}

/** The storage walk, on every worker (JOB_TYPES lists it). */
export function usageJobs({ db, store }: Infrastructure): AnyJobDefinition[] {
  return [usageStorageWalkJob({ db, store })] as AnyJobDefinition[];
}

/** Worker nodes ask for the walk every FRAMEHOUSE_USAGE_STORAGE_SAMPLE_MINUTES (one runs at a time). */
export function startUsageJobs(config: Config, { db, queue, log }: Infrastructure): { stop(): void } {
  return startUsageSchedule({ db, queue }, config.usageStorageSampleMinutes * 60_000, (err) =>
    log.warn({ err }, 'usage: could not queue the storage walk'),
  );
}
