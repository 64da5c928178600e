import type { Kysely } from 'kysely';
import { autoIncrementPrimaryKey } from '../dialect-helpers.ts';

// The live room (src/live/room/): each live stream's room settings, its chat (viewers, messages,
// bans), its products and their clicks, reaction totals, the room event log every api process
// reads to fan events out (pruned after an hour), and the viewer counts each process reports.
// Times the chat's limits compare are epoch milliseconds (bigint): a conditional update does
// arithmetic on them in one statement on either database.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('live_rooms')
    .addColumn('live_stream_id', 'text', (c) => c.primaryKey())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('word_filter', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('scheduled_at', 'text')
    .addColumn('poster_asset_id', 'text')
    .addColumn('pinned_product_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('live_chat_viewers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // HMAC of the client address with the instance's key: bans follow a guest who comes back
    // under a new name, and the address itself is never stored.
    .addColumn('address_hash', 'text')
    .addColumn('last_message_at', 'bigint')
    // The rate limit's token bucket: tokens left as of `bucket_at`.
    .addColumn('bucket_tokens', 'double precision', (c) => c.notNull())
    .addColumn('bucket_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('live_chat_viewers_stream_idx')
    .on('live_chat_viewers')
    .columns(['live_stream_id', 'user_id'])
    .execute();
  // New guests per address and minute (each join counts them), and bans by address.
  await db.schema
    .createIndex('live_chat_viewers_address_idx')
    .on('live_chat_viewers')
    .columns(['live_stream_id', 'address_hash', 'created_at'])
    .execute();

  await db.schema
    .createTable('live_chat_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('broadcast_id', 'text')
    .addColumn('viewer_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('offset_seconds', 'double precision')
    .addColumn('deleted_at', 'text')
    .execute();
  await db.schema
    .createIndex('live_chat_messages_stream_idx')
    .on('live_chat_messages')
    .columns(['live_stream_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('live_chat_messages_broadcast_idx')
    .on('live_chat_messages')
    .columns(['broadcast_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('live_chat_bans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('viewer_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('address_hash', 'text')
    // Epoch ms; null: for good.
    .addColumn('until', 'bigint')
    .addColumn('reason', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('live_chat_bans_stream_idx')
    .on('live_chat_bans')
    .column('live_stream_id')
    .execute();

  await db.schema
    .createTable('live_products')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('price_amount', 'text')
    .addColumn('price_currency', 'text')
    .addColumn('image_asset_id', 'text')
    .addColumn('url', 'text')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('clicks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('live_products_stream_idx')
    .on('live_products')
    .columns(['live_stream_id', 'position'])
    .execute();
  // Clicks per broadcast ('' off air): one row per product and broadcast, added to in place.
  await db.schema
    .createTable('live_product_clicks')
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('broadcast_id', 'text', (c) => c.notNull())
    .addColumn('clicks', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('live_product_clicks_pk', ['product_id', 'broadcast_id'])
    .execute();

  // Reactions per broadcast ('' off air) and kind, for the summary.
  await db.schema
    .createTable('live_room_reactions')
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('broadcast_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('live_room_reactions_pk', ['live_stream_id', 'broadcast_id', 'kind'])
    .execute();

  // The fan-out log: read in `seq` order by every api process, below the settled horizon.
  await autoIncrementPrimaryKey(db, db.schema.createTable('live_room_events'), 'seq')
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('live_room_events_created_idx')
    .on('live_room_events')
    .column('created_at')
    .execute();

  // How many event streams each process holds per room, rewritten every few seconds.
  await db.schema
    .createTable('live_room_presence')
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('viewers', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('live_room_presence_pk', ['node_id', 'live_stream_id'])
    .execute();
  // A room's viewer count sums its rows over every process: read per room, not per node.
  await db.schema
    .createIndex('live_room_presence_stream_idx')
    .on('live_room_presence')
    .column('live_stream_id')
    .execute();
  // The same per broadcast, one row per process and 10 s: the summary's peak and average.
  await db.schema
    .createTable('live_room_samples')
    .addColumn('broadcast_id', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text', (c) => c.notNull())
    .addColumn('bucket', 'bigint', (c) => c.notNull())
    .addColumn('viewers', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('live_room_samples_pk', ['broadcast_id', 'node_id', 'bucket'])
    .execute();

  // The chat replay finds a recording's broadcast by its asset (live_broadcasts is 0014's).
  await db.schema.createIndex('live_broadcasts_asset_idx').on('live_broadcasts').column('asset_id').execute();
}
