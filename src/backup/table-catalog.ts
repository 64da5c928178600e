import type { DialectName } from '../db/dialect-helpers.ts';
import { type ColumnKind, columnKind } from './value-codec.ts';

/**
 * The tables of a live schema, read from the database itself rather than a list kept by hand
 * (which would miss the next migration's table). One of the two places with dialect-specific
 * SQL (the other is database-snapshot.ts): SQLite's pragmas and PostgreSQL's catalogs describe
 * the same things in different ways.
 */
export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  /** As the database names it (`bigint`, `timestamp with time zone`, SQLite's declared type). */
  declared: string;
  /** Filled by the database when left out (PostgreSQL serial / SQLite autoincrement). */
  serial: boolean;
}

export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  primaryKey: string[];
  /** Tables this one's foreign keys point at (itself excluded). */
  references: string[];
}

/** Runs one SQL text, returns its rows as objects. */
export type RunQuery = (text: string) => Promise<Record<string, unknown>[]>;

/** Kysely's bookkeeping: the target makes its own when migrated. */
export const MIGRATION_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

/**
 * Rows that only mean something to the processes running now (docs/operations.md, "Left out"):
 * a restored cluster registers its own nodes, locks and presence.
 */
export const RUNTIME_TABLES = new Set(['worker_nodes', 'live_nodes', 'upload_locks', 'live_room_presence']);

export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Every table of the current schema (PostgreSQL) or file (SQLite), in foreign-key order. */
export async function readCatalog(run: RunQuery, dialect: DialectName): Promise<TableInfo[]> {
  const tables = dialect === 'sqlite' ? await sqliteTables(run) : await postgresTables(run);
  return inForeignKeyOrder(tables);
}

async function sqliteTables(run: RunQuery): Promise<TableInfo[]> {
  const names = await run(
    "select name, sql from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
  );
  const out: TableInfo[] = [];
  for (const { name, sql } of names as { name: string; sql: string }[]) {
    const cols = (await run(`pragma table_info(${quoteIdent(name)})`)) as {
      name: string;
      type: string;
      pk: number;
    }[];
    const fks = (await run(`pragma foreign_key_list(${quoteIdent(name)})`)) as { table: string }[];
    const autoIncrement = /\bautoincrement\b/i.test(sql);
    const pk = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    out.push({
      name,
      columns: cols.map((c) => ({
        name: c.name,
        kind: columnKind(c.type, 'sqlite'),
        declared: c.type.toLowerCase(),
        serial: autoIncrement && pk.length === 1 && pk[0]?.name === c.name,
      })),
      primaryKey: pk.map((c) => c.name),
      references: [...new Set(fks.map((f) => f.table))].filter((t) => t !== name),
    });
  }
  return out;
}

async function postgresTables(run: RunQuery): Promise<TableInfo[]> {
  const cols = (await run(
    `select c.table_name, c.column_name, c.data_type, coalesce(c.column_default, '') like 'nextval(%' as serial
       from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      order by c.table_name, c.ordinal_position`,
  )) as { table_name: string; column_name: string; data_type: string; serial: boolean }[];
  const pks = (await run(
    `select cl.relname as table_name, a.attname as column_name
       from pg_constraint con
       join pg_class cl on cl.oid = con.conrelid
       join pg_namespace ns on ns.oid = cl.relnamespace
       join unnest(con.conkey) with ordinality as k(attnum, pos) on true
       join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
      where con.contype = 'p' and ns.nspname = current_schema()
      order by cl.relname, k.pos`,
  )) as { table_name: string; column_name: string }[];
  const fks = (await run(
    `select cl.relname as table_name, ref.relname as referenced
       from pg_constraint con
       join pg_class cl on cl.oid = con.conrelid
       join pg_class ref on ref.oid = con.confrelid
       join pg_namespace ns on ns.oid = cl.relnamespace
      where con.contype = 'f' and ns.nspname = current_schema()`,
  )) as { table_name: string; referenced: string }[];
  const byName = new Map<string, TableInfo>();
  for (const c of cols) {
    let t = byName.get(c.table_name);
    if (!t) {
      t = { name: c.table_name, columns: [], primaryKey: [], references: [] };
      byName.set(c.table_name, t);
    }
    t.columns.push({
      name: c.column_name,
      kind: columnKind(c.data_type, 'postgres'),
      declared: c.data_type,
      serial: c.serial,
    });
  }
  for (const p of pks) byName.get(p.table_name)?.primaryKey.push(p.column_name);
  for (const f of fks) {
    const t = byName.get(f.table_name);
    if (t && f.referenced !== t.name && !t.references.includes(f.referenced)) t.references.push(f.referenced);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Referenced tables first (a stable order otherwise: by name). Cycles, which ours lack, fail loudly. */
export function inForeignKeyOrder(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: TableInfo[] = [];
  const visit = (t: TableInfo) => {
    if (done.has(t.name)) return;
    if (visiting.has(t.name)) throw new Error(`Foreign keys form a cycle through ${t.name}`);
    visiting.add(t.name);
    for (const r of t.references) {
      const ref = byName.get(r);
      if (ref) visit(ref);
    }
    visiting.delete(t.name);
    done.add(t.name);
    out.push(t);
  };
  for (const t of tables) visit(t);
  return out;
}

/** The tables a backup holds: every table but the runtime ones and the migration bookkeeping. */
export const isBackedUp = (table: string): boolean =>
  !MIGRATION_TABLES.has(table) && !RUNTIME_TABLES.has(table);

/** The last migration applied, read from Kysely's bookkeeping table. */
export async function lastMigration(run: RunQuery): Promise<string | null> {
  const rows = await run('select name from kysely_migration order by name desc limit 1');
  return (rows[0]?.name as string | undefined) ?? null;
}

/**
 * The query a dump reads a table with. PostgreSQL bigints come as text: this app's pg parser
 * turns them into JS numbers (database.ts), which would lose digits past 2^53.
 */
export function dumpSelect(table: TableInfo, dialect: DialectName): string {
  const cols = table.columns.map((c) => {
    const q = quoteIdent(c.name);
    return dialect === 'postgres' && c.declared === 'bigint' ? `${q}::text as ${q}` : q;
  });
  return `select ${cols.join(', ')} from ${quoteIdent(table.name)}`;
}
