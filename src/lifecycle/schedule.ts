import type { Db } from '../db/database.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { storageLifecycleSpec } from './lifecycle.job.ts';
import { HOUR_MS } from './rules.ts';

/**
 * Every worker node asks for the lifecycle job now and then; the dedupe key keeps one queued or
 * running across the cluster, each an hour after the last.
 */
export function startLifecycleSchedule(
  deps: { db: Db; queue: JobQueue },
  onError: (err: unknown) => void,
  everyMs = HOUR_MS,
): { stop(): void } {
  const tick = () =>
    void enqueueJob(
      deps.queue,
      deps.db,
      storageLifecycleSpec,
      {},
      {
        dedupeKey: storageLifecycleSpec.type,
        delayMs: everyMs,
      },
    ).catch(onError);
  tick();
  const timer = setInterval(tick, Math.max(1000, Math.floor(everyMs / 2)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
