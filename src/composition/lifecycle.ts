import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { type ColdTier, SecondStoreTier, StorageClassTier } from '../lifecycle/cold-tier.ts';
import { LastViewedRecorder } from '../lifecycle/last-viewed.ts';
import { storageLifecycleJob } from '../lifecycle/lifecycle.job.ts';
import { registerStorageRoutes } from '../lifecycle/lifecycle.routes.ts';
import { recordViewed } from '../lifecycle/lifecycle.service.ts';
import { rulesFromConfig } from '../lifecycle/rules.ts';
import { startLifecycleSchedule } from '../lifecycle/schedule.ts';
import { CachedStorageReport, measureStorage, type StorageReport } from '../lifecycle/storage-report.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { TieredObjectStore } from '../storage/tiered-store.ts';
import type { Infrastructure } from './infrastructure.ts';

/** The cold tier the configuration names: a storage class (S3) or the second store; null: none. */
export function coldTierOf(config: Config, store: ObjectStore): ColdTier | null {
  if (config.lifecycleColdDays === undefined) return null;
  if (config.lifecycleColdStorageClass) return new StorageClassTier(store, config.lifecycleColdStorageClass);
  if (config.lifecycleColdStorageUrl && store instanceof TieredObjectStore)
    return new SecondStoreTier(store, config.lifecycleColdStorageUrl);
  return null;
}

/** What the rules will do next and what the store holds (the admin endpoint and the CLI's dry run). */
export function measureStorageFor(
  config: Config,
  { db, store }: { db: Db; store: ObjectStore },
): Promise<StorageReport> {
  return measureStorage({
    db,
    store,
    rules: rulesFromConfig(config),
    backupScheduled: config.backupSchedule !== undefined,
  });
}

export interface LifecycleHttp {
  /** GET /v1/admin/storage. */
  register(app: FastifyInstance): void;
  /** A player asked for the asset's master playlist (delivery calls this: one Map look-up). */
  viewed(assetId: string): void;
}

/** The HTTP side: the storage report and the record of views the cold tier reads. */
export function lifecycleHttp(config: Config, infra: Infrastructure): LifecycleHttp {
  const { db, log } = infra;
  const report = new CachedStorageReport({
    measure: () => measureStorageFor(config, infra),
    onError: (err) => log.warn({ err }, 'storage report: measuring failed'),
  });
  const views = new LastViewedRecorder({
    write: (assetId, at) => recordViewed(db, assetId, at),
    onError: (err) => log.warn({ err }, 'could not record that an asset was viewed'),
  });
  return {
    register: (app) => registerStorageRoutes(app, { report }),
    viewed: (assetId) => views.viewed(assetId),
  };
}

/** The `storage.lifecycle` job, on every worker (JOB_TYPES lists it). */
export function lifecycleJobs(
  config: Config,
  { db, store }: Infrastructure,
  metrics: Metrics,
): AnyJobDefinition[] {
  return [
    storageLifecycleJob({
      db,
      store,
      rules: rulesFromConfig(config),
      cold: coldTierOf(config, store),
      count: (action, objects, bytes) => {
        metrics.lifecycleObjects.inc({ action }, objects);
        metrics.lifecycleBytes.inc({ action }, bytes);
      },
    }),
  ] as AnyJobDefinition[];
}

/** Worker nodes ask for the job hourly (one runs at a time across the cluster). */
export function startLifecycleJobs({ db, queue, log }: Infrastructure): { stop(): void } {
  return startLifecycleSchedule({ db, queue }, (err) =>
    log.warn({ err }, 'storage lifecycle: could not queue the job'),
  );
}
