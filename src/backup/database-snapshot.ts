import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Kysely, sql } from 'kysely';
import { type Db, sqlitePathOf } from '../db/database.ts';
import { type DialectName, dialectOf } from '../db/dialect-helpers.ts';
import {
  dumpSelect,
  lastMigration,
  quoteIdent,
  type RunQuery,
  readCatalog,
  type TableInfo,
} from './table-catalog.ts';

/**
 * One consistent view of the whole database for a dump (docs/operations.md, "Consistency").
 * SQLite: `VACUUM INTO` a file in the scratch folder, then read through a read-only connection
 * to that file. PostgreSQL: one REPEATABLE READ READ ONLY transaction, tables read with cursors.
 * Along with table-catalog.ts, the one place with dialect-specific SQL for the dump.
 */
export interface DatabaseSnapshot {
  dialect: DialectName;
  /** Every table, in foreign-key order. */
  tables: TableInfo[];
  /** The last migration applied. */
  migration: string | null;
  count(table: TableInfo): Promise<number>;
  /** The table's rows, values in `table.columns` order, as the driver reads them. */
  rows(table: TableInfo): AsyncIterable<unknown[]>;
}

export async function withDatabaseSnapshot<T>(
  db: Db,
  opts: { databaseUrl: string; scratchDir: string },
  read: (snapshot: DatabaseSnapshot) => Promise<T>,
): Promise<T> {
  const dialect = dialectOf(db as unknown as Kysely<unknown>);
  if (dialect === 'postgres') return postgresSnapshot(db, read);
  const path = sqlitePathOf(opts.databaseUrl);
  if (path === null || path === ':memory:') throw new Error('A SQLite backup needs the database file');
  return sqliteSnapshot(path, opts.scratchDir, read);
}

/** Rows fetched a cursor step at a time: bounded memory whatever the table's size. */
const FETCH_ROWS = 1000;

async function postgresSnapshot<T>(db: Db, read: (s: DatabaseSnapshot) => Promise<T>): Promise<T> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const run: RunQuery = async (text) =>
        (await sql.raw(text).execute(trx)).rows as Record<string, unknown>[];
      const tables = await readCatalog(run, 'postgres');
      let cursors = 0;
      return read({
        dialect: 'postgres',
        tables,
        migration: await lastMigration(run),
        async count(table) {
          const rows = await run(`select count(*)::text as n from ${quoteIdent(table.name)}`);
          return Number(rows[0]?.n ?? 0);
        },
        async *rows(table) {
          const cursor = `fh_dump_${++cursors}`;
          await run(`declare ${cursor} no scroll cursor for ${dumpSelect(table, 'postgres')}`);
          const bigints = table.columns.map((c) => c.declared === 'bigint');
          try {
            for (;;) {
              const batch = await run(`fetch forward ${FETCH_ROWS} from ${cursor}`);
              for (const row of batch)
                yield table.columns.map((c, i) => {
                  const v = row[c.name];
                  return bigints[i] && typeof v === 'string' ? BigInt(v) : v;
                });
              if (batch.length < FETCH_ROWS) break;
            }
          } finally {
            await run(`close ${cursor}`);
          }
        },
      });
    });
}

async function sqliteSnapshot<T>(
  path: string,
  scratchDir: string,
  read: (s: DatabaseSnapshot) => Promise<T>,
): Promise<T> {
  const dir = await scratchFolder(scratchDir);
  const file = join(dir, 'snapshot.db');
  try {
    await vacuumInto(path, file);
    const snap = new DatabaseSync(file, { readOnly: true });
    try {
      const run: RunQuery = async (text) => snap.prepare(text).all() as Record<string, unknown>[];
      const tables = await readCatalog(run, 'sqlite');
      return await read({
        dialect: 'sqlite',
        tables,
        migration: await lastMigration(run),
        async count(table) {
          const row = snap.prepare(`select count(*) as n from ${quoteIdent(table.name)}`).get() as {
            n: number;
          };
          return row.n;
        },
        async *rows(table) {
          const stmt = snap.prepare(dumpSelect(table, 'sqlite'));
          stmt.setReadBigInts(true);
          stmt.setReturnArrays(true);
          for (const row of stmt.iterate()) yield row as unknown as unknown[];
        },
      });
    } finally {
      snap.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A private folder in the data directory (the snapshot is as large as the database), else the OS's. */
async function scratchFolder(scratchDir: string): Promise<string> {
  try {
    await mkdir(scratchDir, { recursive: true });
    await removeStaleScratch(scratchDir);
    return await mkdtemp(join(scratchDir, '.backup-'));
  } catch {
    return mkdtemp(join(tmpdir(), 'framehouse-backup-'));
  }
}

/** Snapshots left by a backup that died (a day old: never one that is running). */
async function removeStaleScratch(scratchDir: string): Promise<void> {
  const dayAgo = Date.now() - 24 * 3_600_000;
  for (const name of await readdir(scratchDir)) {
    if (!name.startsWith('.backup-')) continue;
    const info = await stat(join(scratchDir, name)).catch(() => null);
    if (info && info.mtimeMs < dayAgo) await rm(join(scratchDir, name), { recursive: true, force: true });
  }
}

const THREAD = new URL(`./sqlite-snapshot-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

function vacuumInto(source: string, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(THREAD, { workerData: { source, target } });
    worker.once('message', (m: { ok?: true; error?: string }) => {
      if (m.error) reject(new Error(`VACUUM INTO: ${m.error}`));
      else resolve();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`VACUUM INTO: the thread stopped (${code})`));
    });
  });
}
