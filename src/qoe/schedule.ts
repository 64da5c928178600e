import type { Db } from '../db/database.ts';
import { enqueueJob, type JobSpec } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { closeViewsSpec } from './close-views.job.ts';
import { pruneSpec } from './prune.job.ts';
import { HOUR_MS, MINUTE_MS } from './rollup-delta.ts';

/**
 * How often views are closed: every minute, or as often as views time out when that is
 * shorter (tests and benches use a timeout of a few seconds).
 */
export const closeIntervalMs = (viewTimeoutMs: number): number => Math.min(MINUTE_MS, viewTimeoutMs);

/**
 * Every worker node asks for the close and prune jobs now and then; the queue's dedupe key keeps
 * one of each queued or running at a time across the cluster, each `every` after the last.
 */
export function startQoeSchedule(
  deps: { db: Db; queue: JobQueue },
  opts: { viewTimeoutMs: number },
  onError: (err: unknown) => void,
): { stop(): void } {
  const jobs: [JobSpec<Record<string, never>>, number][] = [
    [closeViewsSpec, closeIntervalMs(opts.viewTimeoutMs)],
    [pruneSpec, HOUR_MS],
  ];
  const timers = jobs.map(([spec, every]) => {
    const tick = () =>
      void enqueueJob(deps.queue, deps.db, spec, {}, { dedupeKey: spec.type, delayMs: every }).catch(onError);
    tick();
    const timer = setInterval(tick, Math.max(1000, Math.floor(every / 2)));
    timer.unref();
    return timer;
  });
  return { stop: () => timers.forEach(clearInterval) };
}
