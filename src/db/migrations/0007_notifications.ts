import type { Kysely } from 'kysely';
import { booleanType } from '../dialect-helpers.ts';

// Per-user e-mail opt-out (better-auth additional field, so a user can change it on
// /v1/auth/update-user).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('notifyByEmail', booleanType(db)).execute();
}
