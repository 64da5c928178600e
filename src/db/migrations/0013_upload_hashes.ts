import type { Kysely } from 'kysely';

// An upload's SHA-256 is carried across its requests (and nodes, and crashes) as a saved hash
// state, so its asset has a checksum as soon as the last byte is in.
//
// Local staging: the state of the bytes staged so far, kept with the upload. S3 staging: the
// state after each part, kept with that part in the ledger, so it always describes exactly
// the parts S3 holds. Null where an upload began before this migration: its bytes are read
// back once instead.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('hash_state', 'text').execute();
  await db.schema.alterTable('uploads').addColumn('hash_bytes', 'bigint').execute();
  await db.schema.alterTable('upload_parts').addColumn('hash_state', 'text').execute();
  await db.schema.alterTable('upload_parts').addColumn('hash_bytes', 'bigint').execute();
}
