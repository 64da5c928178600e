import type { Kysely } from 'kysely';

// Objects imported from the bucket's imports/ (drop-ins and image batches): one row per object
// version. The primary key on (object_key, etag) is what makes "each object becomes exactly one
// asset" hold when a notification, a scan and a batch on different nodes race for it: the
// transaction that creates the asset inserts this row, and only one of them can.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('imported_objects')
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text', (c) => c.notNull())
    // hook | scan | batch
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('imported_objects_pk', ['object_key', 'etag'])
    .execute();
}
