import type { Kysely } from 'kysely';
import { autoIncrementPrimaryKey } from '../dialect-helpers.ts';

// Access control: API keys, the keys that sign playback tokens, and the audit trail.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // SHA-256 of the key: keys are 256 random bits, so a fast hash is safe and keeps lookups cheap.
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    // 1 for the key FRAMEHOUSE_ADMIN_API_KEY names: start-up keeps it in step with the variable.
    .addColumn('from_env', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();

  await db.schema
    .createTable('playback_signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'text')
    .execute();

  // Append-only: nothing updates or deletes these rows.
  await autoIncrementPrimaryKey(db, db.schema.createTable('audit_events'), 'seq')
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('credential', 'text')
    .addColumn('ip', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_events_action_idx')
    .on('audit_events')
    .columns(['action', 'seq'])
    .execute();
  await db.schema
    .createIndex('audit_events_target_idx')
    .on('audit_events')
    .columns(['target_id', 'seq'])
    .execute();

  // Who made an asset ("key:{id}"), for ownership rules.
  await db.schema.alterTable('assets').addColumn('created_by', 'text').execute();
  // The same for a resumable upload, whose asset is made by a later request.
  await db.schema.alterTable('uploads').addColumn('created_by', 'text').execute();
  await db.schema.alterTable('uploads').addColumn('created_ip', 'text').execute();
}
