import type { Db } from '../db/database.ts';
import { askPeriodically } from '../queue/periodic-job.ts';
import type { JobQueue } from '../queue/queue.ts';
import { purgeTrashSpec } from './purge-trash.job.ts';

const HOUR_MS = 3_600_000;

/** The trash purge, once an hour across the cluster. */
export function startTrashSchedule(
  deps: { db: Db; queue: JobQueue },
  onError: (err: unknown) => void,
): { stop(): void } {
  return askPeriodically(deps, purgeTrashSpec, HOUR_MS, onError);
}
