import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { newId } from '../shared/ids.ts';
import { type Db, isPostgresUrl, migrateToLatest, openDatabase } from './database.ts';

/**
 * Test support: every contract suite runs against each database the machine offers — SQLite
 * always, PostgreSQL when DATABASE_URL points at one (each test gets its own schema, dropped
 * afterwards). Where PostgreSQL is absent the suites say so as skipped tests, never silently.
 */
export type TestDialect = 'sqlite' | 'postgres';

export const POSTGRES_URL = isPostgresUrl(process.env.DATABASE_URL ?? '')
  ? (process.env.DATABASE_URL as string)
  : null;

/** Skip reason for PostgreSQL suites on a machine without it, else false. */
export const postgresSkip = (dialect: TestDialect): string | false =>
  dialect === 'postgres' && !POSTGRES_URL
    ? 'PostgreSQL not available: set DATABASE_URL=postgres://… to run'
    : false;

export const TEST_DIALECTS: TestDialect[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  db: Db;
  /** A URL any process can open to reach the same data. */
  url: string;
  /** Another Kysely instance (own connections) on the same data, closed by `close`. */
  connect(): Db;
  close(): Promise<void>;
}

export async function openTestDatabase(dialect: TestDialect = 'sqlite'): Promise<TestDatabase> {
  let url: string;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'framehouse-db-'));
    url = `sqlite:${join(dir, 'test.db')}`;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    if (!POSTGRES_URL) throw new Error('DATABASE_URL is not a postgres:// URL');
    const schema = `fh_test_${newId(12)}`;
    const admin = openDatabase(POSTGRES_URL);
    await sql`create schema ${sql.id(schema)}`.execute(admin);
    const separator = POSTGRES_URL.includes('?') ? '&' : '?';
    url = `${POSTGRES_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    cleanup = async () => {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(admin);
      await admin.destroy();
    };
  }
  const db = openDatabase(url);
  await migrateToLatest(db);
  const extra: Db[] = [];
  return {
    db,
    url,
    connect() {
      const other = openDatabase(url);
      extra.push(other);
      return other;
    },
    async close() {
      for (const other of extra) await other.destroy();
      await db.destroy();
      await cleanup();
    },
  };
}
