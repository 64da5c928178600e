import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * What other features may ask about backups (the trash's purge, the storage page), without
 * reaching into the backup feature's repositories. See docs/operations.md.
 */

/** A running backup whose heartbeat is older than this died with its process. */
export const BACKUP_HEARTBEAT_STALE_MS = 60_000;

/** True when this installation uses backups: a row exists (any outcome). */
export async function backupsInUse(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('backups').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The snapshot time of the newest succeeded backup, or null when none has succeeded. */
export async function lastSucceededSnapshotAt(db: Executor): Promise<string | null> {
  const row = await db
    .selectFrom('backups')
    .select('snapshot_at')
    .where('status', '=', 'succeeded')
    .where('snapshot_at', 'is not', null)
    .orderBy('snapshot_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.snapshot_at ?? null;
}

/** True while a backup is running somewhere in the cluster (its heartbeat is fresh). */
export async function backupRunning(db: Executor, now = Date.now()): Promise<boolean> {
  const fresh = new Date(now - BACKUP_HEARTBEAT_STALE_MS).toISOString();
  const row = await db
    .selectFrom('backups')
    .select('id')
    .where('status', '=', 'running')
    .where('heartbeat_at', '>=', fresh)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
