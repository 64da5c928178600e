import type { Db } from '../db/database.ts';
import { askPeriodically } from '../queue/periodic-job.ts';
import type { JobQueue } from '../queue/queue.ts';
import { usageStorageWalkSpec } from './storage-walk.job.ts';

/**
 * The storage walk, every `everyMs` across the cluster. The first is asked for at once: its levels
 * are what the next walk integrates over time.
 */
export function startUsageSchedule(
  deps: { db: Db; queue: JobQueue },
  everyMs: number,
  onError: (err: unknown) => void,
): { stop(): void } {
  return askPeriodically(deps, usageStorageWalkSpec, everyMs, onError, 0);
}
