import type { Db } from '../db/database.ts';
import { defineJob, jobSpec } from '../queue/jobs.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { walkStorage } from './storage-walk.ts';
import { UsageService } from './usage.service.ts';

/**
 * The storage walk of usage metering (docs/usage.md, `stored_byte_seconds`): every
 * FRAMEHOUSE_USAGE_STORAGE_SAMPLE_MINUTES, one at a time across the cluster (its schedule
 * enqueues it with a dedupe key). One attempt: the next walk integrates over the longer interval,
 * so nothing is lost when one fails. It also forgets old edge report ids.
 */
export const usageStorageWalkSpec = jobSpec<Record<string, never>>('usage.storage-walk', {
  maxAttempts: 1,
  priority: 5,
});

export const usageStorageWalkJob = (deps: { db: Db; store: ObjectStore }) =>
  defineJob<Record<string, never>>(usageStorageWalkSpec.type, {
    ...usageStorageWalkSpec,
    // No run-time limit from the pool: it lists the whole bucket, as long as that takes.
    timeoutMs: null,
    async handler({ log, signal }) {
      const summary = await walkStorage(deps, { signal });
      const pruned = await new UsageService({ db: deps.db }).pruneEdgeReports();
      if (!summary.recorded)
        log.warn(summary, 'usage: another storage walk recorded meanwhile; this one wrote nothing');
      log.info({ ...summary, prunedEdgeReports: pruned }, 'usage: storage walked');
    },
  });
