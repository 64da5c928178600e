import { CompiledQuery, type Kysely, sql } from 'kysely';
import { dialectOf } from '../db/dialect-helpers.ts';
import type { Database, QoeHourlyRow } from '../db/schema.ts';
import { parseCounts, REBUFFER_PERCENTAGE, SCORE, STARTUP_MS } from './histograms.ts';
import {
  addTally,
  cloneTally,
  emptyTally,
  keyString,
  type RollupDelta,
  type RollupKey,
  STORED_SUMS,
  type Tally,
} from './rollup-delta.ts';

/** The database, or a transaction on it. */
type Executor = Kysely<Database>;

/** Hourly rollups (`qoe_hourly`, column `hour`) or daily ones (`qoe_daily`, column `day`). */
export type Granularity = 'hour' | 'day';
export const ROLLUP_TABLE = { hour: 'qoe_hourly', day: 'qoe_daily' } as const;

/** Keys looked up per statement (5 parameters each). */
const KEYS_PER_SELECT = 500;
/** Rows per upsert (28 columns each: far below both databases' parameter limits). */
const ROWS_PER_UPSERT = 300;

const HISTOGRAMS = ['startup_hist', 'score_hist', 'rebuffer_hist'] as const;
const KEY_COLUMNS = ['scope', 'scope_id', 'dimension', 'value'] as const;

type SumsAndHistograms = Pick<QoeHourlyRow, (typeof STORED_SUMS)[number] | (typeof HISTOGRAMS)[number]>;

/** A stored row's sums and histograms (no open views: stored rows hold closed views only). */
export function tallyOfRow(row: SumsAndHistograms): Tally {
  const t = emptyTally();
  for (const k of STORED_SUMS) t[k] = Number(row[k]);
  t.startup_hist = parseCounts(STARTUP_MS, row.startup_hist);
  t.score_hist = parseCounts(SCORE, row.score_hist);
  t.rebuffer_hist = parseCounts(REBUFFER_PERCENTAGE, row.rebuffer_hist);
  return t;
}

/** A row's values in column order: time, key columns, sums, histograms. */
function rowValues(key: RollupKey, t: Tally): unknown[] {
  return [
    key.bucket,
    key.scope,
    key.scope_id,
    key.dimension,
    key.value,
    ...STORED_SUMS.map((k) => t[k]),
    JSON.stringify(t.startup_hist),
    JSON.stringify(t.score_hist),
    JSON.stringify(t.rebuffer_hist),
  ];
}

/**
 * The SQL of the two statements the close job runs many times a batch, built by Kysely once per
 * dialect, table and row count and then reused with new parameters: building a 300-row insert
 * (8,400 parameters) through the query builder cost more than running it.
 */
const statements = new Map<string, string>();

function statementSql(db: Executor, name: string, build: () => CompiledQuery): string {
  const key = `${dialectOf(db as unknown as Kysely<unknown>)}:${name}`;
  let text = statements.get(key);
  if (text === undefined) {
    text = build().sql;
    statements.set(key, text);
  }
  return text;
}

/** `select <key, sums, histograms> from <table> where (time, key…) in ((…), … n tuples)`. */
function selectExistingSql(db: Executor, granularity: Granularity, n: number): string {
  return statementSql(db, `select:${granularity}:${n}`, () => {
    const table = ROLLUP_TABLE[granularity] as 'qoe_hourly';
    const time = granularity as 'hour';
    return db
      .selectFrom(table)
      .select([sql.ref<number>(time).as('bucket'), ...KEY_COLUMNS, ...STORED_SUMS, ...HISTOGRAMS])
      .where((eb) =>
        eb(
          eb.refTuple(time, 'scope', 'scope_id', 'dimension', 'value'),
          'in',
          Array.from({ length: n }, () => eb.tuple(0, 'all', '', 'total', '')) as never,
        ),
      )
      .compile();
  });
}

/** `insert into <table> values (…) × n on conflict (key) do update set <every column> = excluded`. */
function upsertSql(db: Executor, granularity: Granularity, n: number): string {
  return statementSql(db, `upsert:${granularity}:${n}`, () => {
    const table = ROLLUP_TABLE[granularity] as 'qoe_hourly';
    const time = granularity as 'hour';
    const columns = [time, ...KEY_COLUMNS, ...STORED_SUMS, ...HISTOGRAMS];
    const row = Object.fromEntries(columns.map((c) => [c, 0]));
    return db
      .insertInto(table)
      .values(Array.from({ length: n }, () => ({ ...row }) as never))
      .onConflict((oc) =>
        oc.columns([time, ...KEY_COLUMNS]).doUpdateSet((eb) => {
          const set: Record<string, unknown> = {};
          for (const k of [...STORED_SUMS, ...HISTOGRAMS]) set[k] = eb.ref(`excluded.${k}`);
          return set as never;
        }),
      )
      .compile();
  });
}

/**
 * Adds deltas to the hourly or daily rollups, in the caller's transaction. Sums could be added
 * by the database, but histograms (JSON count arrays) cannot be, portably: the rows already there
 * are read, merged here and written back whole. On PostgreSQL a transaction-scoped advisory lock
 * keeps two writers (a close job whose lease ran out while it still worked, and its successor)
 * from merging into the same rows at once; SQLite transactions hold its write lock from their start.
 */
export async function addToRollups(
  trx: Executor,
  granularity: Granularity,
  deltas: Iterable<RollupDelta>,
): Promise<void> {
  const list = [...deltas];
  if (list.length === 0) return;
  if (dialectOf(trx as unknown as Kysely<unknown>) === 'postgres')
    await sql`select pg_advisory_xact_lock('qoe_hourly'::regclass::oid::bigint)`.execute(trx);
  const merged = new Map<string, { key: RollupKey; tally: Tally; copied: boolean }>();
  for (const d of list) merged.set(keyString(d.key), { key: d.key, tally: d.tally, copied: false });
  for (let i = 0; i < list.length; i += KEYS_PER_SELECT) {
    const chunk = list.slice(i, i + KEYS_PER_SELECT);
    const params = chunk.flatMap(({ key: k }) => [k.bucket, k.scope, k.scope_id, k.dimension, k.value]);
    const existing = await trx.executeQuery<
      SumsAndHistograms & { bucket: number } & Pick<RollupKey, (typeof KEY_COLUMNS)[number]>
    >(CompiledQuery.raw(selectExistingSql(trx, granularity, chunk.length), params));
    for (const row of existing.rows) {
      const entry = merged.get(
        keyString({
          bucket: Number(row.bucket),
          scope: row.scope,
          scope_id: row.scope_id,
          dimension: row.dimension,
          value: row.value,
        }),
      );
      if (!entry) continue;
      // The caller's deltas stay as they were: the sum goes to a copy.
      if (!entry.copied) {
        entry.tally = cloneTally(entry.tally);
        entry.copied = true;
      }
      addTally(entry.tally, tallyOfRow(row));
    }
  }
  const rows = [...merged.values()];
  for (let i = 0; i < rows.length; i += ROWS_PER_UPSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_UPSERT);
    await trx.executeQuery(
      CompiledQuery.raw(
        upsertSql(trx, granularity, chunk.length),
        chunk.flatMap(({ key, tally }) => rowValues(key, tally)),
      ),
    );
  }
}

/** Adds viewers to `qoe_live_minutes` (the database adds: a plain count needs no read). */
export async function addLiveMinutes(
  trx: Executor,
  minutes: Iterable<{ live_stream_id: string; minute: number; viewers: number }>,
): Promise<void> {
  const rows = [...minutes];
  for (let i = 0; i < rows.length; i += 1000) {
    await trx
      .insertInto('qoe_live_minutes')
      .values(rows.slice(i, i + 1000))
      .onConflict((oc) =>
        oc.columns(['live_stream_id', 'minute']).doUpdateSet((eb) => ({
          viewers: eb('qoe_live_minutes.viewers', '+', eb.ref('excluded.viewers')),
        })),
      )
      .execute();
  }
}
