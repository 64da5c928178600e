import { type Kysely, sql } from 'kysely';
import { autoIncrementPrimaryKey } from '../dialect-helpers.ts';

// Portable DDL: the Kysely schema builder with types both SQLite and PostgreSQL accept.
// Forward-only: a released migration is never edited, a new one is added instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('assets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('kind', 'text')
    .addColumn('title', 'text')
    .addColumn('source_key', 'text', (c) => c.notNull())
    .addColumn('source_filename', 'text')
    .addColumn('source_size', 'bigint')
    .addColumn('source_sha256', 'text')
    .addColumn('duration', 'double precision')
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('is_360', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('progress', 'double precision')
    .addColumn('media_info', 'text')
    .addColumn('errors', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // Cursor pagination walks (created_at, id) newest first.
  await db.schema.createIndex('assets_created_idx').on('assets').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('renditions')
    .addColumn('asset_id', 'text', (c) => c.notNull().references('assets.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('bandwidth', 'integer', (c) => c.notNull())
    .addColumn('average_bandwidth', 'integer')
    .addColumn('codecs', 'text', (c) => c.notNull())
    .addColumn('frame_rate', 'double precision')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('renditions_pk', ['asset_id', 'name'])
    .execute();

  await db.schema
    .createTable('playback_ids')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('asset_id', 'text', (c) => c.notNull().references('assets.id').onDelete('cascade'))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('playback_ids_asset_idx').on('playback_ids').column('asset_id').execute();

  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('asset_id', 'text')
    .addColumn('filename', 'text')
    .addColumn('title', 'text')
    .addColumn('length', 'bigint')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('dedupe_key', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  // The claim query scans visible jobs of some types in priority order.
  await db.schema
    .createIndex('jobs_claim_idx')
    .on('jobs')
    .columns(['state', 'type', 'priority', 'run_at'])
    .execute();
  // A dedupe key is unique among jobs that are still pending or running (partial index: both dialects).
  await db.schema
    .createIndex('jobs_dedupe_idx')
    .on('jobs')
    .column('dedupe_key')
    .unique()
    .where(sql.ref('state'), 'in', ['queued', 'running'])
    .execute();

  await autoIncrementPrimaryKey(db, db.schema.createTable('events'), 'seq')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_asset_idx').on('events').columns(['asset_id', 'seq']).execute();
}
