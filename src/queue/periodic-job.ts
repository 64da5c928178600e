import { enqueueJob, type JobSpec } from './jobs.ts';
import type { JobQueue, QueueExecutor } from './queue.ts';

/**
 * A job the cluster runs every `everyMs` (purges, walks, checks), asked for by every worker node:
 * the dedupe key (the job's type) keeps one queued or running at a time across the cluster, each
 * `everyMs` after the last. Asking every half interval keeps one waiting when the node that queued
 * it dies. `firstDelayMs`: the first one's delay (default `everyMs`; 0 runs one at start-up).
 */
export function askPeriodically(
  deps: { db: QueueExecutor; queue: JobQueue },
  spec: JobSpec<Record<string, never>>,
  everyMs: number,
  onError: (err: unknown) => void,
  firstDelayMs = everyMs,
): { stop(): void } {
  const ask = (delayMs: number) =>
    void enqueueJob(deps.queue, deps.db, spec, {}, { dedupeKey: spec.type, delayMs }).catch(onError);
  ask(firstDelayMs);
  const timer = setInterval(() => ask(everyMs), Math.max(1000, Math.floor(everyMs / 2)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
