import type { Kysely } from 'kysely';

// Resumable uploads shared by every api node.
//
// The parts of an upload staged on S3, recorded as each one is stored. Every api node
// reads the same ledger, so an upload begun on one node resumes on another; it also spares a
// ListParts request on every PATCH and HEAD (and works on S3 peers that do not implement it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('upload_parts')
    .addColumn('upload_id', 'text', (c) => c.notNull())
    .addColumn('part_number', 'integer', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('upload_parts_pk', ['upload_id', 'part_number'])
    .execute();

  // Set once an upload's staged copy is removed, so the hourly sweep does not revisit it.
  await db.schema.alterTable('uploads').addColumn('staging_cleared_at', 'text').execute();

  // Which api process is writing to an upload right now (tus allows one request at a time),
  // visible to every node; an expired lease is free again.
  await db.schema
    .createTable('upload_locks')
    .addColumn('upload_id', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('release_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
