import type { Kysely } from 'kysely';

/**
 * The language an account reads: 'en' or 'ko', or NULL for "not chosen" (the web app then
 * follows the browser's Accept-Language, and mail goes out in English). Set through
 * `POST /v1/auth/update-user { locale }`; e-mails to the account are written in it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('locale', 'text').execute();
}
