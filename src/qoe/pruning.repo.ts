import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { RollupDimension, RollupScope } from './rollup-delta.ts';
import { type Granularity, ROLLUP_TABLE } from './rollups.repo.ts';

type Executor = Kysely<Database>;

/**
 * Deletes up to `limit` closed views that started before `before`, with their timelines, in one
 * transaction; returns how many views.
 */
export function deleteOldViews(db: Executor, before: number, limit: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ids = (
      await trx
        .selectFrom('qoe_views')
        .select('id')
        .where('started_at', '<', before)
        .where('closed_at', 'is not', null)
        .limit(limit)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return 0;
    await trx.deleteFrom('qoe_view_events').where('view_id', 'in', ids).execute();
    await trx.deleteFrom('qoe_views').where('id', 'in', ids).execute();
    return ids.length;
  });
}

/**
 * Deletes up to `limit` hourly or daily rollup rows of one scope and dimension from before
 * `before`; returns how many. (Rows are stored by scope, dimension and time: per pair, the old
 * ones are one range.)
 */
export async function deleteOldRollups(
  db: Executor,
  granularity: Granularity,
  where: { scope: RollupScope; dimension: RollupDimension; before: number },
  limit: number,
): Promise<number> {
  // Both tables have the same columns but the time's name: written once against qoe_hourly's.
  const table = ROLLUP_TABLE[granularity] as 'qoe_hourly';
  const time = granularity as 'hour';
  const result = await db
    .deleteFrom(table)
    .where((eb) =>
      eb(
        eb.refTuple('scope', 'dimension', time, 'scope_id', 'value'),
        'in',
        eb
          .selectFrom(`${table} as old`)
          .select(['old.scope', 'old.dimension', `old.${time}`, 'old.scope_id', 'old.value'])
          .where('old.scope', '=', where.scope)
          .where('old.dimension', '=', where.dimension)
          .where(`old.${time}`, '<', where.before)
          .limit(limit)
          .$asTuple('scope', 'dimension', time, 'scope_id', 'value'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes up to `limit` live-minute rows before `beforeMinute`; returns how many. */
export async function deleteOldLiveMinutes(
  db: Executor,
  beforeMinute: number,
  limit: number,
): Promise<number> {
  const result = await db
    .deleteFrom('qoe_live_minutes')
    .where((eb) =>
      eb(
        eb.refTuple('live_stream_id', 'minute'),
        'in',
        eb
          .selectFrom('qoe_live_minutes as old')
          .select(['old.live_stream_id', 'old.minute'])
          .where('old.minute', '<', beforeMinute)
          .limit(limit)
          .$asTuple('live_stream_id', 'minute'),
      ),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
