import type { Kysely } from 'kysely';

// Live streaming (src/live/): streams and their playback ids, the broadcasts a stream makes
// (each one publish session, surviving encoder drops within the reconnect window), the segments
// a broadcast wrote to the object store (recording, DVR, failover to another live node), and
// the live nodes (found through here by api nodes to reach the one holding a stream).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('live_streams')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    // The key itself, so its owners can see it again; publishes find it by its hash.
    .addColumn('stream_key', 'text', (c) => c.notNull())
    .addColumn('stream_key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('srt_passphrase', 'text', (c) => c.notNull())
    // Unique when set (NULLs never collide, on SQLite as on PostgreSQL).
    .addColumn('srt_port', 'integer', (c) => c.unique())
    .addColumn('latency_mode', 'text', (c) => c.notNull())
    .addColumn('reconnect_window', 'integer', (c) => c.notNull())
    .addColumn('record', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('node_id', 'text')
    .addColumn('current', 'text')
    .addColumn('last_error_code', 'text')
    .addColumn('last_error_message', 'text')
    .addColumn('disconnected_at', 'text')
    .addColumn('broadcast_id', 'text')
    .execute();
  await db.schema
    .createIndex('live_streams_created_idx')
    .on('live_streams')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema.createIndex('live_streams_node_idx').on('live_streams').column('node_id').execute();

  await db.schema
    .createTable('live_playback_ids')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('live_playback_ids_stream_idx')
    .on('live_playback_ids')
    .column('live_stream_id')
    .execute();

  await db.schema
    .createTable('live_broadcasts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('node_id', 'text')
    .addColumn('next_msn', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('discontinuity_sequence', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('renditions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('asset_id', 'text')
    .addColumn('record', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('live_broadcasts_stream_idx')
    .on('live_broadcasts')
    .columns(['live_stream_id', 'started_at'])
    .execute();

  await db.schema
    .createTable('live_segments')
    .addColumn('broadcast_id', 'text', (c) => c.notNull())
    .addColumn('rendition', 'text', (c) => c.notNull())
    .addColumn('msn', 'integer', (c) => c.notNull())
    .addColumn('duration', 'double precision', (c) => c.notNull())
    .addColumn('program_date_time', 'text', (c) => c.notNull())
    .addColumn('discontinuity', 'integer', (c) => c.notNull())
    .addColumn('init_id', 'integer', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('live_segments_pk', ['broadcast_id', 'rendition', 'msn'])
    .execute();

  await db.schema
    .createTable('live_nodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('internal_url', 'text', (c) => c.notNull())
    .addColumn('rtmp_port', 'integer', (c) => c.notNull())
    .addColumn('streams', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_streams', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .execute();
}
