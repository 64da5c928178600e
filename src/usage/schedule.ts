import type { Db } from '../db/database.ts';
import { askPeriodically } from '../queue/periodic-job.ts';
import type { JobQueue } from '../queue/queue.ts';
import { usageStorageWalkSpec } from './storage-walk.job.ts';
import { usageRepo } from './usage.repo.ts';

/**
 * The first walk's delay at a worker's start: at once when no walk has sampled within the
 * interval (its levels are what the next walk integrates over time), else when the interval since
 * the last one is over. Every worker asks at start: a rolling restart of N workers must not be N
 * full listings of the store.
 */
export async function firstWalkDelay(db: Db, everyMs: number, now: number): Promise<number> {
  const newest = await usageRepo.newestSample(db);
  const last = newest === null ? Number.NaN : Date.parse(newest);
  if (!Number.isFinite(last) || now - last >= everyMs) return 0;
  return Math.max(0, last + everyMs - now);
}

/** The storage walk, every `everyMs` across the cluster (the first one: `firstWalkDelay`). */
export function startUsageSchedule(
  deps: { db: Db; queue: JobQueue },
  everyMs: number,
  onError: (err: unknown) => void,
  now: () => number = Date.now,
): { stop(): void } {
  let asking: { stop(): void } | null = null;
  let stopped = false;
  void firstWalkDelay(deps.db, everyMs, now())
    .catch((err: unknown) => {
      onError(err);
      return 0;
    })
    .then((delay) => {
      if (!stopped) asking = askPeriodically(deps, usageStorageWalkSpec, everyMs, onError, delay);
    });
  return {
    stop() {
      stopped = true;
      asking?.stop();
    },
  };
}
