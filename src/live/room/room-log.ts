import type { Selectable } from 'kysely';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Db } from '../../db/database.ts';
import { dialectOf } from '../../db/dialect-helpers.ts';
import type { Database, LiveRoomEventsTable } from '../../db/schema.ts';
import { announceWriter, logHorizon, type SequencedLog } from '../../events/outbox-horizon.ts';

/**
 * The room fan-out log (`live_room_events`): every room event is a row, written in the
 * transaction of what it announces, and read in `seq` order by every api process below the
 * settled horizon (the outbox's scheme, src/events/outbox-horizon.ts), so an event committed late
 * on PostgreSQL is never skipped. On PostgreSQL the writer's transaction also notifies
 * `framehouse_room`: delivered at commit, it wakes every reader at once.
 */
export const ROOM_LOG: SequencedLog = { table: 'live_room_events' };
export const ROOM_CHANNEL = 'framehouse_room';
/** Events are for the moment: an hour is plenty for any reader to be past them. */
export const ROOM_LOG_KEEP_MS = 3600_000;

export type RoomEventType =
  | 'message'
  | 'message_deleted'
  | 'reactions'
  | 'pinned'
  | 'settings'
  | 'status'
  | 'viewer_banned';

export type RoomEventRow = Selectable<LiveRoomEventsTable>;

export async function appendRoomEvent(
  trx: Transaction<Database>,
  streamId: string,
  type: RoomEventType,
  data: unknown,
): Promise<void> {
  await announceWriter(trx, ROOM_LOG);
  await trx
    .insertInto('live_room_events')
    .values({
      live_stream_id: streamId,
      type,
      data: JSON.stringify(data),
      created_at: new Date().toISOString(),
    })
    .execute();
  if (dialectOf(trx as unknown as Kysely<unknown>) === 'postgres')
    await sql`select pg_notify(${ROOM_CHANNEL}, '')`.execute(trx);
}

export interface RoomLogPage {
  events: RoomEventRow[];
  /** Where the next read starts (never below `after`). */
  through: number;
  /** A writer was still at work past `through`: worth reading again soon. */
  heldBack: boolean;
}

/** Events after `after`, in order, up to the settled horizon; outside any transaction. */
export async function readRoomLog(db: Db, after: number, limit: number): Promise<RoomLogPage> {
  const { horizon, drawn } = await logHorizon(db, ROOM_LOG);
  if (horizon <= after) return { events: [], through: after, heldBack: drawn > after };
  const events = await db
    .selectFrom('live_room_events')
    .selectAll()
    .where('seq', '>', after)
    .where('seq', '<=', horizon)
    .orderBy('seq')
    .limit(limit)
    .execute();
  const last = events.at(-1);
  const full = last !== undefined && events.length === limit;
  return { events, through: full ? last.seq : horizon, heldBack: !full && drawn > horizon };
}

/** "Now" in the log: a reader starting here gets every event that settles from now on. */
export async function roomLogHead(db: Db): Promise<number> {
  return (await logHorizon(db, ROOM_LOG)).horizon;
}

/** Drops events older than the log keeps them. */
export async function pruneRoomLog(db: Db, now = Date.now()): Promise<void> {
  await db
    .deleteFrom('live_room_events')
    .where('created_at', '<', new Date(now - ROOM_LOG_KEEP_MS).toISOString())
    .execute();
}

/**
 * The stream's broadcast went on or off air: every viewer gets `status`. The live streams service
 * calls this (its `onStatusChanged` hook) in the transaction of the change.
 */
export function announceRoomStatus(
  trx: Transaction<Database>,
  streamId: string,
  status: string,
  startedAt: string | null,
): Promise<void> {
  return appendRoomEvent(trx, streamId, 'status', { status, started_at: startedAt });
}
