import type { DialectName } from '../db/dialect-helpers.ts';

/**
 * The dialect-neutral values of a dump (docs/operations.md, "Database rows"): JSON null, numbers,
 * strings, booleans, bytes as `{ "$base64" }`, integers beyond 2^53 as `{ "$int" }`. A SQLite
 * backup loads into PostgreSQL and back, so a value is converted for the column it goes into,
 * whatever the column it came from held (SQLite has no boolean or timestamp type: its 0/1 and
 * ISO strings become PostgreSQL booleans and timestamptz, and back).
 */
export type ColumnKind = 'boolean' | 'integer' | 'real' | 'timestamp' | 'bytes' | 'text' | 'other';

export type DumpValue = null | number | string | boolean | { $base64: string } | { $int: string };

/** A value as read from either database (node:sqlite with big integers on, or pg) → JSON-safe. */
export function encodeValue(value: unknown): DumpValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : { $int: String(value) };
  if (typeof value === 'number') {
    // JSON has no NaN or infinities; SQLite and PostgreSQL doubles can hold them.
    return Number.isFinite(value) ? value : { $int: String(value) };
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString('base64') };
  // json/jsonb columns (none of ours today): kept as their text.
  return JSON.stringify(value);
}

/** A dump value → what the driver of `dialect` takes for a column of `kind`. */
export function decodeValue(value: DumpValue, kind: ColumnKind, dialect: DialectName): unknown {
  if (value === null) return null;
  if (typeof value === 'object') {
    if ('$base64' in value) return Buffer.from(value.$base64, 'base64');
    return bigIntegerFor(value.$int, kind, dialect);
  }
  switch (kind) {
    case 'boolean':
      return toBoolean(value, dialect);
    case 'integer':
      if (typeof value === 'boolean') return value ? 1 : 0;
      return value;
    case 'timestamp':
      return dialect === 'postgres' ? toTimestamptz(value) : toSqliteTime(value);
    default:
      if (typeof value === 'boolean') return dialect === 'sqlite' ? (value ? 1 : 0) : value;
      return value;
  }
}

function bigIntegerFor(text: string, kind: ColumnKind, dialect: DialectName): unknown {
  if (!/^-?\d+$/.test(text)) return Number(text); // NaN, Infinity: doubles only
  if (dialect === 'postgres' || kind === 'text') return text;
  return BigInt(text);
}

/** PostgreSQL `boolean`, or SQLite's 0/1 in a column PostgreSQL types as boolean. */
function toBoolean(value: string | number | boolean, dialect: DialectName): boolean | number {
  let b: boolean;
  if (typeof value === 'boolean') b = value;
  else if (typeof value === 'number') b = value !== 0;
  else b = ['1', 't', 'true', 'yes', 'on'].includes(value.toLowerCase());
  return dialect === 'postgres' ? b : b ? 1 : 0;
}

// SQLite's CURRENT_TIMESTAMP: UTC, without a zone. PostgreSQL would read it in the session's zone.
const SQLITE_CURRENT_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;

/** What PostgreSQL's timestamptz takes: an ISO string with its zone. */
function toTimestamptz(value: string | number | boolean): string {
  if (typeof value === 'number') return new Date(value).toISOString(); // epoch milliseconds
  if (typeof value === 'string' && SQLITE_CURRENT_TIMESTAMP.test(value)) return `${value.replace(' ', 'T')}Z`;
  return String(value);
}

/**
 * better-auth on SQLite writes ISO strings (its Kysely adapter: `supportsDates: false`) and reads
 * them back with `new Date(…)`; PostgreSQL's timestamptz is dumped as the same ISO string.
 */
function toSqliteTime(value: string | number | boolean): string | number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/** A column's kind from its declared type (SQLite: as written in the DDL; PostgreSQL: data_type). */
export function columnKind(declared: string, dialect: DialectName): ColumnKind {
  const t = declared.toLowerCase();
  if (dialect === 'postgres') {
    if (t === 'boolean') return 'boolean';
    if (t === 'smallint' || t === 'integer' || t === 'bigint') return 'integer';
    if (t === 'double precision' || t === 'real' || t === 'numeric') return 'real';
    if (t.startsWith('timestamp') || t === 'date') return 'timestamp';
    if (t === 'bytea') return 'bytes';
    if (t === 'text' || t.startsWith('character')) return 'text';
    return 'other';
  }
  // SQLite's affinity rules (sqlite.org/datatype3.html), plus the types our migrations name.
  if (t === 'boolean') return 'boolean';
  if (t === 'date' || t.startsWith('timestamp') || t === 'datetime') return 'timestamp';
  if (t.includes('int')) return 'integer';
  if (t.includes('char') || t.includes('clob') || t.includes('text')) return 'text';
  if (t.includes('blob') || t === '') return 'bytes';
  if (t.includes('real') || t.includes('floa') || t.includes('doub')) return 'real';
  return 'other';
}
