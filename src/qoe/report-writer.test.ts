import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { Db } from '../db/database.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { AppError } from '../shared/errors.ts';
import type { QoeContent } from './content-lookup.ts';
import type { ViewReport } from './report.ts';
import { type ReportBatch, ReportWriter } from './report-writer.ts';
import { applyReports, newViewState, summarise } from './view-reducer.ts';

const CONTENT: QoeContent = {
  playback_id: 'pbwriter1',
  asset_id: 'assetwriter1',
  live_stream_id: null,
  ladder: [
    { name: '360p', bandwidth: 928_000, height: 360 },
    { name: '720p', bandwidth: 2_928_000, height: 720 },
  ],
};
const CLIENT = { device_type: 'desktop' as const, os: 'Linux', browser: 'Firefox', country: 'KR' };
const T0 = Date.now() - 60_000;

/** A session's reports: start, first frame, playing with interval reports, a stall, more playing. */
function sessionReports(n = 12): ViewReport[] {
  const out: ViewReport[] = [
    { ts: T0, sn: 0, event: 'ps', state: 's', data: {} },
    { ts: T0, sn: 1, event: 't', state: 's', data: {} },
    { ts: T0 + 100, sn: 2, event: 'bc', state: 's', data: { br: 2928 } },
    { ts: T0 + 900, sn: 3, event: 'ps', state: 'p', data: { br: 2928 } },
  ];
  for (let i = 4; i < n; i++) {
    const ts = T0 + 900 + (i - 3) * 1000;
    out.push(
      i === 7
        ? { ts, sn: i, event: 'ps', state: 'r', data: { br: 2928 } }
        : i === 8
          ? { ts, sn: i, event: 'ps', state: 'p', data: { br: 2928 } }
          : { ts, sn: i, event: 't', state: 'p', data: { br: 2928 } },
    );
  }
  return out;
}

const batch = (sid: string, reports: ViewReport[], receivedAt = Date.now()): ReportBatch => ({
  sid,
  content: CONTENT,
  client: CLIENT,
  reports,
  receivedAt,
});

const viewOf = (db: Db, sid: string) =>
  db.selectFrom('qoe_views').selectAll().where('sid', '=', sid).executeTakeFirstOrThrow();
const eventsOf = async (db: Db, viewId: string) =>
  (
    await db
      .selectFrom('qoe_view_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('view_id', '=', viewId)
      .executeTakeFirstOrThrow()
  ).n;

for (const dialect of TEST_DIALECTS) {
  describe(`report writer (${dialect})`, { skip: postgresSkip(dialect) }, () => {
    let tdb: TestDatabase;
    let writer: ReportWriter;
    const errors: unknown[] = [];
    before(async () => {
      tdb = await openTestDatabase(dialect);
      writer = new ReportWriter({ db: tdb.db, onError: (e) => errors.push(e) });
    });
    after(async () => {
      await writer.close();
      await tdb?.close();
    });

    test('a new view: made with its client, its clock offset, its metrics and its timeline', async () => {
      const reports = sessionReports();
      const receivedAt = Date.now();
      const result = await writer.write([batch('sess-new', reports, receivedAt)]);
      assert.deepEqual(result, { stored: reports.length, duplicates: 0, late: 0, mismatched: 0 });
      const view = await viewOf(tdb.db, 'sess-new');
      const expected = summarise(applyReports(newViewState(0), reports, CONTENT.ladder), { closed: false });
      const offset = receivedAt - Math.max(...reports.map((r) => r.ts));
      assert.equal(Number(view.started_at), T0 + offset);
      assert.equal(Number(view.last_report_at), receivedAt);
      assert.equal(Number(view.received_at), receivedAt);
      assert.equal(view.report_count, reports.length);
      assert.equal(view.playback_id, CONTENT.playback_id);
      assert.equal(view.asset_id, CONTENT.asset_id);
      assert.equal(view.country, 'KR');
      assert.equal(view.device_type, 'desktop');
      assert.equal(view.closed_at, null);
      assert.equal(view.startup_ms, expected.startup_ms);
      assert.equal(Number(view.playing_ms), expected.playing_ms);
      assert.equal(view.rebuffer_count, 1);
      assert.equal(Number(view.rebuffer_ms), 1000);
      assert.equal(view.renditions, expected.renditions);
      assert.equal(view.score, expected.score);
      assert.equal(await eventsOf(tdb.db, view.id), reports.length);
    });

    test('a retried request is stored once: timeline and metrics unchanged', async () => {
      const reports = sessionReports();
      await writer.write([batch('sess-retry', reports.slice(0, 6))]);
      await writer.write([batch('sess-retry', reports.slice(6))]);
      const before = await viewOf(tdb.db, 'sess-retry');
      const again = await writer.write([batch('sess-retry', reports.slice(6))]);
      assert.deepEqual(again, { stored: 6, duplicates: 6, late: 0, mismatched: 0 });
      const view = await viewOf(tdb.db, 'sess-retry');
      assert.deepEqual({ ...view, received_at: 0 }, { ...before, received_at: 0 });
      assert.equal(await eventsOf(tdb.db, view.id), reports.length);
    });

    test('a report older than the last applied: the view is recomputed, as if in order', async () => {
      const reports = sessionReports(14);
      const late = reports.splice(7, 2); // the stall's start and end come last
      await writer.write([batch('sess-order', reports)]);
      const before = await viewOf(tdb.db, 'sess-order');
      assert.equal(before.rebuffer_count, 0);
      await writer.write([batch('sess-order', late)]);
      await writer.write([batch('sess-inorder', [...reports, ...late])]);
      const recomputed = await viewOf(tdb.db, 'sess-order');
      const inOrder = await viewOf(tdb.db, 'sess-inorder');
      for (const column of [
        'startup_ms',
        'rebuffer_count',
        'rebuffer_ms',
        'watch_ms',
        'playing_ms',
        'renditions',
        'score',
        'report_count',
      ] as const)
        assert.deepEqual(recomputed[column], inOrder[column], column);
      assert.equal(recomputed.rebuffer_count, 1);
    });

    test('a closed view drops further reports (late), stores nothing', async () => {
      const reports = sessionReports();
      await writer.write([batch('sess-closed', reports.slice(0, 5))]);
      const view = await viewOf(tdb.db, 'sess-closed');
      await tdb.db
        .updateTable('qoe_views')
        .set({ closed_at: Date.now() })
        .where('id', '=', view.id)
        .execute();
      const result = await writer.write([batch('sess-closed', reports.slice(5))]);
      assert.deepEqual(result, { stored: 0, duplicates: 0, late: reports.length - 5, mismatched: 0 });
      assert.equal(await eventsOf(tdb.db, view.id), 5);
      assert.equal((await viewOf(tdb.db, 'sess-closed')).report_count, 5);
    });

    test('reports naming another playback id than their view are dropped', async () => {
      const reports = sessionReports();
      await writer.write([batch('sess-cid', reports.slice(0, 4))]);
      const other = {
        ...batch('sess-cid', reports.slice(4)),
        content: { ...CONTENT, playback_id: 'otherpb' },
      };
      const result = await writer.write([other]);
      assert.deepEqual(result, { stored: 0, duplicates: 0, late: 0, mismatched: reports.length - 4 });
      assert.equal((await viewOf(tdb.db, 'sess-cid')).report_count, 4);
    });

    test('group commit: concurrent requests share flushes, each answered after its commit', async () => {
      const flushes = writer.flushes;
      const reports = sessionReports(30);
      const writes = [];
      for (let v = 0; v < 20; v++)
        for (let i = 0; i < reports.length; i += 3)
          writes.push(writer.write([batch(`sess-group-${v}`, reports.slice(i, i + 3))]));
      const results = await Promise.all(writes);
      assert.ok(results.every((r) => r.stored === 3 && r.duplicates === 0));
      const used = writer.flushes - flushes;
      assert.ok(used < writes.length / 4, `${used} flushes for ${writes.length} requests`);
      for (let v = 0; v < 20; v++) assert.equal((await viewOf(tdb.db, `sess-group-${v}`)).report_count, 30);
    });

    test('two processes writing one view at once lose no report (and make it once)', async () => {
      const reports = sessionReports(60);
      const mine = reports.filter((_, i) => i % 2 === 0);
      const theirs = reports.filter((_, i) => i % 2 === 1);
      // The other writer in a thread of its own (on SQLite, as another process would be); both
      // start at once, so both may find no view and make it.
      const worker = new Worker(new URL('../../test/helpers/qoe-writer-worker.ts', import.meta.url), {
        workerData: { url: tdb.url, batches: theirs.map((r) => batch('sess-race', [r])) },
      });
      const message = <T>() =>
        new Promise<T>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
      await message<'ready'>();
      const theirResults = message<{ stored?: number; error?: string }[]>();
      worker.postMessage('go');
      const [own, other] = await Promise.all([
        Promise.all(mine.map((r) => writer.write([batch('sess-race', [r])]))),
        theirResults,
      ]);
      assert.deepEqual(
        other.filter((r) => r.error),
        [],
      );
      assert.equal(
        [...own, ...other].reduce((n, r) => n + (r.stored ?? 0), 0),
        reports.length,
      );
      const view = await viewOf(tdb.db, 'sess-race');
      assert.equal(view.report_count, reports.length);
      assert.equal(await eventsOf(tdb.db, view.id), reports.length);
      const expected = summarise(applyReports(newViewState(0), reports, CONTENT.ladder), { closed: false });
      assert.equal(Number(view.playing_ms), expected.playing_ms);
      assert.equal(view.rebuffer_count, expected.rebuffer_count);
    });

    test('made by another process meanwhile: the writer goes on from that view', {
      skip:
        dialect === 'sqlite'
          ? 'SQLite writers take the whole database first: no two make a view at once'
          : false,
    }, async () => {
      const reports = sessionReports();
      const other = tdb.connect();
      // Another node's transaction has made the view and not committed yet.
      const trx = await other.startTransaction().execute();
      const row = {
        ...(await viewOf(tdb.db, 'sess-new')),
        id: 'madebyothernode01',
        sid: 'sess-conflict',
        report_count: 0,
        state: JSON.stringify(newViewState(0)),
      };
      await trx.insertInto('qoe_views').values(row).execute();
      const writing = writer.write([batch('sess-conflict', reports)]);
      await new Promise((r) => setTimeout(r, 300));
      await trx.commit().execute();
      const result = await writing;
      assert.equal(result.stored, reports.length);
      const view = await viewOf(tdb.db, 'sess-conflict');
      assert.equal(view.id, 'madebyothernode01');
      assert.equal(view.report_count, reports.length);
      assert.equal(await eventsOf(tdb.db, view.id), reports.length);
    });

    test('a view that cannot be written fails its own requests only', async () => {
      const reports = sessionReports();
      await writer.write([batch('sess-broken', reports.slice(0, 4))]);
      // A damaged row: its state is no longer JSON.
      await tdb.db
        .updateTable('qoe_views')
        .set({ state: '{oops' })
        .where('sid', '=', 'sess-broken')
        .execute();
      const errorsBefore = errors.length;
      const [broken, fine] = await Promise.allSettled([
        writer.write([batch('sess-broken', reports.slice(4))]),
        writer.write([batch('sess-fine', reports)]),
      ]);
      assert.equal(broken.status, 'rejected');
      assert.ok(broken.reason instanceof AppError && broken.reason.code === 'FH_ERR_QOE_UNAVAILABLE');
      assert.equal(broken.reason.status, 503);
      assert.deepEqual(broken.reason.details, { retry_after: 5 });
      assert.equal(fine.status, 'fulfilled');
      assert.equal((await viewOf(tdb.db, 'sess-fine')).report_count, reports.length);
      assert.ok(errors.length > errorsBefore, 'the failure was reported');
    });

    test('the database gone: a coded 503, nothing claimed stored', async () => {
      const db = tdb.connect();
      const lone = new ReportWriter({ db });
      await db.selectFrom('qoe_views').select('id').limit(1).execute();
      await db.destroy();
      await assert.rejects(lone.write([batch('sess-down', sessionReports())]), (err: AppError) => {
        return err.code === 'FH_ERR_QOE_UNAVAILABLE';
      });
    });
  });
}
