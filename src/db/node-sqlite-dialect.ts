import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type SqliteStatement,
} from 'kysely';

/**
 * Prepared statements kept per SQL text. Preparing costs more than running a small indexed
 * query (a quarter of the CPU of `GET /v1/assets/{id}` went to it), and the app sends a few
 * hundred distinct statements at most: kept, most recently used first, up to this many.
 */
const STATEMENT_CACHE_SIZE = 500;
/** How long a statement waits for another process's write lock before failing (SQLITE_BUSY). */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Kysely's SQLite dialect speaks the better-sqlite3 interface. `node:sqlite` (built into
 * Node 24) is close to it but takes spread parameters and has no `reader` flag, so this thin
 * wrapper bridges the two. Written by hand because it is a dozen lines and avoids a native addon.
 */
class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  readonly #stmt: StatementSync;

  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    // A statement returns rows when it has result columns (SELECT, or anything with RETURNING).
    this.reader = stmt.columns().length > 0;
  }

  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.#stmt.all(...toSqlite(parameters));
  }

  run(parameters: ReadonlyArray<unknown>) {
    const r = this.#stmt.run(...toSqlite(parameters));
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }

  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.#stmt.iterate(...toSqlite(parameters)) as IterableIterator<unknown>;
  }
}

function toSqlite(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((p) => {
    if (typeof p === 'boolean') return p ? 1 : 0;
    if (p === undefined) return null;
    if (p instanceof Date) return p.toISOString();
    return p as SQLInputValue;
  });
}

/**
 * Transactions take the write lock when they begin (`BEGIN IMMEDIATE`). In one process nothing
 * changes (Kysely runs one query at a time on the one connection); across processes (the HTTP
 * siblings of `serve`, `framehouse migrate` beside a server) a deferred transaction that read
 * first and wrote second could fail at once with SQLITE_BUSY when another process had written
 * in between, without the busy timeout ever waiting. Taking the lock first makes it wait instead.
 */
class ImmediateTransactionsDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class NodeSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionsDriver(this.#config);
  }
}

export function openSqlite(path: string): { dialect: SqliteDialect; raw: DatabaseSync } {
  const raw = new DatabaseSync(path);
  // WAL lets readers work while a writer commits; the busy timeout lets a second process
  // (for example `framehouse migrate` next to a running server) wait instead of failing.
  raw.exec(
    `PRAGMA journal_mode = WAL; PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;`,
  );
  // Kysely runs one query at a time on this connection, so a cached statement is never in use
  // twice at once (a streamed `iterate` holds the connection until it is done).
  const statements = new Map<string, NodeSqliteStatement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (statement) {
      statements.delete(sql); // re-inserted below: Map order is recency
    } else {
      statement = new NodeSqliteStatement(raw.prepare(sql));
      if (statements.size >= STATEMENT_CACHE_SIZE)
        statements.delete(statements.keys().next().value as string);
    }
    statements.set(sql, statement);
    return statement;
  };
  const database: SqliteDatabase = {
    close: () => {
      statements.clear();
      raw.close();
    },
    prepare,
  };
  return { dialect: new NodeSqliteDialect({ database }), raw };
}
