import type { Kysely } from 'kysely';
import type { DialectName } from '../db/dialect-helpers.ts';
import type { ColumnInfo, TableInfo } from './table-catalog.ts';
import { type DumpValue, decodeValue } from './value-codec.ts';

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/**
 * Bound parameters one statement may carry: SQLite's SQLITE_MAX_VARIABLE_NUMBER is 32766 (since
 * 3.32), PostgreSQL's protocol counts them in 16 bits. A little under each.
 */
const MAX_PARAMETERS: Record<DialectName, number> = { sqlite: 32_000, postgres: 65_000 };
/** Rows per statement at most, and about this many bytes of values: a batch stays small in memory. */
const MAX_ROWS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export interface LoadOptions {
  dialect: DialectName;
  /** Values made here for these columns where the dump holds null (secret columns: see secret-columns.ts). */
  fill?: Record<string, () => unknown>;
  onRows?: (n: number) => void;
}

/**
 * Inserts a table's rows (dump values, in `columns` order) into `table` of the target, converted
 * for its columns, in multi-row statements. Columns the target does not have are left out and
 * reported; the target's columns the dump lacks take their defaults.
 */
export async function loadRows(
  db: Kysely<unknown>,
  table: TableInfo,
  columns: string[],
  rows: AsyncIterable<DumpValue[]>,
  opts: LoadOptions,
): Promise<{ rows: number; droppedColumns: string[] }> {
  const target = new Map(table.columns.map((c) => [c.name, c]));
  const kept: Array<{ at: number; column: ColumnInfo }> = [];
  const droppedColumns: string[] = [];
  const fill = opts.fill ?? {};
  columns.forEach((name, at) => {
    const column = target.get(name);
    if (column) kept.push({ at, column });
    else droppedColumns.push(name);
  });
  // Filled columns the dump does not have at all; those it has are filled where it holds null.
  const fills = Object.entries(fill).filter(([name]) => target.has(name) && !columns.includes(name));
  const width = kept.length + fills.length;
  const perStatement = Math.max(
    1,
    Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS[opts.dialect] / Math.max(1, width))),
  );
  let batch: Record<string, unknown>[] = [];
  let bytes = 0;
  let total = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await (db as unknown as AnyDb).insertInto(table.name).values(batch).execute();
    total += batch.length;
    opts.onRows?.(batch.length);
    batch = [];
    bytes = 0;
  };
  for await (const values of rows) {
    const row: Record<string, unknown> = {};
    for (const { at, column } of kept) {
      const v = values[at] ?? null;
      const make = fill[column.name];
      row[column.name] = v === null && make ? make() : decodeValue(v, column.kind, opts.dialect);
      if (typeof v === 'string') bytes += v.length;
    }
    for (const [name, make] of fills) row[name] = make();
    batch.push(row);
    bytes += 8 * width;
    if (batch.length >= perStatement || bytes >= MAX_BATCH_BYTES) await flush();
  }
  await flush();
  return { rows: total, droppedColumns };
}
