import type { Kysely } from 'kysely';
import type { Database, QoeViewEventsTable, QoeViewRow } from '../db/schema.ts';

type Executor = Kysely<Database>;

/** A view's columns the API shows (not the reducer's state, nor the player's session id). */
export const VIEW_COLUMNS = [
  'id',
  'playback_id',
  'asset_id',
  'live_stream_id',
  'stream_type',
  'device_type',
  'os',
  'browser',
  'country',
  'started_at',
  'last_report_at',
  'closed_at',
  'startup_ms',
  'exited_before_start',
  'failed',
  'error_code',
  'rebuffer_count',
  'rebuffer_ms',
  'watch_ms',
  'playing_ms',
  'switches',
  'avg_bitrate_kbps',
  'upscaled_ms',
  'max_upscale',
  'dropped_frames',
  'renditions',
  'score',
  'success_score',
  'startup_score',
  'smoothness_score',
  'quality_score',
] as const satisfies readonly (keyof QoeViewRow)[];

export type ViewRow = Pick<QoeViewRow, (typeof VIEW_COLUMNS)[number]>;
export type ViewEventRow = Pick<QoeViewEventsTable, 'ts' | 'sn' | 'event' | 'state' | 'data'>;

export interface ViewFilter {
  /** Started at or after (epoch ms). */
  from?: number;
  /** Started before (epoch ms). */
  to?: number;
  assetId?: string;
  liveStreamId?: string;
}

/**
 * Views newest first (started_at, then id, both descending), after the cursor's view; by the
 * asset's or live stream's index when one is named, by started_at's otherwise.
 */
export function listViews(
  db: Executor,
  filter: ViewFilter,
  limit: number,
  after?: { startedAt: number; id: string },
): Promise<ViewRow[]> {
  let q = db.selectFrom('qoe_views').select([...VIEW_COLUMNS]);
  if (filter.assetId !== undefined) q = q.where('asset_id', '=', filter.assetId);
  if (filter.liveStreamId !== undefined) q = q.where('live_stream_id', '=', filter.liveStreamId);
  if (filter.from !== undefined) q = q.where('started_at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('started_at', '<', filter.to);
  // Written as a range on started_at and a filter, not an OR of two ranges, so the database reads
  // the index in order from the cursor on: the OR made SQLite sort every older view first.
  if (after)
    q = q
      .where('started_at', '<=', after.startedAt)
      .where((eb) => eb.or([eb('started_at', '<', after.startedAt), eb('id', '<', after.id)]));
  return q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export function viewById(db: Executor, id: string): Promise<ViewRow | undefined> {
  return db
    .selectFrom('qoe_views')
    .select([...VIEW_COLUMNS])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** A view's timeline in the order it was applied: (ts, sn). */
export function viewEvents(db: Executor, viewId: string, limit: number): Promise<ViewEventRow[]> {
  return db
    .selectFrom('qoe_view_events')
    .select(['ts', 'sn', 'event', 'state', 'data'])
    .where('view_id', '=', viewId)
    .orderBy('ts')
    .orderBy('sn')
    .orderBy('event')
    .limit(limit)
    .execute();
}
