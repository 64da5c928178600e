import type { Kysely } from 'kysely';

// Usage metering and quotas (docs/usage.md).
// - `usage_records`: counters added up per hour, owner, subject (an asset or a live stream),
//   metric and dimension (resolution class, storage category, delivery path). Every process adds
//   to them with an upsert (value = value + excluded.value), so any number of api, worker and live
//   processes can meter the same subject without coordination.
// - `usage_storage`: what each asset holds in the store per category at the last walk, the level
//   the next walk integrates over time, and what storage quotas are checked against.
// - `usage_edge_reports`: the ids of edge reports already counted (an edge retries a report whose
//   answer it lost; the second copy must not count twice).
// - `quotas`: limits per user (`user:{id}`) or role (`role:{admin|editor|viewer}`); null: no limit
//   (a user's null inherits the role's).
// - `usage_notices`: the 80 % / 100 % notices sent, once per owner, quota, period and level.
// Times are ISO-8601 UTC text; hour buckets are the hour's start (`2026-12-03T07:00:00.000Z`).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('usage_records')
    .addColumn('bucket', 'text', (c) => c.notNull())
    // Who is billed: the asset's or stream's `created_by` (`user:{id}`, `key:{id}`, `open-mode`).
    .addColumn('owner', 'text', (c) => c.notNull())
    // 'asset' | 'live_stream'
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    // 'encoding_seconds' | 'stored_byte_seconds' | 'delivered_bytes' | 'delivered_seconds' | 'live_input_seconds'
    .addColumn('metric', 'text', (c) => c.notNull())
    // encoding: audio|sd|hd|fhd|uhd; storage: source|renditions|images|downloads|captions|live;
    // delivery: origin|edge; live input: '' (one dimension).
    .addColumn('dimension', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_records_pk', [
      'bucket',
      'owner',
      'subject_kind',
      'subject_id',
      'metric',
      'dimension',
    ])
    .execute();
  // Per owner over a time range (quotas, group_by=user).
  await db.schema
    .createIndex('usage_records_owner_idx')
    .on('usage_records')
    .columns(['owner', 'metric', 'bucket'])
    .execute();

  await db.schema
    .createTable('usage_storage')
    .addColumn('asset_id', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('objects', 'integer', (c) => c.notNull())
    .addColumn('sampled_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_storage_pk', ['asset_id', 'category'])
    .execute();
  await db.schema.createIndex('usage_storage_owner_idx').on('usage_storage').column('owner').execute();

  await db.schema
    .createTable('usage_edge_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('edge', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('quotas')
    // `user:{id}` or `role:{admin|editor|viewer}`
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('storage_bytes', 'bigint')
    .addColumn('encoding_minutes_per_month', 'double precision')
    .addColumn('live_streams', 'integer')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();

  await db.schema
    .createTable('usage_notices')
    .addColumn('owner', 'text', (c) => c.notNull())
    // 'storage_bytes' | 'encoding_minutes_per_month' | 'live_streams'
    .addColumn('quota', 'text', (c) => c.notNull())
    // The month (`2026-12`) for encoding minutes; `current` for storage and live streams (the row
    // is deleted when usage falls back under 80 %, so a later crossing is told again).
    .addColumn('period', 'text', (c) => c.notNull())
    // 80 | 100
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('sent_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_notices_pk', ['owner', 'quota', 'period', 'level'])
    .execute();
}
