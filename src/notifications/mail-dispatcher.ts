import type { Db } from '../db/database.ts';
import { OutboxDispatcher } from '../events/outbox-dispatcher.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { assetMailSpec } from './asset-mail.ts';

/** asset.ready / asset.errored → a mail job for the account that uploaded it (never for API keys). */
export function assetMailDispatcher(
  db: Db,
  queue: JobQueue,
  onError: (err: unknown) => void,
): OutboxDispatcher {
  return new OutboxDispatcher(
    db,
    'asset_mail_dispatch',
    async (trx, events) => {
      let jobs = 0;
      for (const event of events) {
        if ((event.type !== 'asset.ready' && event.type !== 'asset.errored') || !event.asset_id) continue;
        const asset = await trx
          .selectFrom('assets')
          .select('created_by')
          .where('id', '=', event.asset_id)
          .executeTakeFirst();
        const userId = asset?.created_by?.startsWith('user:') ? asset.created_by.slice('user:'.length) : null;
        if (!userId) continue;
        await enqueueJob(
          queue,
          trx,
          assetMailSpec,
          { assetId: event.asset_id, userId, outcome: event.type === 'asset.ready' ? 'ready' : 'failed' },
          { dedupeKey: `asset-mail:${event.id}` },
        );
        jobs++;
      }
      return jobs;
    },
    onError,
  );
}
