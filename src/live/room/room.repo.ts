import type { Kysely, Selectable, Transaction } from 'kysely';
import type {
  Database,
  LiveChatBansTable,
  LiveChatMessagesTable,
  LiveChatViewersTable,
  LiveProductsTable,
  LiveRoomsTable,
} from '../../db/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

export type RoomRow = Selectable<LiveRoomsTable>;
export type ViewerRow = Selectable<LiveChatViewersTable>;
export type MessageRow = Selectable<LiveChatMessagesTable>;
export type BanRow = Selectable<LiveChatBansTable>;
export type ProductRow = Selectable<LiveProductsTable>;

/** A stream as its room needs it: state, the broadcast on air, and the room's row when it has one. */
export interface RoomState {
  stream_id: string;
  title: string | null;
  status: 'idle' | 'active' | 'disconnected' | 'disabled';
  broadcast_id: string | null;
  started_at: string | null;
  room: RoomRow | null;
}

/**
 * SQL of the live room. It reads the stream's state and its broadcast with the room's row in one
 * query (the room is part of the live feature: a message costs one read, not three); nothing
 * else of the live streams' tables is touched here.
 */
export const roomRepo = {
  async state(db: Executor, streamId: string): Promise<RoomState | undefined> {
    const row = await db
      .selectFrom('live_streams as s')
      .leftJoin('live_broadcasts as b', 'b.id', 's.broadcast_id')
      .leftJoin('live_rooms as r', 'r.live_stream_id', 's.id')
      .select([
        's.id as stream_id',
        's.title',
        's.status',
        's.broadcast_id',
        'b.started_at',
        'r.live_stream_id as room_id',
        'r.settings',
        'r.word_filter',
        'r.scheduled_at',
        'r.poster_asset_id',
        'r.pinned_product_id',
        'r.updated_at',
      ])
      .where('s.id', '=', streamId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      stream_id: row.stream_id,
      title: row.title,
      status: row.status,
      broadcast_id: row.broadcast_id,
      started_at: row.started_at ?? null,
      room: row.room_id
        ? {
            live_stream_id: row.room_id,
            settings: row.settings as string,
            word_filter: row.word_filter as string,
            scheduled_at: row.scheduled_at ?? null,
            poster_asset_id: row.poster_asset_id ?? null,
            pinned_product_id: row.pinned_product_id ?? null,
            updated_at: row.updated_at as string,
          }
        : null,
    };
  },

  /** Creates the room's row (default settings) when missing; the row either way. */
  async ensureRoom(db: Executor, streamId: string, defaultSettings: string): Promise<RoomRow> {
    await db
      .insertInto('live_rooms')
      .values({ live_stream_id: streamId, settings: defaultSettings, updated_at: new Date().toISOString() })
      .onConflict((oc) => oc.column('live_stream_id').doNothing())
      .execute();
    return db
      .selectFrom('live_rooms')
      .selectAll()
      .where('live_stream_id', '=', streamId)
      .executeTakeFirstOrThrow();
  },

  async updateRoom(db: Executor, streamId: string, patch: Partial<Omit<RoomRow, 'live_stream_id'>>) {
    await db
      .updateTable('live_rooms')
      .set({ ...patch, updated_at: new Date().toISOString() })
      .where('live_stream_id', '=', streamId)
      .execute();
  },

  /** An account's display name (signed-in viewers, hosts): the accounts' table, read only. */
  async userName(db: Executor, userId: string): Promise<string | null> {
    const row = await db.selectFrom('users').select('name').where('id', '=', userId).executeTakeFirst();
    return row?.name?.trim() || null;
  },

  // ---- viewers ----

  async insertViewer(db: Executor, row: ViewerRow): Promise<void> {
    await db.insertInto('live_chat_viewers').values(row).execute();
  },

  /** A signed-in account's viewer row in a room (one per account and room). */
  viewerOfUser(db: Executor, streamId: string, userId: string) {
    return db
      .selectFrom('live_chat_viewers')
      .selectAll()
      .where('live_stream_id', '=', streamId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  },

  async renameViewer(db: Executor, viewerId: string, name: string, addressHash: string): Promise<void> {
    await db
      .updateTable('live_chat_viewers')
      .set({ name, address_hash: addressHash })
      .where('id', '=', viewerId)
      .execute();
  },

  /** Viewers (each guest join is one) added to a room from one address since `since` (ISO). */
  async guestsJoinedSince(
    db: Executor,
    streamId: string,
    addressHash: string,
    since: string,
  ): Promise<number> {
    const row = await db
      .selectFrom('live_chat_viewers')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('live_stream_id', '=', streamId)
      .where('address_hash', '=', addressHash)
      .where('created_at', '>', since)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  },

  viewer(db: Executor, streamId: string, viewerId: string): Promise<ViewerRow | undefined> {
    return db
      .selectFrom('live_chat_viewers')
      .selectAll()
      .where('id', '=', viewerId)
      .where('live_stream_id', '=', streamId)
      .executeTakeFirst();
  },

  /**
   * The ban in force now that covers a would-be viewer: by account, by guest id, or (guests) by
   * address hash. The longest one when several do.
   */
  async activeBan(
    db: Executor,
    streamId: string,
    who: { viewerId?: string; userId: string | null; addressHash: string | null; kind: 'user' | 'guest' },
    now: number,
  ): Promise<BanRow | undefined> {
    const bans = await db
      .selectFrom('live_chat_bans')
      .selectAll()
      .where('live_stream_id', '=', streamId)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now)]))
      .where((eb) =>
        eb.or([
          ...(who.viewerId ? [eb('viewer_id', '=', who.viewerId)] : []),
          ...(who.userId ? [eb('user_id', '=', who.userId)] : []),
          ...(who.kind === 'guest' && who.addressHash ? [eb('address_hash', '=', who.addressHash)] : []),
          eb.lit(false),
        ]),
      )
      .execute();
    return bans.sort((a, b) => (a.until === null ? -1 : b.until === null ? 1 : b.until - a.until))[0];
  },

  // ---- messages ----

  async insertMessage(db: Executor, row: MessageRow): Promise<void> {
    await db.insertInto('live_chat_messages').values(row).execute();
  },

  message(db: Executor, streamId: string, id: string): Promise<MessageRow | undefined> {
    return db
      .selectFrom('live_chat_messages')
      .selectAll()
      .where('id', '=', id)
      .where('live_stream_id', '=', streamId)
      .executeTakeFirst();
  },

  async markDeleted(db: Executor, streamId: string, id: string): Promise<boolean> {
    const r = await db
      .updateTable('live_chat_messages')
      .set({ deleted_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('live_stream_id', '=', streamId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /** The last `limit` messages not deleted, newest first. */
  recentMessages(db: Executor, streamId: string, limit: number): Promise<MessageRow[]> {
    return db
      .selectFrom('live_chat_messages')
      .selectAll()
      .where('live_stream_id', '=', streamId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  },

  /** Newest first, before a (created_at, id) cursor, deleted ones included, with the sender's kind. */
  history(db: Executor, streamId: string, limit: number, before?: { createdAt: string; id: string }) {
    let q = db
      .selectFrom('live_chat_messages as m')
      .leftJoin('live_chat_viewers as v', 'v.id', 'm.viewer_id')
      .selectAll('m')
      .select('v.kind as viewer_kind')
      .where('m.live_stream_id', '=', streamId);
    if (before)
      q = q.where((eb) =>
        eb.or([
          eb('m.created_at', '<', before.createdAt),
          eb.and([eb('m.created_at', '=', before.createdAt), eb('m.id', '<', before.id)]),
        ]),
      );
    return q.orderBy('m.created_at', 'desc').orderBy('m.id', 'desc').limit(limit).execute();
  },

  /** A broadcast's messages not deleted, oldest first (chat replay). */
  broadcastMessages(db: Executor, broadcastId: string, limit: number): Promise<MessageRow[]> {
    return db
      .selectFrom('live_chat_messages')
      .selectAll()
      .where('broadcast_id', '=', broadcastId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
  },

  async countBroadcastMessages(db: Executor, broadcastId: string): Promise<number> {
    const r = await db
      .selectFrom('live_chat_messages')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('broadcast_id', '=', broadcastId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  },

  // ---- bans ----

  async insertBan(db: Executor, row: BanRow): Promise<void> {
    await db.insertInto('live_chat_bans').values(row).execute();
  },

  bans(db: Executor, streamId: string, now: number): Promise<BanRow[]> {
    return db
      .selectFrom('live_chat_bans')
      .selectAll()
      .where('live_stream_id', '=', streamId)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now)]))
      .orderBy('created_at', 'desc')
      .execute();
  },

  async deleteBan(db: Executor, streamId: string, banId: string): Promise<BanRow | undefined> {
    const ban = await db
      .selectFrom('live_chat_bans')
      .selectAll()
      .where('id', '=', banId)
      .where('live_stream_id', '=', streamId)
      .executeTakeFirst();
    if (ban) await db.deleteFrom('live_chat_bans').where('id', '=', banId).execute();
    return ban;
  },

  // ---- products ----

  products(db: Executor, streamId: string): Promise<ProductRow[]> {
    return db
      .selectFrom('live_products')
      .selectAll()
      .where('live_stream_id', '=', streamId)
      .orderBy('position')
      .orderBy('created_at')
      .execute();
  },

  product(db: Executor, streamId: string, id: string): Promise<ProductRow | undefined> {
    return db
      .selectFrom('live_products')
      .selectAll()
      .where('id', '=', id)
      .where('live_stream_id', '=', streamId)
      .executeTakeFirst();
  },

  async insertProduct(db: Executor, row: Omit<ProductRow, 'clicks'>): Promise<void> {
    await db.insertInto('live_products').values(row).execute();
  },

  async updateProduct(db: Executor, id: string, patch: Partial<ProductRow>): Promise<void> {
    await db
      .updateTable('live_products')
      .set({ ...patch, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  },

  async deleteProduct(db: Executor, id: string): Promise<void> {
    await db.deleteFrom('live_products').where('id', '=', id).execute();
    await db.deleteFrom('live_product_clicks').where('product_id', '=', id).execute();
  },

  async nextPosition(db: Executor, streamId: string): Promise<number> {
    const r = await db
      .selectFrom('live_products')
      .select((eb) => eb.fn.max('position').as('p'))
      .where('live_stream_id', '=', streamId)
      .executeTakeFirst();
    return r?.p === null || r?.p === undefined ? 0 : Number(r.p) + 1;
  },

  /** `n` clicks: the product's total and its broadcast's ('' off air), each added to in place. */
  async addClicks(
    db: Executor,
    streamId: string,
    productId: string,
    broadcastId: string,
    n: number,
  ): Promise<boolean> {
    const r = await db
      .updateTable('live_products')
      .set((eb) => ({ clicks: eb('clicks', '+', n) }))
      .where('id', '=', productId)
      .where('live_stream_id', '=', streamId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await db
      .insertInto('live_product_clicks')
      .values({ product_id: productId, broadcast_id: broadcastId, clicks: n })
      .onConflict((oc) =>
        oc
          .columns(['product_id', 'broadcast_id'])
          .doUpdateSet((eb) => ({ clicks: eb('live_product_clicks.clicks', '+', n) })),
      )
      .execute();
    return true;
  },

  broadcastClicks(db: Executor, streamId: string, broadcastId: string) {
    return db
      .selectFrom('live_products as p')
      .leftJoin('live_product_clicks as c', (j) =>
        j.onRef('c.product_id', '=', 'p.id').on('c.broadcast_id', '=', broadcastId),
      )
      .select(['p.id', 'p.title', 'c.clicks'])
      .where('p.live_stream_id', '=', streamId)
      .orderBy('p.position')
      .execute();
  },

  // ---- reactions ----

  async addReactions(
    db: Executor,
    streamId: string,
    broadcastId: string,
    counts: Record<string, number>,
  ): Promise<void> {
    for (const [kind, count] of Object.entries(counts)) {
      await db
        .insertInto('live_room_reactions')
        .values({ live_stream_id: streamId, broadcast_id: broadcastId, kind, count })
        .onConflict((oc) =>
          oc
            .columns(['live_stream_id', 'broadcast_id', 'kind'])
            .doUpdateSet((eb) => ({ count: eb('live_room_reactions.count', '+', count) })),
        )
        .execute();
    }
  },

  reactionTotals(db: Executor, streamId: string, broadcastId: string) {
    return db
      .selectFrom('live_room_reactions')
      .select(['kind', 'count'])
      .where('live_stream_id', '=', streamId)
      .where('broadcast_id', '=', broadcastId)
      .execute();
  },

  // ---- broadcasts (the summary and chat replay) ----

  broadcast(db: Executor, streamId: string, broadcastId?: string) {
    let q = db
      .selectFrom('live_broadcasts')
      .select(['id', 'started_at', 'ended_at', 'asset_id'])
      .where('live_stream_id', '=', streamId);
    q = broadcastId ? q.where('id', '=', broadcastId) : q.orderBy('started_at', 'desc');
    return q.limit(1).executeTakeFirst();
  },

  broadcastOfRecording(db: Executor, assetId: string) {
    return db
      .selectFrom('live_broadcasts')
      .select(['id', 'live_stream_id', 'started_at'])
      .where('asset_id', '=', assetId)
      .executeTakeFirst();
  },

  // ---- presence ----

  async writePresence(db: Executor, nodeId: string, counts: Map<string, number>, now: number): Promise<void> {
    for (const [streamId, viewers] of counts) {
      await db
        .insertInto('live_room_presence')
        .values({ node_id: nodeId, live_stream_id: streamId, viewers, updated_at: now })
        .onConflict((oc) =>
          oc.columns(['node_id', 'live_stream_id']).doUpdateSet({ viewers, updated_at: now }),
        )
        .execute();
    }
  },

  async dropPresence(db: Executor, nodeId: string, streamIds?: string[]): Promise<void> {
    let q = db.deleteFrom('live_room_presence').where('node_id', '=', nodeId);
    if (streamIds) {
      if (streamIds.length === 0) return;
      q = q.where('live_stream_id', 'in', streamIds);
    }
    await q.execute();
  },

  /** Viewers per room: the sum over the processes heard from since `since`. */
  async viewerCounts(db: Executor, streamIds: string[], since: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (streamIds.length === 0) return counts;
    const rows = await db
      .selectFrom('live_room_presence')
      .select(['live_stream_id', (eb) => eb.fn.sum<number>('viewers').as('n')])
      .where('live_stream_id', 'in', streamIds)
      .where('updated_at', '>=', since)
      .groupBy('live_stream_id')
      .execute();
    for (const r of rows) counts.set(r.live_stream_id, Number(r.n));
    return counts;
  },

  /** Broadcasts on air among these streams. */
  async broadcastsOnAir(db: Executor, streamIds: string[]): Promise<Map<string, string>> {
    const map = new Map<string, string>();
    if (streamIds.length === 0) return map;
    const rows = await db
      .selectFrom('live_streams')
      .select(['id', 'broadcast_id'])
      .where('id', 'in', streamIds)
      .where('status', '=', 'active')
      .execute();
    for (const r of rows) if (r.broadcast_id) map.set(r.id, r.broadcast_id);
    return map;
  },

  async writeSamples(
    db: Executor,
    nodeId: string,
    bucket: number,
    samples: [string, number][],
  ): Promise<void> {
    for (const [broadcastId, viewers] of samples) {
      await db
        .insertInto('live_room_samples')
        .values({ broadcast_id: broadcastId, node_id: nodeId, bucket, viewers })
        .onConflict((oc) => oc.columns(['broadcast_id', 'node_id', 'bucket']).doUpdateSet({ viewers }))
        .execute();
    }
  },

  /** Viewers per 10 s bucket of a broadcast, summed over processes. */
  async sampleTotals(db: Executor, broadcastId: string): Promise<number[]> {
    const rows = await db
      .selectFrom('live_room_samples')
      .select(['bucket', (eb) => eb.fn.sum<number>('viewers').as('n')])
      .where('broadcast_id', '=', broadcastId)
      .groupBy('bucket')
      .execute();
    return rows.map((r) => Number(r.n));
  },

  async prunePresence(db: Executor, before: number): Promise<void> {
    await db.deleteFrom('live_room_presence').where('updated_at', '<', before).execute();
  },
};
