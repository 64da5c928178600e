import type { Kysely } from 'kysely';

// Image presets (named recipes beside the built-in ones) and batches: one row per batch with
// its counters, one per item. Counters move in the same transaction as the item they count.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('image_presets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('recipe', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('image_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('presets', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createTable('image_batch_items')
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('outputs', 'text')
    .addColumn('finished_at', 'text')
    .addPrimaryKeyConstraint('image_batch_items_pk', ['batch_id', 'asset_id'])
    .execute();
  await db.schema
    .createIndex('image_batch_items_failed')
    .on('image_batch_items')
    .columns(['batch_id', 'status'])
    .execute();
}
