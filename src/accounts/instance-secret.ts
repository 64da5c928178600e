import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';

/**
 * A secret every node must share (for example the one signing session cookies). Made once, at
 * the first start, and kept in the database; a configured value wins.
 */
export async function sharedSecret(db: Db, key: string, configured?: string): Promise<string> {
  if (configured) return configured;
  await db
    .insertInto('instance_settings')
    .values({ key, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('instance_settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return row.value;
}
