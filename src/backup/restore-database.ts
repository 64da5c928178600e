import { rm } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';
import { type Db, migrateToLatest, openDatabase, sqlitePathOf } from '../db/database.ts';
import { type DialectName, dialectOf } from '../db/dialect-helpers.ts';
import { MIGRATION_TABLES, quoteIdent, type RunQuery, readCatalog, type TableInfo } from './table-catalog.ts';

/**
 * The database side of a restore that differs between SQLite and PostgreSQL: emptying it and
 * setting sequences. With table-catalog.ts and database-snapshot.ts, the only dialect-specific
 * SQL of the feature.
 */
export const dialectOfDb = (db: Db): DialectName => dialectOf(db as unknown as Kysely<unknown>);

export const runOn =
  (db: Kysely<unknown> | Db): RunQuery =>
  async (text) =>
    (await sql.raw(text).execute(db as Kysely<unknown>)).rows as Record<string, unknown>[];

/** The tables a restore reads the live schema of (after migrating to the backup's migration). */
export function targetCatalog(db: Db): Promise<TableInfo[]> {
  return readCatalog(runOn(db), dialectOfDb(db));
}

/**
 * What makes a database "not empty" for a restore (docs/operations.md, step 2): a row in assets,
 * users, live_streams, webhooks or api_keys (other than the key FRAMEHOUSE_ADMIN_API_KEY made).
 * A database without our tables is empty.
 */
export async function databaseContents(db: Db): Promise<string[]> {
  const checks: Array<[string, string]> = [
    ['assets', 'select 1 as x from assets limit 1'],
    ['users', 'select 1 as x from users limit 1'],
    ['live_streams', 'select 1 as x from live_streams limit 1'],
    ['webhooks', 'select 1 as x from webhooks limit 1'],
    ['api_keys', 'select 1 as x from api_keys where from_env = 0 limit 1'],
  ];
  const found: string[] = [];
  const tables = new Set((await targetCatalog(db)).map((t) => t.name));
  for (const [table, query] of checks) {
    if (!tables.has(table)) continue;
    if ((await runOn(db)(query)).length > 0) found.push(table);
  }
  return found;
}

/** A process that beat within this long may still be running (worker and live nodes beat every 10 s). */
const PROCESS_ALIVE_MS = 30_000;

/**
 * Worker and live processes that still beat against this database: a restore under them would
 * have them write into the tables being replaced, or run the restored jobs before the objects are
 * back. (A process that stops cleanly removes its row at once.)
 */
export async function runningProcesses(db: Db, now = Date.now()): Promise<string[]> {
  const tables = new Set((await targetCatalog(db)).map((t) => t.name));
  const since = new Date(now - PROCESS_ALIVE_MS).toISOString();
  const found: string[] = [];
  for (const table of ['worker_nodes', 'live_nodes'] as const) {
    if (!tables.has(table)) continue;
    const rows = await db.selectFrom(table).select('host').where('last_seen_at', '>', since).execute();
    found.push(...rows.map((r) => `${table === 'live_nodes' ? 'live node' : 'worker'} on ${r.host}`));
  }
  return found;
}

let ourTables: Promise<string[]> | null = null;

/**
 * The tables our migrations make, found by running them on an in-memory SQLite database (a
 * list kept by hand would miss the next migration's tables), with Kysely's own.
 */
export function tablesOfOurMigrations(): Promise<string[]> {
  ourTables ??= (async () => {
    const scratch = openDatabase('sqlite::memory:');
    try {
      await migrateToLatest(scratch);
      return [...(await targetCatalog(scratch)).map((t) => t.name), ...MIGRATION_TABLES];
    } finally {
      await scratch.destroy();
    }
  })();
  return ourTables;
}

/**
 * An empty database at `url`, ready to migrate: SQLite's file (and its WAL) removed and made
 * again; on PostgreSQL, every table of ours dropped from the current schema (other schemas and
 * tables that are not ours are left alone). `db` is closed; the returned one replaces it.
 */
export async function emptyDatabase(db: Db, url: string): Promise<Db> {
  const path = sqlitePathOf(url);
  if (path !== null) {
    await db.destroy();
    if (path !== ':memory:')
      for (const suffix of ['', '-wal', '-shm']) await rm(`${path}${suffix}`, { force: true });
    return openDatabase(url);
  }
  const schema = (await runOn(db)('select current_schema() as s'))[0]?.s as string;
  const names = await tablesOfOurMigrations();
  await db.transaction().execute(async (trx) => {
    for (const t of names)
      await sql.raw(`drop table if exists ${quoteIdent(schema)}.${quoteIdent(t)} cascade`).execute(trx);
  });
  return db;
}

/**
 * PostgreSQL's sequences follow explicit ids only when told: each serial column's sequence is
 * set past the largest id loaded. (SQLite's AUTOINCREMENT keeps up by itself.)
 */
export async function resetSequences(db: Kysely<unknown>, tables: TableInfo[]): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  for (const t of tables)
    for (const c of t.columns.filter((col) => col.serial)) {
      const table = quoteIdent(t.name);
      const column = quoteIdent(c.name);
      await sql
        .raw(
          `select setval(pg_get_serial_sequence('${table.replaceAll("'", "''")}', '${c.name.replaceAll("'", "''")}'), coalesce(max(${column}), 0) + 1, false) from ${table}`,
        )
        .execute(db);
    }
}
