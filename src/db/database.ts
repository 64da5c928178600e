import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Kysely, type Migration, type MigrationProvider, Migrator, PostgresDialect, sql } from 'kysely';
import type PgModule from 'pg';
import { dialectOf } from './dialect-helpers.ts';
import { migrations } from './migrations/index.ts';
import { openSqlite } from './node-sqlite-dialect.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//.test(url);

/** pg, loaded when a PostgreSQL database is opened: SQLite and commands with no database never pay for it. */
function loadPg(): typeof PgModule {
  const pg = createRequire(import.meta.url)('pg') as typeof PgModule;
  // PostgreSQL returns bigint (sizes, event sequence numbers) as strings to be safe beyond 2^53;
  // ours stay far below it, and every other part of the app expects numbers.
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  return pg;
}

/**
 * Where the database lives: `sqlite:/path/to/file.db` (embedded default) or `postgres://…`
 * (add `?options=-c%20search_path%3Dname` to use a schema other than `public`).
 */
export function openDatabase(url: string): Db {
  const path = sqlitePathOf(url);
  if (path !== null) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const { dialect } = openSqlite(path);
    return new Kysely<Database>({ dialect });
  }
  if (isPostgresUrl(url)) {
    const pg = loadPg();
    // A connection that cannot be made within 5 s fails (pg waits for ever by default: a database
    // behind a partition would hang every request); keep-alive, probing after 10 s of quiet, finds
    // half-open sockets. The limit is the client's, not the pool's: on the pool it would also bound
    // the wait for a free connection, and a busy pool would read as a database outage.
    class BoundedClient extends pg.Client {
      constructor(config?: ConstructorParameters<typeof pg.Client>[0]) {
        super({ ...(typeof config === 'object' ? config : {}), connectionTimeoutMillis: 5000 });
      }
    }
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      Client: BoundedClient,
    });
    // A connection the server ends (a restart, pg_terminate_backend, the idle limit on an event
    // writer's transaction) must not crash the process: the pool drops it, and the query that
    // would have used it fails with the error.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  throw new Error(
    `Unsupported DATABASE_URL scheme: ${url.split(':')[0]}: (use sqlite:/path/file.db or postgres://…)`,
  );
}

/** The file of a `sqlite:` URL (`sqlite:///x` as `sqlite:/x`); null for other URLs. */
export function sqlitePathOf(url: string): string | null {
  return url.startsWith('sqlite:') ? url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : null;
}

const isPostgresDb = (db: Db) => dialectOf(db as unknown as Kysely<unknown>) === 'postgres';

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

/** Runs every pending migration; returns the names applied now. Safe to run from several processes. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results } = await (await migratorFor(db)).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The migrations this version has that the database has not run yet, in order. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const all = await (await migratorFor(db)).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/**
 * Runs the migrations up to and including `name` (a restore brings an empty database to the
 * backup's migration before loading its rows, then to the latest).
 */
export async function migrateTo(db: Db, name: string): Promise<string[]> {
  const { error, results } = await (await migratorFor(db)).migrateTo(name);
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function migratorFor(db: Db): Promise<Migrator> {
  // On PostgreSQL, name the schema: Kysely otherwise looks for its bookkeeping tables in every
  // schema of the database, and another schema's tables (a second installation, a test run)
  // would make it skip creating its own.
  const schema = isPostgresDb(db)
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
    : undefined;
  return new Migrator({
    db,
    provider: new StaticMigrationProvider(),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/** Throws unless the database answers a trivial query (the readiness check). */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
