import { type Kysely, sql } from 'kysely';
import { dialectOf } from './dialect-helpers.ts';

/**
 * Runs several reads on one consistent snapshot of the database, without taking a write lock:
 * PostgreSQL, a read-only REPEATABLE READ transaction; SQLite, a deferred transaction on the
 * connection held for the duration (in WAL mode its first read fixes the snapshot, and other
 * processes' writers go on). The app's SQLite transactions begin IMMEDIATE, which would queue
 * every reader behind writers, hence this.
 */
export function inReadSnapshot<DB, T>(db: Kysely<DB>, read: (db: Kysely<DB>) => Promise<T>): Promise<T> {
  if (dialectOf(db as unknown as Kysely<unknown>) === 'postgres')
    return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read);
  return db.connection().execute(async (conn) => {
    await sql`begin deferred`.execute(conn);
    try {
      const result = await read(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw err;
    }
  });
}
