import type { Db } from '../db/database.ts';
import { OutboxDispatcher } from '../events/outbox-dispatcher.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { deliverWebhookSpec } from './delivery.ts';

/**
 * Turns outbox events into webhook delivery jobs, once each across all worker nodes: an endpoint
 * hears of what happens after it was made, of the types it asked for.
 */
export function webhookDispatcher(
  db: Db,
  queue: JobQueue,
  onError: (err: unknown) => void,
): OutboxDispatcher {
  return new OutboxDispatcher(
    db,
    'webhook_dispatch',
    async (trx, events) => {
      const webhooks = (
        await trx
          .selectFrom('webhooks')
          .select(['id', 'events', 'created_at'])
          .where('enabled', '=', 1)
          .execute()
      ).map((w) => ({ ...w, types: new Set(JSON.parse(w.events) as string[]) }));
      let jobs = 0;
      for (const event of events) {
        for (const w of webhooks) {
          if (event.created_at < w.created_at || !(w.types.has('*') || w.types.has(event.type))) continue;
          await enqueueJob(queue, trx, deliverWebhookSpec, {
            webhookId: w.id,
            eventId: event.id,
            attempt: 1,
          });
          jobs++;
        }
      }
      return jobs;
    },
    onError,
  );
}
