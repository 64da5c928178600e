import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { newId } from '../shared/ids.ts';
import { isoNow } from '../shared/time.ts';

export type EventType =
  | 'asset.created'
  | 'asset.processing'
  | 'asset.ready'
  | 'asset.renditions.ready'
  | 'asset.updated'
  | 'asset.errored'
  | 'asset.deleted'
  | 'asset.download.ready'
  | 'upload.completed'
  | 'job.dead'
  | 'batch.created'
  | 'batch.progress'
  | 'batch.completed'
  | 'webhook.disabled';

/**
 * Records an event in the outbox table, inside the caller's transaction: the event exists
 * if and only if the state change it describes was committed. `GET /v1/events`, the SSE
 * stream and the webhook dispatcher read it.
 */
export async function recordEvent(
  executor: Kysely<Database> | Transaction<Database>,
  type: EventType,
  assetId: string | null,
  data: Record<string, unknown> = {},
): Promise<void> {
  await executor
    .insertInto('events')
    .values({ id: newId(), type, asset_id: assetId, data: JSON.stringify(data), created_at: isoNow() })
    .execute();
}
