import type { Db } from '../db/database.ts';
import { askPeriodically } from '../queue/periodic-job.ts';
import type { JobQueue } from '../queue/queue.ts';
import { storageLifecycleSpec } from './lifecycle.job.ts';
import { HOUR_MS } from './rules.ts';

/** The lifecycle rules, run once an hour across the cluster. */
export function startLifecycleSchedule(
  deps: { db: Db; queue: JobQueue },
  onError: (err: unknown) => void,
  everyMs = HOUR_MS,
): { stop(): void } {
  return askPeriodically(deps, storageLifecycleSpec, everyMs, onError);
}
