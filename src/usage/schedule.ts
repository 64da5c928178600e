import type { Db } from '../db/database.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { usageStorageWalkSpec } from './storage-walk.job.ts';

/**
 * Every worker node asks for the storage walk now and then; the dedupe key keeps one queued or
 * running across the cluster. The first is asked for at once (a level to integrate from), the
 * next ones `everyMs` after the last.
 */
export function startUsageSchedule(
  deps: { db: Db; queue: JobQueue },
  everyMs: number,
  onError: (err: unknown) => void,
): { stop(): void } {
  const ask = (delayMs: number) =>
    void enqueueJob(
      deps.queue,
      deps.db,
      usageStorageWalkSpec,
      {},
      { dedupeKey: usageStorageWalkSpec.type, delayMs },
    ).catch(onError);
  ask(0);
  const timer = setInterval(() => ask(everyMs), Math.max(1000, Math.floor(everyMs / 2)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
