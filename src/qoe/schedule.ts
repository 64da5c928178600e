import type { Db } from '../db/database.ts';
import { askPeriodically } from '../queue/periodic-job.ts';
import type { JobQueue } from '../queue/queue.ts';
import { closeViewsSpec } from './close-views.job.ts';
import { pruneSpec } from './prune.job.ts';
import { HOUR_MS, MINUTE_MS } from './rollup-delta.ts';

/**
 * How often views are closed: every minute, or as often as views time out when that is
 * shorter (tests and benches use a timeout of a few seconds).
 */
export const closeIntervalMs = (viewTimeoutMs: number): number => Math.min(MINUTE_MS, viewTimeoutMs);

/** Closing views (every minute, or sooner in tests) and pruning (hourly), each run by one node at a time. */
export function startQoeSchedule(
  deps: { db: Db; queue: JobQueue },
  opts: { viewTimeoutMs: number },
  onError: (err: unknown) => void,
): { stop(): void } {
  const schedules = [
    askPeriodically(deps, closeViewsSpec, closeIntervalMs(opts.viewTimeoutMs), onError),
    askPeriodically(deps, pruneSpec, HOUR_MS, onError),
  ];
  return {
    stop: () => {
      for (const s of schedules) s.stop();
    },
  };
}
