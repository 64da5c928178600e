import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

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

/** Deletes up to `limit` hourly rollup rows of hours before `beforeHour`; returns how many. */
export async function deleteOldRollups(db: Executor, beforeHour: number, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('qoe_hourly')
    .where((eb) =>
      eb(
        eb.refTuple('hour', 'scope', 'scope_id', 'dimension', 'value'),
        'in',
        eb
          .selectFrom('qoe_hourly as old')
          .select(['old.hour', 'old.scope', 'old.scope_id', 'old.dimension', 'old.value'])
          .where('old.hour', '<', beforeHour)
          .limit(limit)
          .$asTuple('hour', 'scope', 'scope_id', 'dimension', 'value'),
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
