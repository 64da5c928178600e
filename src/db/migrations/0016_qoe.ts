import { type Kysely, sql } from 'kysely';
import { dialectOf } from '../dialect-helpers.ts';

// Viewer analytics (src/qoe/, docs/qoe.md). Players report (CMCD v2 event mode and a JSON
// beacon); each report updates its view (`qoe_views`, one row per player session `sid`) and
// lands in the view's timeline (`qoe_view_events`). A job closes a view 30 min after its last
// report and adds it to the hourly and daily rollups (`qoe_hourly`, `qoe_daily`) and, for live
// streams, to the per-minute concurrency (`qoe_live_minutes`). Views and timelines are kept 30 days, rollups
// 13 months. Times are epoch milliseconds (bigint) on the server's clock: the reports' own
// `ts` only measure durations within a view, so a phone whose clock is wrong still counts.
// Nothing personal is stored: the address becomes a country, the User-Agent a device class.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('qoe_views')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // The player's session id (CMCD `sid`): client-chosen, so never used in a URL.
    .addColumn('sid', 'text', (c) => c.notNull().unique())
    .addColumn('playback_id', 'text', (c) => c.notNull())
    .addColumn('asset_id', 'text')
    .addColumn('live_stream_id', 'text')
    // 'vod' | 'live' | 'll' (CMCD `st`: v, l, ll); 'vod' until a report says otherwise.
    .addColumn('stream_type', 'text', (c) => c.notNull())
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('os', 'text', (c) => c.notNull())
    .addColumn('browser', 'text', (c) => c.notNull())
    // ISO 3166-1 alpha-2, or 'ZZ' when the bundled database does not know the address.
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('last_report_at', 'bigint', (c) => c.notNull())
    // When the server last received a report for it: the close job's clock.
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
    // JSON: the reducer's state (src/qoe/view-reducer.ts), so the next report continues from it.
    .addColumn('state', 'text', (c) => c.notNull())
    // The view's metrics as of its last report (null: not known yet, e.g. no first frame).
    .addColumn('startup_ms', 'integer')
    .addColumn('exited_before_start', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error_code', 'text')
    .addColumn('rebuffer_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rebuffer_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('watch_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('playing_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('switches', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('avg_bitrate_kbps', 'double precision')
    .addColumn('upscaled_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('max_upscale', 'double precision')
    .addColumn('dropped_frames', 'integer', (c) => c.notNull().defaultTo(0))
    // JSON: [{ "rendition", "bitrate_kbps", "height", "playing_ms", "rebuffer_count", "rebuffer_ms", "upscaled_ms" }].
    .addColumn('renditions', 'text', (c) => c.notNull().defaultTo('[]'))
    // 0–100 (docs/qoe.md); null while the part cannot be scored yet.
    .addColumn('score', 'double precision')
    .addColumn('success_score', 'double precision')
    .addColumn('startup_score', 'double precision')
    .addColumn('smoothness_score', 'double precision')
    .addColumn('quality_score', 'double precision')
    .execute();
  await db.schema
    .createIndex('qoe_views_open_idx')
    .on('qoe_views')
    .columns(['closed_at', 'received_at'])
    .execute();
  await db.schema.createIndex('qoe_views_started_idx').on('qoe_views').columns(['started_at']).execute();
  await db.schema
    .createIndex('qoe_views_asset_idx')
    .on('qoe_views')
    .columns(['asset_id', 'started_at'])
    .execute();
  await db.schema
    .createIndex('qoe_views_live_idx')
    .on('qoe_views')
    .columns(['live_stream_id', 'started_at'])
    .execute();

  await db.schema
    .createTable('qoe_view_events')
    .addColumn('view_id', 'text', (c) => c.notNull())
    // The report's own time (player clock) and sequence number; beacons have sn -1.
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('sn', 'integer', (c) => c.notNull())
    // CMCD event type (`ps`, `e`, `bc`, `t`, …) or 'beacon'.
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('state', 'text')
    // JSON: the report's keys the timeline shows (br, bl, mtp, pr, ec, sizes, frames…).
    .addColumn('data', 'text', (c) => c.notNull())
    // A retried POST repeats its reports: the same (view, ts, sn, event) is kept once.
    .addPrimaryKeyConstraint('qoe_view_events_pk', ['view_id', 'ts', 'sn', 'event'])
    .execute();

  // Closed views added up per hour of their start, and the same per UTC day (overviews longer
  // than 72 h read days: a row per asset and day instead of 24).
  await createRollupTable(db, 'qoe_hourly', 'hour');
  await createRollupTable(db, 'qoe_daily', 'day');

  await db.schema
    .createTable('qoe_live_minutes')
    .addColumn('live_stream_id', 'text', (c) => c.notNull())
    .addColumn('minute', 'bigint', (c) => c.notNull())
    .addColumn('viewers', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('qoe_live_minutes_pk', ['live_stream_id', 'minute'])
    .execute();
}

async function createRollupTable(db: Kysely<unknown>, name: string, time: string): Promise<void> {
  let table = db.schema
    .createTable(name)
    // Epoch ms of the hour (qoe_hourly) or UTC day (qoe_daily) the views started in.
    .addColumn(time, 'bigint', (c) => c.notNull())
    // 'all' (scope_id ''), 'asset' or 'live' (scope_id: the asset or live stream id).
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    // 'total' (value ''), 'rendition', 'device', 'os', 'browser' or 'country'.
    .addColumn('dimension', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('views', 'integer', (c) => c.notNull())
    .addColumn('started_views', 'integer', (c) => c.notNull())
    .addColumn('failed', 'integer', (c) => c.notNull())
    .addColumn('exits_before_start', 'integer', (c) => c.notNull())
    .addColumn('startup_ms_sum', 'bigint', (c) => c.notNull())
    .addColumn('watch_ms', 'bigint', (c) => c.notNull())
    .addColumn('playing_ms', 'bigint', (c) => c.notNull())
    .addColumn('rebuffer_count', 'bigint', (c) => c.notNull())
    .addColumn('rebuffer_ms', 'bigint', (c) => c.notNull())
    .addColumn('rebuffered_views', 'integer', (c) => c.notNull())
    .addColumn('switches', 'bigint', (c) => c.notNull())
    // Σ bitrate (kbps) × playing ms: divided by playing_ms it is the average bitrate.
    .addColumn('bitrate_ms', 'double precision', (c) => c.notNull())
    .addColumn('upscaled_ms', 'bigint', (c) => c.notNull())
    .addColumn('dropped_frames', 'bigint', (c) => c.notNull())
    .addColumn('scored_views', 'integer', (c) => c.notNull())
    .addColumn('score_sum', 'double precision', (c) => c.notNull())
    .addColumn('success_score_sum', 'double precision', (c) => c.notNull())
    .addColumn('startup_score_sum', 'double precision', (c) => c.notNull())
    .addColumn('smoothness_score_sum', 'double precision', (c) => c.notNull())
    .addColumn('quality_score_sum', 'double precision', (c) => c.notNull())
    // JSON arrays of counts over the fixed buckets of src/qoe/histograms.ts.
    .addColumn('startup_hist', 'text', (c) => c.notNull())
    .addColumn('score_hist', 'text', (c) => c.notNull())
    .addColumn('rebuffer_hist', 'text', (c) => c.notNull())
    // In the order of the reads across assets and live streams (scope, dimension, time): on
    // SQLite a WITHOUT ROWID table, so such a read is one contiguous range, not a row lookup per
    // index entry. Reads of one scope (all, an asset, a stream) go through the index.
    .addPrimaryKeyConstraint(`${name}_pk`, ['scope', 'dimension', time, 'scope_id', 'value']);
  if (dialectOf(db) === 'sqlite') table = table.modifyEnd(sql`without rowid`);
  await table.execute();
  await db.schema
    .createIndex(`${name}_scope_idx`)
    .on(name)
    .columns(['scope_id', 'dimension', time])
    .execute();
}
