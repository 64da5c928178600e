import { type Insertable, type Kysely, sql } from 'kysely';
import { dialectOf } from '../db/dialect-helpers.ts';
import type { Database, QoeHourlyRow, QoeHourlyTable } from '../db/schema.ts';
import { parseCounts, REBUFFER_PERCENTAGE, SCORE, STARTUP_MS } from './histograms.ts';
import {
  addTally,
  emptyTally,
  keyString,
  type RollupDelta,
  type RollupKey,
  STORED_SUMS,
  type Tally,
} from './rollup-delta.ts';

/** The database, or a transaction on it. */
type Executor = Kysely<Database>;

/** Keys looked up per statement (5 parameters each). */
const KEYS_PER_SELECT = 500;
/** Rows per upsert (28 columns each: far below both databases' parameter limits). */
const ROWS_PER_UPSERT = 300;

/** A stored row's sums and histograms (no open views: stored rows hold closed views only). */
export function tallyOfRow(
  row: Pick<QoeHourlyRow, (typeof STORED_SUMS)[number] | 'startup_hist' | 'score_hist' | 'rebuffer_hist'>,
): Tally {
  const t = emptyTally();
  for (const k of STORED_SUMS) t[k] = Number(row[k]);
  t.startup_hist = parseCounts(STARTUP_MS, row.startup_hist);
  t.score_hist = parseCounts(SCORE, row.score_hist);
  t.rebuffer_hist = parseCounts(REBUFFER_PERCENTAGE, row.rebuffer_hist);
  return t;
}

function rowOf(key: RollupKey, t: Tally): Insertable<QoeHourlyTable> {
  const row = { ...key } as Insertable<QoeHourlyTable>;
  for (const k of STORED_SUMS) row[k] = t[k];
  row.startup_hist = JSON.stringify(t.startup_hist);
  row.score_hist = JSON.stringify(t.score_hist);
  row.rebuffer_hist = JSON.stringify(t.rebuffer_hist);
  return row;
}

/**
 * Adds deltas to `qoe_hourly`, in the caller's transaction. Sums could be added by the database,
 * but histograms (JSON count arrays) cannot be, portably: the rows already there are read, merged
 * here and written back whole. On PostgreSQL a transaction-scoped advisory lock keeps two writers
 * (a close job whose lease ran out while it still worked, and its successor) from merging into the
 * same rows at once; SQLite transactions hold its write lock from their start.
 */
export async function addToRollups(trx: Executor, deltas: Iterable<RollupDelta>): Promise<void> {
  const list = [...deltas];
  if (list.length === 0) return;
  if (dialectOf(trx as unknown as Kysely<unknown>) === 'postgres')
    await sql`select pg_advisory_xact_lock('qoe_hourly'::regclass::oid::bigint)`.execute(trx);
  const merged = new Map<string, { key: RollupKey; tally: Tally }>();
  for (const d of list) merged.set(keyString(d.key), { key: d.key, tally: d.tally });
  for (let i = 0; i < list.length; i += KEYS_PER_SELECT) {
    const chunk = list.slice(i, i + KEYS_PER_SELECT);
    const existing = await trx
      .selectFrom('qoe_hourly')
      .selectAll()
      .where((eb) =>
        eb(
          eb.refTuple('hour', 'scope', 'scope_id', 'dimension', 'value'),
          'in',
          chunk.map(({ key: k }) => eb.tuple(k.hour, k.scope, k.scope_id, k.dimension, k.value)),
        ),
      )
      .execute();
    for (const row of existing) {
      const entry = merged.get(keyString({ ...row, hour: Number(row.hour) }));
      // A copy: the caller's deltas stay as they were.
      if (entry) entry.tally = addTally(addTally(emptyTally(), entry.tally), tallyOfRow(row));
    }
  }
  const rows = [...merged.values()].map(({ key, tally }) => rowOf(key, tally));
  for (let i = 0; i < rows.length; i += ROWS_PER_UPSERT) {
    await trx
      .insertInto('qoe_hourly')
      .values(rows.slice(i, i + ROWS_PER_UPSERT))
      .onConflict((oc) =>
        oc.columns(['hour', 'scope', 'scope_id', 'dimension', 'value']).doUpdateSet((eb) => {
          const set: Record<string, unknown> = {};
          for (const k of [...STORED_SUMS, 'startup_hist', 'score_hist', 'rebuffer_hist'] as const)
            set[k] = eb.ref(`excluded.${k}`);
          return set;
        }),
      )
      .execute();
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
