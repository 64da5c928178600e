import type { Kysely } from 'kysely';

// MP4 downloads: what each asset wants (`mp4_support`, also carried by a tus upload until it
// becomes an asset) and the downloads made for it, one row per file, with the object it lives in.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('assets')
    .addColumn('mp4_support', 'text', (c) => c.notNull().defaultTo('none'))
    .execute();
  await db.schema.alterTable('uploads').addColumn('mp4_support', 'text').execute();
  await db.schema
    .createTable('asset_downloads')
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('rendition', 'text')
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint')
    .addColumn('object_key', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('asset_downloads_pk', ['asset_id', 'name'])
    .execute();
}
