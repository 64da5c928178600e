import { type CreateTableBuilder, type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * The few places where SQLite and PostgreSQL need different SQL live here, and nowhere else.
 */
export type DialectName = 'sqlite' | 'postgres';

export function dialectOf(db: Kysely<unknown>): DialectName {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres';
}

/** An auto-incrementing integer primary key: `integer primary key autoincrement` / `bigserial`. */
export function autoIncrementPrimaryKey<T extends string>(
  db: Kysely<unknown>,
  builder: CreateTableBuilder<T, never>,
  column: string,
): CreateTableBuilder<T, string> {
  if (dialectOf(db) === 'sqlite') {
    return builder.addColumn(column, 'integer', (c) => c.primaryKey().autoIncrement());
  }
  return builder.addColumn(column, sql`bigserial`, (c) => c.primaryKey());
}

/** A point in time as better-auth stores it: `date` affinity on SQLite, `timestamptz` on PostgreSQL. */
export function timestampType(db: Kysely<unknown>) {
  return dialectOf(db) === 'sqlite' ? sql`date` : sql`timestamptz`;
}

/** A boolean: `integer` 0/1 on SQLite, `boolean` on PostgreSQL. */
export function booleanType(db: Kysely<unknown>) {
  return dialectOf(db) === 'sqlite' ? sql`integer` : sql`boolean`;
}
