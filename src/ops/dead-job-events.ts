import { recordEvent } from '../events/outbox.ts';
import type { DeadLetteredJob, QueueExecutor } from '../queue/queue.ts';

/**
 * `job.dead` events for dead-lettered jobs, tied to the asset a job's payload names, if any:
 * the queue's `onDeadLetter` hook, so they commit with the jobs' deaths.
 */
export async function recordDeadJobEvents(trx: QueueExecutor, jobs: DeadLetteredJob[]): Promise<void> {
  for (const job of jobs) {
    const payload = JSON.parse(job.payload) as { assetId?: unknown } | null;
    const assetId = typeof payload?.assetId === 'string' ? payload.assetId : null;
    await recordEvent(trx, 'job.dead', assetId, {
      job_id: job.id,
      type: job.type,
      attempts: job.attempts,
      error: job.last_error,
    });
  }
}
