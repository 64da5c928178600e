import type { Kysely } from 'kysely';

// Subtitle and caption tracks of an asset (HLS subtitle renditions). The WebVTT itself is in the
// object store; the row says what the master playlist lists. Deleting the asset deletes them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('asset_tracks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('asset_id', 'text', (c) => c.notNull().references('assets.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source_format', 'text', (c) => c.notNull())
    .addColumn('cue_count', 'integer', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // Players list tracks by name: one name once per asset (HLS requires it within a group).
  await db.schema
    .createIndex('asset_tracks_name')
    .on('asset_tracks')
    .columns(['asset_id', 'name'])
    .unique()
    .execute();
}
