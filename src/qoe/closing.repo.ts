import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.ts';
import { ROLLUP_VIEW_COLUMNS, type RollupView } from './rollup-delta.ts';

type Executor = Kysely<Database>;

/** Play states that mean the viewer asked to play (CMCD `sta`: starting, playing, seeking, rebuffering). */
const PLAY_STATES = ['s', 'p', 'k', 'r'];

/**
 * Ids of the open views whose last report came before `cutoff`, the longest silent first
 * (`qoe_views_open_idx` on closed_at, received_at).
 */
export async function dueViewIds(db: Executor, cutoff: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('qoe_views')
    .select('id')
    .where('closed_at', 'is', null)
    .where('received_at', '<', cutoff)
    .orderBy('received_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Closes those of `ids` that are still open and still silent since `cutoff`, in the caller's
 * transaction; returns the ids it closed. The conditions are checked again by the UPDATE itself,
 * so a view that another close job took, or that a report just woke, is left alone (on
 * PostgreSQL the second UPDATE waits for the first's row locks and re-reads the row). The unary
 * `+` (a no-op on both databases) keeps SQLite from picking the open-views index for these two
 * conditions over the primary key for the ids: it walked every due view for each batch.
 */
export async function markClosed(
  trx: Executor,
  ids: string[],
  cutoff: number,
  now: number,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await trx
    .updateTable('qoe_views')
    .set({ closed_at: now })
    .where('id', 'in', ids)
    .where(sql`+${sql.ref('closed_at')}`, 'is', null)
    .where(sql`+${sql.ref('received_at')}`, '<', cutoff)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Marks the views of `ids` that asked to play and never showed a frame, nor failed, as exits
 * before video start (docs/qoe.md: startup_ms null, failed 0, and watch time accrued, which only
 * runs from the play request on, or a play state in the timeline), with the scores the contract
 * gives them: success 50, score 50, no startup/smoothness/quality part.
 */
export async function markExitsBeforeStart(trx: Executor, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await trx
    .updateTable('qoe_views')
    .set({
      exited_before_start: 1,
      success_score: 50,
      score: 50,
      startup_score: null,
      smoothness_score: null,
      quality_score: null,
    })
    .where('id', 'in', ids)
    .where('startup_ms', 'is', null)
    .where('failed', '=', 0)
    .where((eb) =>
      eb.or([
        eb('watch_ms', '>', 0),
        eb.exists(
          eb
            .selectFrom('qoe_view_events')
            .select('qoe_view_events.view_id')
            .whereRef('qoe_view_events.view_id', '=', 'qoe_views.id')
            .where('qoe_view_events.event', '=', 'ps')
            .where('qoe_view_events.state', 'in', PLAY_STATES),
        ),
      ]),
    )
    .execute();
}

/** The rollup columns of views. */
export async function rollupViews(db: Executor, ids: string[]): Promise<RollupView[]> {
  if (ids.length === 0) return [];
  return (await db
    .selectFrom('qoe_views')
    .select([...ROLLUP_VIEW_COLUMNS])
    .where('id', 'in', ids)
    .execute()) as RollupView[];
}
