import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, EventsTable } from '../db/schema.ts';
import { newId } from '../shared/ids.ts';
import { isoNow } from '../shared/time.ts';
import { announceEventWriter, settledHorizon } from './outbox-horizon.ts';

export type EventType =
  | 'asset.created'
  | 'asset.processing'
  | 'asset.ready'
  | 'asset.renditions.ready'
  | 'asset.updated'
  | 'asset.errored'
  | 'asset.deleted'
  | 'asset.restored'
  | 'asset.track.ready'
  | 'asset.track.deleted'
  | 'asset.download.ready'
  | 'upload.completed'
  | 'job.dead'
  | 'batch.created'
  | 'batch.progress'
  | 'batch.completed'
  | 'webhook.disabled'
  | 'live_stream.created'
  | 'live_stream.updated'
  | 'live_stream.deleted'
  | 'live_stream.disabled'
  | 'live_stream.enabled'
  | 'live_stream.active'
  | 'live_stream.disconnected'
  | 'live_stream.idle'
  | 'live_stream.recording.ready'
  | 'backup.succeeded'
  | 'backup.failed'
  | 'usage.threshold';

export type OutboxEvent = Selectable<EventsTable>;

/**
 * Records an event in the outbox table, inside the caller's transaction: the event exists
 * if and only if the state change it describes was committed. `GET /v1/events`, the SSE
 * stream and the outbox dispatchers (webhooks, e-mail) read it with `readOutbox`.
 */
export async function recordEvent(
  executor: Kysely<Database> | Transaction<Database>,
  type: EventType,
  assetId: string | null,
  data: Record<string, unknown> = {},
): Promise<void> {
  // The writer's announcement lasts as long as its transaction: give it one.
  if (!executor.isTransaction) {
    return executor.transaction().execute((trx) => recordEvent(trx, type, assetId, data));
  }
  await announceEventWriter(executor as Transaction<Database>);
  await executor
    .insertInto('events')
    .values({ id: newId(), type, asset_id: assetId, data: JSON.stringify(data), created_at: isoNow() })
    .execute();
}

export interface OutboxFilter {
  /** Any of these types. */
  types?: readonly string[];
  assetId?: string;
}

export interface OutboxPage {
  /** Events after the cursor, in `seq` order, at most `limit`. */
  events: OutboxEvent[];
  /**
   * Where the next read starts: every event (matching the filter) up to here was in `events`,
   * and no event at or below it can appear later. Never below `after`.
   */
  through: number;
}

/**
 * The one way to read the outbox by cursor: events after `after`, oldest first, up to the settled
 * horizon only (see outbox-horizon.ts), so that a reader that moves its cursor past an event can
 * never miss one that commits later with a lower `seq`. Call it outside a transaction.
 */
export async function readOutbox(
  db: Kysely<Database>,
  after: number,
  limit: number,
  filter: OutboxFilter = {},
): Promise<OutboxPage> {
  const horizon = await settledHorizon(db);
  if (horizon <= after) return { events: [], through: after };
  let q = db.selectFrom('events').selectAll().where('seq', '>', after).where('seq', '<=', horizon);
  if (filter.types?.length) q = q.where('type', 'in', filter.types);
  if (filter.assetId) q = q.where('asset_id', '=', filter.assetId);
  const events = await q.orderBy('seq').limit(limit).execute();
  const last = events.at(-1);
  return { events, through: last && events.length === limit ? last.seq : horizon };
}

/** "Now" as a cursor: a reader starting here gets every event that settles from now on. */
export function outboxHead(db: Kysely<Database>): Promise<number> {
  return settledHorizon(db);
}
