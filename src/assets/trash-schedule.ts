import type { Db } from '../db/database.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { purgeTrashSpec } from './purge-trash.job.ts';

const HOUR_MS = 3_600_000;

/**
 * Every worker node asks for the purge now and then; the queue's dedupe key keeps one queued or
 * running at a time across the cluster, each an hour after the last (as src/qoe/schedule.ts).
 */
export function startTrashSchedule(
  deps: { db: Db; queue: JobQueue },
  onError: (err: unknown) => void,
): { stop(): void } {
  const tick = () =>
    void enqueueJob(
      deps.queue,
      deps.db,
      purgeTrashSpec,
      {},
      {
        dedupeKey: purgeTrashSpec.type,
        delayMs: HOUR_MS,
      },
    ).catch(onError);
  tick();
  const timer = setInterval(tick, HOUR_MS / 2);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
