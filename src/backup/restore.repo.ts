import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Manifest } from './manifest.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The restore's changes after loading rows (docs/operations.md, restore steps 4 and 6), each
 * returning how many rows it touched so the restore can say what it did.
 */

/** Every signing key gets retired: their secrets are new random values, useless for old tokens. */
export async function retireSigningKeys(db: Executor, at: string): Promise<number> {
  const r = await db
    .updateTable('playback_signing_keys')
    .set({ retired_at: at })
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Two-factor enrolments without their secrets are removed, and their users marked as not enrolled. */
export async function removeTwoFactor(db: Executor): Promise<number> {
  // better-auth's table: not in our schema types.
  const r = await (db as unknown as Kysely<{ two_factors: { id: string } }>)
    .deleteFrom('two_factors')
    .executeTakeFirst();
  await db
    .updateTable('users')
    .set({ twoFactorEnabled: false })
    .where('twoFactorEnabled', '=', true)
    .execute();
  return Number(r.numDeletedRows);
}

/**
 * The secret instance settings the backup did not carry (left empty by the load): without them,
 * they are made again at start. The outbox cursors came through and stay.
 */
export async function removeInstanceSettings(db: Executor): Promise<number> {
  const r = await db.deleteFrom('instance_settings').where('value', '=', '').executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function countRows(db: Executor, table: 'webhooks' | 'live_streams'): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * Uploads unfinished when the backup was taken: their bytes were staged outside the store, so
 * the restored rows point at nothing. Removed with their parts; their clients start again.
 */
export async function removeUnfinishedUploads(db: Executor): Promise<string[]> {
  const ids = (await db.selectFrom('uploads').select('id').where('completed_at', 'is', null).execute()).map(
    (r) => r.id,
  );
  for (let i = 0; i < ids.length; i += 500) {
    const some = ids.slice(i, i + 500);
    await db.deleteFrom('upload_parts').where('upload_id', 'in', some).execute();
    await db.deleteFrom('uploads').where('id', 'in', some).execute();
  }
  return ids;
}

/**
 * The backup restored was `running` in its own snapshot (its row is written before the snapshot
 * is taken): it finished, since it has a manifest, so its row says so.
 */
export async function markBackupFinished(db: Executor, id: string, m: Manifest): Promise<void> {
  await db
    .updateTable('backups')
    .set({
      status: 'succeeded',
      snapshot_at: m.snapshot_at,
      finished_at: m.finished_at,
      heartbeat_at: m.finished_at,
      objects_total: m.counts.objects,
      objects_bytes: m.counts.object_bytes,
      verification: 'passed',
      verification_problems: '[]',
    })
    .where('id', '=', id)
    .where('status', '=', 'running')
    .execute();
}
