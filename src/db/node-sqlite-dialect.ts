import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { type SqliteDatabase, SqliteDialect, type SqliteStatement } from 'kysely';

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

export function openSqlite(path: string): { dialect: SqliteDialect; raw: DatabaseSync } {
  const raw = new DatabaseSync(path);
  // WAL lets readers work while a writer commits; the busy timeout lets a second process
  // (for example `framehouse migrate` next to a running server) wait instead of failing.
  raw.exec(
    'PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;',
  );
  const database: SqliteDatabase = {
    close: () => raw.close(),
    prepare: (sql: string) => new NodeSqliteStatement(raw.prepare(sql)),
  };
  return { dialect: new SqliteDialect({ database }), raw };
}
