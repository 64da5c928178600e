import type { Kysely } from 'kysely';

// Backups, the trash and storage lifecycle (docs/operations.md).
// - `backups`: one row per backup run (the CLI's or the schedule's), with what it wrote and
//   whether its verification passed. The purge of the trash reads it: an asset's objects go only
//   after a backup that began after the asset was deleted has succeeded.
// - Assets gain the trash (`deleted_at`: hidden and unplayable, restorable until purged) and
//   what the lifecycle rules need: when a player last asked for the asset, when its original
//   was dropped, and which tier its objects are on.
// Times are ISO-8601 UTC text, as on the rest of `assets`.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // 'cli' | 'schedule'
    .addColumn('trigger', 'text', (c) => c.notNull())
    // Where it was written, without credentials (a folder, or s3://bucket/prefix?endpoint=…).
    .addColumn('target', 'text', (c) => c.notNull())
    // 'running' | 'succeeded' | 'failed'
    .addColumn('status', 'text', (c) => c.notNull())
    // 'all' | 'none' (objects left to the provider's replication)
    .addColumn('objects_mode', 'text', (c) => c.notNull())
    .addColumn('secrets_included', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('node', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    // The moment the database snapshot was taken: everything committed before it is in the backup.
    .addColumn('snapshot_at', 'text')
    .addColumn('finished_at', 'text')
    // A running backup renews it; one whose heartbeat is old died with its process.
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .addColumn('database_bytes', 'bigint')
    // Bytes this backup added to the target (database files + objects copied for the first time).
    .addColumn('size_bytes', 'bigint')
    .addColumn('objects_total', 'integer')
    .addColumn('objects_bytes', 'bigint')
    .addColumn('objects_copied', 'integer')
    // 'passed' | 'failed' once verified; its problems (JSON array of strings, at most 100).
    .addColumn('verification', 'text')
    .addColumn('verification_problems', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .execute();
  await db.schema.createIndex('backups_started_idx').on('backups').columns(['started_at', 'id']).execute();

  await db.schema.alterTable('assets').addColumn('deleted_at', 'text').execute();
  await db.schema.alterTable('assets').addColumn('deleted_by', 'text').execute();
  // Set when a player asks for the asset's master playlist (at most once an hour per asset).
  await db.schema.alterTable('assets').addColumn('last_viewed_at', 'text').execute();
  await db.schema.alterTable('assets').addColumn('source_dropped_at', 'text').execute();
  // 'hot' | 'cold': cold objects are on the colder storage class or in the second store.
  await db.schema
    .alterTable('assets')
    .addColumn('storage_tier', 'text', (c) => c.notNull().defaultTo('hot'))
    .execute();
  await db.schema.alterTable('assets').addColumn('tiered_at', 'text').execute();
  await db.schema.createIndex('assets_deleted_idx').on('assets').column('deleted_at').execute();
}
