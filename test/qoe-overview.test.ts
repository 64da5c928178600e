import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Insertable } from 'kysely';
import type { Db } from '../src/db/database.ts';
import type { QoeViewsTable } from '../src/db/schema.ts';
import { postgresSkip, TEST_DIALECTS } from '../src/db/test-databases.ts';
import { closeViewsJob } from '../src/qoe/close-views.job.ts';
import { pruneJob } from '../src/qoe/prune.job.ts';
import type { JobContext, JobDefinition } from '../src/queue/jobs.ts';
import { newId } from '../src/shared/ids.ts';
import { assetRow } from './helpers/asset-row.ts';
import {
  insertEvents,
  insertViews,
  qoeEventRows,
  qoeViewRow,
  type ViewFixture,
} from './helpers/qoe-views.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

// Viewer analytics, the reading side (docs/qoe.md "Reading"), over HTTP on a real server: view
// rows as the ingest side leaves them → the close job (its real handler) → the overview, whose
// numbers are checked against values worked out by hand from the fixture below.

const ADMIN_KEY = 'qoe-overview-admin-key-0123456789';
const HOUR = 3_600_000;
const MINUTE = 60_000;
// The due views last reported 54 min ago or earlier (whatever the minute now), the open ones a second ago.
const TIMEOUT_MS = 30 * MINUTE;

interface Metrics {
  views: number;
  open_views: number;
  failed: number;
  failure_rate: number | null;
  exits_before_start: number;
  exit_before_start_rate: number | null;
  startup_ms: { median: number | null; p95: number | null; mean: number | null };
  rebuffer_percentage: number | null;
  rebuffer_frequency: number | null;
  rebuffered_view_rate: number | null;
  watch_time_seconds: number;
  playing_time_seconds: number;
  average_bitrate_kbps: number | null;
  switches_per_view: number | null;
  upscale_percentage: number | null;
  dropped_frames: number;
  score: number | null;
  scores: {
    success: number | null;
    startup: number | null;
    smoothness: number | null;
    quality: number | null;
  };
}
interface Overview {
  from: string;
  to: string;
  interval: string;
  totals: Metrics;
  series: ({ time: string } & Metrics)[];
  histograms: Record<string, { bounds: number[]; counts: number[] }>;
  groups: ({ key: string; label: string } & Metrics)[];
  worst_assets: { asset_id: string; title: string | null; views: number; score: number }[];
  concurrency: { time: string; viewers: number }[];
}
interface View {
  id: string;
  asset_id: string | null;
  started_at: string;
  ended_at: string;
  closed: boolean;
  exited_before_start: boolean;
  score: number | null;
  renditions: { rendition: string }[];
  timeline?: { time: string; event: string; state: string | null; data: Record<string, unknown> }[];
  states?: { state: string; from: string; to: string; rendition: string | null }[];
}
type ErrorBody = { error: { code: string; message: string } };

const iso = (ms: number) => new Date(ms).toISOString();
const close = (actual: number | null, expected: number, what: string) => {
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} ≠ ${expected}`,
  );
};

/** Runs a job's real handler as the worker pool would. */
async function runJob(job: JobDefinition<Record<string, never>>): Promise<void> {
  const ctx: JobContext<Record<string, never>> = {
    id: newId(),
    payload: {},
    attempt: 1,
    maxAttempts: 1,
    signal: new AbortController().signal,
    heartbeat: async () => {},
    log: { info() {}, warn: (o) => assert.fail(`job warned: ${JSON.stringify(o)}`), error() {} },
  };
  await job.handler(ctx);
}

async function insertAsset(db: Db, id: string, title: string): Promise<void> {
  const now = new Date().toISOString();
  await db
    .insertInto('assets')
    .values(assetRow(id, { title, duration: 60, width: 1280, height: 720, created_at: now, updated_at: now }))
    .execute();
}

for (const dialect of TEST_DIALECTS) {
  describe(`viewer analytics overview on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let server: TestServer;
    const NOW = Date.now();
    // Three whole hours ago: the closed views started then, the open ones in this hour.
    const THIS_HOUR = Math.floor(NOW / HOUR) * HOUR;
    const H = THIS_HOUR - 3 * HOUR;
    const range = `from=${encodeURIComponent(iso(H))}&to=${encodeURIComponent(iso(H + 4 * HOUR))}`;
    const A1 = newId();
    const A2 = newId();
    const A3 = newId();
    let L1 = '';
    const rows: Insertable<QoeViewsTable>[] = [];
    const byName = new Map<string, Insertable<QoeViewsTable>>();

    const overview = async (query: string) => {
      const res = await server.api<{ data: Overview }>(`/v1/qoe/overview?${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data;
    };
    /** Views whose last report came 54 min ago or earlier: due for closing (timeout 30 min). */
    const due = (name: string, f: ViewFixture) => {
      const row = qoeViewRow({ id: `${name}${newId(10)}`, ...f });
      rows.push(row);
      byName.set(name, row);
      return row;
    };
    /** Views still playing: reported a moment ago. */
    const live = (name: string, f: ViewFixture) => due(name, { ...f, receivedAt: NOW - 1000 });
    const sum = (pick: (r: Insertable<QoeViewsTable>) => number, of = rows) =>
      of.reduce((s, r) => s + pick(r), 0);

    before(async () => {
      server = await startTestServer(
        { FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY, FRAMEHOUSE_QOE_VIEW_TIMEOUT_MS: String(TIMEOUT_MS) },
        undefined,
        dialect,
      );
      const db = server.db;
      await insertAsset(db, A1, 'Launch video');
      await insertAsset(db, A2, 'Tutorial');
      await insertAsset(db, A3, 'Bad encode');
      const stream = await server.api<{ data: { id: string } }>('/v1/live-streams', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Evening show' }),
      });
      assert.equal(stream.status, 201);
      L1 = stream.body.data.id;

      // Asset 1, hour H.
      due('v1', {
        assetId: A1,
        startedAt: H + 5 * MINUTE,
        startupMs: 800,
        device: 'mobile',
        os: 'iOS',
        browser: 'Safari',
        country: 'KR',
        maxUpscale: 1.5,
        droppedFrames: 7,
        renditions: [
          { name: '360p', kbps: 800, playingMs: 30_000, rebufferCount: 1, rebufferMs: 3_000 },
          { name: '720p', kbps: 2_500, playingMs: 90_000, upscaledMs: 45_000 },
        ],
      });
      due('v2', {
        assetId: A1,
        startedAt: H + 6 * MINUTE,
        startupMs: 400,
        country: 'KR',
        renditions: [{ name: '720p', kbps: 2_500, playingMs: 120_000 }],
      });
      due('v3', {
        assetId: A1,
        startedAt: H + 7 * MINUTE,
        startupMs: 2_500,
        os: 'macOS',
        country: 'US',
        renditions: [{ name: '1080p', kbps: 5_000, playingMs: 60_000, rebufferCount: 2, rebufferMs: 6_000 }],
      });
      due('v4', {
        assetId: A1,
        startedAt: H + 8 * MINUTE,
        startupMs: null,
        failed: true,
        waitedMs: 5_000,
        device: 'mobile',
        os: 'Android',
        country: 'US',
      });
      // Asked to play, waited 4 s, left: an exit before start (watch time accrued).
      due('v5', {
        assetId: A1,
        startedAt: H + 9 * MINUTE,
        startupMs: null,
        waitedMs: 4_000,
        device: 'tv',
        os: 'Tizen',
        browser: 'Samsung Internet',
        country: 'FR',
      });
      // Asked to play and left at once (no watch time): the timeline's `sta=s` makes it an exit.
      due('v5b', { assetId: A1, startedAt: H + 10 * MINUTE, startupMs: null, durationMs: 0, country: 'FR' });
      // Only preloaded, never asked to play: a view, but no exit.
      due('v10', {
        assetId: A1,
        startedAt: H + 11 * MINUTE,
        startupMs: null,
        durationMs: 2_000,
        country: 'DE',
      });
      // Asset 2, hour H+1.
      due('v6', {
        assetId: A2,
        startedAt: H + HOUR + 1 * MINUTE,
        startupMs: 1_200,
        device: 'mobile',
        os: 'iOS',
        browser: 'Safari',
        country: 'KR',
        renditions: [{ name: '720p', kbps: 2_500, playingMs: 60_000 }],
      });
      due('v7', {
        assetId: A2,
        startedAt: H + HOUR + 2 * MINUTE,
        startupMs: 300,
        browser: 'Firefox',
        country: 'DE',
        renditions: [{ name: '360p', kbps: 800, playingMs: 20_000 }],
      });
      // Asset 3: slow to start and stalling, five views (one still open).
      for (let i = 0; i < 4; i++)
        due(`bad${i}`, {
          assetId: A3,
          startedAt: H + HOUR + (10 + i) * MINUTE,
          startupMs: 9_000,
          country: 'ZZ',
          renditions: [{ name: '480p', kbps: 1_200, playingMs: 50_000, rebufferCount: 3, rebufferMs: 9_000 }],
        });
      live('bad4', {
        assetId: A3,
        startedAt: THIS_HOUR + 20_000,
        startupMs: 9_000,
        country: 'ZZ',
        renditions: [{ name: '480p', kbps: 1_200, playingMs: 50_000, rebufferCount: 3, rebufferMs: 9_000 }],
      });
      // The live stream, hour H+2.
      due('v8', {
        liveStreamId: L1,
        startedAt: H + 2 * HOUR + 10_000,
        startupMs: 1_500,
        country: 'KR',
        renditions: [{ name: '720p', kbps: 2_000, playingMs: 120_000 }],
      });
      due('v9', {
        liveStreamId: L1,
        startedAt: H + 2 * HOUR + MINUTE,
        startupMs: 600,
        device: 'mobile',
        os: 'Android',
        country: 'US',
        renditions: [{ name: '720p', kbps: 2_000, playingMs: 300_000 }],
      });
      // Open views, reported a second ago.
      live('o1', {
        assetId: A1,
        startedAt: THIS_HOUR + 10_000,
        startupMs: 700,
        country: 'KR',
        renditions: [{ name: '720p', kbps: 2_500, playingMs: 60_000 }],
      });
      live('o2', {
        liveStreamId: L1,
        startedAt: THIS_HOUR + 5_000,
        startupMs: 1_000,
        country: 'KR',
        renditions: [{ name: '720p', kbps: 2_000, playingMs: 240_000 }],
      });
      await insertViews(db, rows);

      // Timelines: v1's (a player whose clock is two hours off), v5b's play request, v10's preload.
      const v1 = byName.get('v1') as Insertable<QoeViewsTable>;
      await insertEvents(
        db,
        qoeEventRows(v1.id, v1.started_at - 2 * HOUR + 123, [
          [0, 'ps', 's', {}],
          [800, 'ps', 'p', { br: 800 }],
          [20_800, 'ps', 'r', {}],
          [23_800, 'ps', 'p', {}],
          [33_800, 'bc', null, { br: 2_500 }],
          [
            60_000,
            'beacon',
            null,
            { video_width: 1280, video_height: 720, player_width: 1920, player_height: 1080 },
          ],
          [123_800, 'ps', 'e', {}],
        ]),
      );
      const v5b = byName.get('v5b') as Insertable<QoeViewsTable>;
      await insertEvents(db, qoeEventRows(v5b.id, 1_000_000, [[0, 'ps', 's', {}]]));
      const v10 = byName.get('v10') as Insertable<QoeViewsTable>;
      await insertEvents(
        db,
        qoeEventRows(v10.id, 5_000_000, [
          [0, 'ps', 'd', {}],
          [2_000, 't', 'd', {}],
        ]),
      );
    });
    after(() => server?.stop());

    const ALL = 18;
    const OPEN = 3;
    // Startup times of the 14 views that started: 300 400 | 600 700 | 800 1000 | 1200 1500 |
    // 2500 | 9000 ×5. Median: rank 7 in (1000, 1500], 6 below, 2 there → 1000 + 500 × 1/2.
    // p95: rank 13.3 in (8000, 13000], 9 below, 5 there → 8000 + 5000 × 4.3/5.
    const STARTUP_COUNTS = [0, 2, 2, 2, 2, 0, 1, 0, 0, 5, 0];
    const STARTUP_MEDIAN = 1250;
    const STARTUP_P95 = 12_300;
    const STARTUP_MEAN = 54_000 / 14;

    const checkCommonTotals = (t: Metrics) => {
      assert.equal(t.views, ALL);
      assert.equal(t.failed, 1);
      close(t.failure_rate, 1 / ALL, 'failure rate');
      assert.equal(t.startup_ms.median, STARTUP_MEDIAN);
      close(t.startup_ms.p95, STARTUP_P95, 'startup p95');
      close(t.startup_ms.mean, STARTUP_MEAN, 'startup mean');
      close(t.watch_time_seconds, sum((r) => r.watch_ms ?? 0) / 1000, 'watch time');
      close(t.playing_time_seconds, sum((r) => r.playing_ms ?? 0) / 1000, 'playing time');
      close(
        t.rebuffer_percentage,
        sum((r) => r.rebuffer_ms ?? 0) / sum((r) => r.watch_ms ?? 0),
        'rebuffer %',
      );
      // v1 (1 stall), v3 (2), the five bad views (3 each): 7 stalled of 14 started.
      close(t.rebuffered_view_rate, 7 / 14, 'rebuffered view rate');
      close(
        t.rebuffer_frequency,
        sum((r) => r.rebuffer_count ?? 0) / (sum((r) => r.watch_ms ?? 0) / 60_000),
        'rebuffer frequency',
      );
      close(
        t.average_bitrate_kbps,
        sum((r) => (r.avg_bitrate_kbps ?? 0) * (r.playing_ms ?? 0)) / sum((r) => r.playing_ms ?? 0),
        'average bitrate',
      );
      close(t.upscale_percentage, 45_000 / sum((r) => r.playing_ms ?? 0), 'upscale %');
      close(t.switches_per_view, 1 / 14, 'switches per view');
      assert.equal(t.dropped_frames, 7);
    };

    test('before closing: every view counts, as open; nothing exited yet', async () => {
      const o = await overview(range);
      assert.equal(o.from, iso(H));
      assert.equal(o.to, iso(H + 4 * HOUR));
      assert.equal(o.interval, 'hour');
      checkCommonTotals(o.totals);
      assert.equal(o.totals.open_views, ALL);
      assert.equal(o.totals.exits_before_start, 0);
      assert.deepEqual(o.histograms.startup_ms?.counts, STARTUP_COUNTS);
      // Scored: 14 started + the failed one (0); the exits are not scored until closed.
      const started = rows.filter((r) => r.startup_ms !== null);
      close(o.totals.score, sum((r) => r.score ?? 0, started) / 15, 'score');
    });

    test('the close job (its real handler) closes the silent views once, and they still count once', async () => {
      const job = closeViewsJob({ db: server.db, timeoutMs: TIMEOUT_MS });
      // Two runs at once (a lease that ran out while the first still worked): no view twice.
      await Promise.all([runJob(job), runJob(job)]);
      await runJob(job);
      const open = await server.db
        .selectFrom('qoe_views')
        .select('id')
        .where('closed_at', 'is', null)
        .execute();
      assert.deepEqual(
        open.map((r) => r.id).sort(),
        ['bad4', 'o1', 'o2'].map((n) => byName.get(n)?.id).sort(),
      );
      const exits = await server.db
        .selectFrom('qoe_views')
        .select(['id', 'score', 'success_score'])
        .where('exited_before_start', '=', 1)
        .execute();
      assert.deepEqual(exits.map((r) => r.id).sort(), [byName.get('v5')?.id, byName.get('v5b')?.id].sort());
      for (const e of exits) assert.deepEqual([e.score, e.success_score], [50, 50]);

      const o = await overview(range);
      checkCommonTotals(o.totals);
      assert.equal(o.totals.open_views, OPEN);
      assert.equal(o.totals.exits_before_start, 2);
      close(o.totals.exit_before_start_rate, 2 / ALL, 'exit rate');
      assert.deepEqual(o.histograms.startup_ms?.counts, STARTUP_COUNTS);
      assert.deepEqual(
        o.histograms.startup_ms?.bounds,
        [250, 500, 750, 1000, 1500, 2000, 3000, 5000, 8000, 13000],
      );
      // Scored: 14 started, the failed view (0), the two exits (50 each).
      const started = rows.filter((r) => r.startup_ms !== null);
      close(o.totals.score, (sum((r) => r.score ?? 0, started) + 100) / 17, 'score');
      close(o.totals.scores.success, (14 * 100 + 0 + 2 * 50) / 17, 'success part');
      close(o.totals.scores.startup, sum((r) => r.startup_score ?? 0, started) / 14, 'startup part');
      assert.equal(
        o.histograms.score?.counts.reduce((a, b) => a + b),
        17,
      );
      assert.equal(
        o.histograms.rebuffer_percentage?.counts.reduce((a, b) => a + b),
        14,
      );

      // Per hour: H has asset 1's seven closed views, H+1 asset 2's and asset 3's closed ones,
      // H+2 the live stream's two, H+3 the three open ones.
      assert.deepEqual(
        o.series.map((s) => [s.time, s.views, s.open_views]),
        [
          [iso(H), 7, 0],
          [iso(H + HOUR), 6, 0],
          [iso(H + 2 * HOUR), 2, 0],
          [iso(H + 3 * HOUR), 3, 3],
        ],
      );
      assert.equal(o.series[1]?.startup_ms.median, 8000 + (5000 * (3 - 2)) / 4);

      // The rows the job wrote: closed views once per scope, dimension and value.
      const total = await server.db
        .selectFrom('qoe_hourly')
        .select((eb) => eb.fn.sum<number>('views').as('views'))
        .where('scope', '=', 'all')
        .where('dimension', '=', 'total')
        .executeTakeFirst();
      assert.equal(Number(total?.views), ALL - OPEN);
      const daily = await server.db
        .selectFrom('qoe_daily')
        .select((eb) => eb.fn.sum<number>('views').as('views'))
        .where('scope', '=', 'asset')
        .where('dimension', '=', 'country')
        .executeTakeFirst();
      assert.equal(Number(daily?.views), 15 - 2, 'closed views of assets, once each in the daily rows too');
    });

    test('group_by each dimension: groups add up to the views, most views first', async () => {
      const count = (pick: (r: Insertable<QoeViewsTable>) => string) => {
        const m = new Map<string, number>();
        for (const r of rows) m.set(pick(r), (m.get(pick(r)) ?? 0) + 1);
        return [...m.entries()].sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : 1));
      };
      for (const [groupBy, pick] of [
        ['device', (r) => r.device_type],
        ['os', (r) => r.os],
        ['browser', (r) => r.browser],
        ['country', (r) => r.country],
      ] as [string, (r: Insertable<QoeViewsTable>) => string][]) {
        const o = await overview(`${range}&group_by=${groupBy}`);
        assert.deepEqual(
          o.groups.map((g) => [g.key, g.views]),
          count(pick),
          groupBy,
        );
      }
      const countries = await overview(`${range}&group_by=country`);
      assert.deepEqual(
        countries.groups.map((g) => [g.key, g.label, g.views, g.open_views]),
        [
          ['KR', 'KR', 6, 2],
          ['ZZ', 'ZZ', 5, 1],
          ['US', 'US', 3, 0],
          ['DE', 'DE', 2, 0],
          ['FR', 'FR', 2, 0],
        ],
      );
      const kr = countries.groups[0] as Metrics;
      // KR's started views: 800, 400, 1200, 1500, 700, 1000 → ≤500: 1, ≤750: 1, ≤1000: 2, ≤1500: 2;
      // median rank 3 → (750, 1000], 2 below, 2 there: 750 + 250 × 1/2.
      assert.equal(kr.startup_ms.median, 875);

      // Renditions: each view once per rendition it played, with that rendition's time.
      const renditions = await overview(`${range}&group_by=rendition`);
      assert.deepEqual(
        renditions.groups.map((g) => [g.key, g.views, g.playing_time_seconds]),
        [
          ['720p', 7, (90_000 + 120_000 + 60_000 + 120_000 + 300_000 + 60_000 + 240_000) / 1000],
          ['480p', 5, 250],
          ['360p', 2, 50],
          ['1080p', 1, 60],
        ],
      );
      const r360 = renditions.groups.find((g) => g.key === '360p') as Metrics;
      close(r360.average_bitrate_kbps, 800, '360p bitrate');
      close(r360.rebuffer_percentage, 3_000 / (50_000 + 3_000), '360p rebuffering');

      const assets = await overview(`${range}&group_by=asset`);
      assert.deepEqual(
        assets.groups.map((g) => [g.key, g.label, g.views, g.open_views]),
        [
          [A1, 'Launch video', 8, 1],
          [A3, 'Bad encode', 5, 1],
          [A2, 'Tutorial', 2, 0],
        ],
      );
      const streams = await overview(`${range}&group_by=live_stream`);
      assert.deepEqual(
        streams.groups.map((g) => [g.key, g.label, g.views, g.open_views]),
        [[L1, 'Evening show', 3, 1]],
      );
    });

    test('one asset: its totals and renditions; worst assets have five views or more', async () => {
      const o = await overview(`${range}&asset_id=${A1}&group_by=rendition`);
      assert.equal(o.totals.views, 8);
      assert.equal(o.totals.open_views, 1);
      assert.equal(o.totals.exits_before_start, 2);
      assert.deepEqual(
        o.groups.map((g) => [g.key, g.views]),
        [
          ['720p', 3],
          ['1080p', 1],
          ['360p', 1],
        ],
      );
      const all = await overview(range);
      const scoreOf = (names: string[], extra: number[]) => {
        const scored = names
          .map((n) => byName.get(n)?.score)
          .filter((s): s is number => typeof s === 'number');
        const values = [...scored, ...extra];
        return values.reduce((a, b) => a + b, 0) / values.length;
      };
      const a3 = scoreOf(['bad0', 'bad1', 'bad2', 'bad3', 'bad4'], []);
      // Asset 1: v1, v2, v3, o1 started; v4 failed (0); v5 and v5b exits (50 each); v10 unscored.
      const a1 = scoreOf(['v1', 'v2', 'v3', 'o1', 'v4'], [50, 50]);
      assert.ok(a3 < a1);
      assert.equal(all.worst_assets.length, 2, 'asset 2 has two views only');
      assert.deepEqual(
        all.worst_assets.map((w) => [w.asset_id, w.title, w.views]),
        [
          [A3, 'Bad encode', 5],
          [A1, 'Launch video', 8],
        ],
      );
      close(all.worst_assets[0]?.score ?? null, a3, 'asset 3 score');
      close(all.worst_assets[1]?.score ?? null, a1, 'asset 1 score');
    });

    test('one live stream: its views and viewers per minute, closed and open', async () => {
      const o = await overview(`${range}&live_stream_id=${L1}`);
      assert.equal(o.totals.views, 3);
      assert.equal(o.totals.open_views, 1);
      assert.deepEqual(o.worst_assets, []);
      // v8: H+2h+0:10 → +2:11.5 (minutes 0–2); v9: +1:00 → +6:00.6 (minutes 1–6); o2 in this hour.
      const expected = new Map<number, number>();
      const watch = (from: number, to: number) => {
        for (let m = Math.floor(from / MINUTE) * MINUTE; m <= to; m += MINUTE)
          expected.set(m, (expected.get(m) ?? 0) + 1);
      };
      watch(H + 2 * HOUR + 10_000, H + 2 * HOUR + 10_000 + 121_500);
      watch(H + 2 * HOUR + MINUTE, H + 2 * HOUR + MINUTE + 300_600);
      watch(THIS_HOUR + 5_000, THIS_HOUR + 5_000 + 241_000);
      assert.deepEqual(
        o.concurrency,
        [...expected.entries()].sort(([a], [b]) => a - b).map(([m, viewers]) => ({ time: iso(m), viewers })),
      );
      assert.deepEqual(
        o.concurrency.slice(0, 7).map((c) => c.viewers),
        [1, 2, 2, 1, 1, 1, 1],
      );
    });

    test('longer than 72 h: one point a day; the default range is the last 24 h', async () => {
      const week = await overview(`from=${encodeURIComponent(iso(NOW - 7 * 24 * HOUR))}`);
      assert.equal(week.interval, 'day');
      assert.equal(week.totals.views, ALL);
      assert.ok(week.series.every((s) => s.time.endsWith('T00:00:00.000Z')));
      assert.equal(
        week.series.reduce((n, s) => n + s.views, 0),
        ALL,
      );
      const day = await overview('');
      assert.equal(day.interval, 'hour');
      assert.equal(day.totals.views, ALL);
      assert.ok(day.series.length === 24 || day.series.length === 25);
    });

    test('views: newest first, paged by cursor, filtered', async () => {
      const seen: View[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { status: number; body: { data: View[]; next_cursor: string | null } } = await server.api(
          `/v1/qoe/views?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        assert.equal(res.status, 200);
        seen.push(...res.body.data);
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 4);
      assert.deepEqual(
        seen.map((v) => v.id),
        [...rows].sort((a, b) => b.started_at - a.started_at || (a.id < b.id ? 1 : -1)).map((r) => r.id),
      );
      const a3 = await server.api<{ data: View[] }>(`/v1/qoe/views?asset_id=${A3}`);
      assert.equal(a3.body.data.length, 5);
      assert.deepEqual(
        a3.body.data.map((v) => v.closed),
        [false, true, true, true, true],
      );
      const hour = await server.api<{ data: View[] }>(
        `/v1/qoe/views?from=${encodeURIComponent(iso(H + 2 * HOUR))}&to=${encodeURIComponent(iso(H + 3 * HOUR))}`,
      );
      assert.deepEqual(
        hour.body.data.map((v) => v.id),
        [byName.get('v9')?.id, byName.get('v8')?.id],
      );
    });

    test('one view: its timeline on the server clock and the intervals of its states', async () => {
      const v1 = byName.get('v1') as Insertable<QoeViewsTable>;
      const res = await server.api<{ data: View }>(`/v1/qoe/views/${v1.id}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const v = res.body.data;
      assert.equal(v.started_at, iso(v1.started_at));
      assert.equal(v.ended_at, iso(v1.started_at + 123_800));
      assert.equal(v.closed, true);
      assert.deepEqual(
        v.renditions.map((r) => r.rendition),
        ['360p', '720p'],
      );
      const at = (ms: number) => iso(v1.started_at + ms);
      assert.deepEqual(
        v.timeline?.map((e) => [e.time, e.event, e.state]),
        [
          [at(0), 'ps', 's'],
          [at(800), 'ps', 'p'],
          [at(20_800), 'ps', 'r'],
          [at(23_800), 'ps', 'p'],
          [at(33_800), 'bc', null],
          [at(60_000), 'beacon', null],
          [at(123_800), 'ps', 'e'],
        ],
      );
      assert.deepEqual(v.timeline?.[4]?.data, { br: 2500 });
      assert.deepEqual(v.states, [
        { state: 's', from: at(0), to: at(800), rendition: null },
        { state: 'p', from: at(800), to: at(20_800), rendition: '360p' },
        { state: 'r', from: at(20_800), to: at(23_800), rendition: '360p' },
        { state: 'p', from: at(23_800), to: at(33_800), rendition: '360p' },
        { state: 'p', from: at(33_800), to: at(123_800), rendition: '720p' },
      ]);
      const missing = await server.api<ErrorBody>('/v1/qoe/views/nosuchview123');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'FH_ERR_NOT_FOUND');
    });

    test('validation errors are 400 FH_ERR_VALIDATION; reading needs a key', async () => {
      for (const query of [
        `from=${encodeURIComponent(iso(H + HOUR))}&to=${encodeURIComponent(iso(H))}`,
        `from=${encodeURIComponent(iso(NOW - 400 * 24 * HOUR))}&to=${encodeURIComponent(iso(NOW))}`,
        `asset_id=${A1}&live_stream_id=${L1}`,
        'group_by=planet',
        `group_by=asset&asset_id=${A1}`,
        `group_by=live_stream&live_stream_id=${L1}`,
        'from=yesterday',
        'asset_id=NOT-AN-ID',
      ]) {
        const res = await server.api<ErrorBody>(`/v1/qoe/overview?${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error.code, 'FH_ERR_VALIDATION', query);
      }
      const cursor = await server.api<ErrorBody>('/v1/qoe/views?cursor=bm9wZQ');
      assert.equal(cursor.status, 400);
      assert.equal(cursor.body.error.code, 'FH_ERR_CURSOR_INVALID');
      const limit = await server.api<ErrorBody>('/v1/qoe/views?limit=0');
      assert.equal(limit.body.error.code, 'FH_ERR_VALIDATION');
      const anonymous = await fetch(new URL('/v1/qoe/overview', server.url));
      assert.equal(anonymous.status, 401);
    });

    test('prune deletes old closed views with their timelines, old rollups and live minutes, nothing else', async () => {
      const db = server.db;
      const DAY = 24 * HOUR;
      const old = [
        qoeViewRow({
          assetId: A1,
          startedAt: NOW - 40 * DAY,
          closedAt: NOW - 40 * DAY + HOUR,
          startupMs: 500,
        }),
        qoeViewRow({
          assetId: A2,
          startedAt: NOW - 31 * DAY,
          closedAt: NOW - 31 * DAY + HOUR,
          startupMs: 500,
        }),
      ];
      // Old but never closed (it could not be: it is kept until it is, and counted then).
      const oldOpen = qoeViewRow({
        assetId: A2,
        startedAt: NOW - 35 * DAY,
        receivedAt: NOW - 1000,
        startupMs: 500,
      });
      const recentClosed = qoeViewRow({
        assetId: A2,
        startedAt: NOW - 29 * DAY,
        closedAt: NOW - 29 * DAY,
        startupMs: 500,
      });
      await insertViews(db, [...old, oldOpen, recentClosed]);
      for (const v of [...old, oldOpen, recentClosed])
        await insertEvents(
          db,
          qoeEventRows(v.id as string, 1, [
            [0, 'ps', 's', {}],
            [500, 'ps', 'p', {}],
          ]),
        );
      const hourly = (hour: number) => ({
        hour,
        scope: 'all' as const,
        scope_id: '',
        dimension: 'country' as const,
        value: 'XX',
        views: 1,
        started_views: 1,
        failed: 0,
        exits_before_start: 0,
        startup_ms_sum: 1,
        watch_ms: 1,
        playing_ms: 1,
        rebuffer_count: 0,
        rebuffer_ms: 0,
        rebuffered_views: 0,
        switches: 0,
        bitrate_ms: 0,
        upscaled_ms: 0,
        dropped_frames: 0,
        scored_views: 0,
        score_sum: 0,
        success_score_sum: 0,
        startup_score_sum: 0,
        smoothness_score_sum: 0,
        quality_score_sum: 0,
        startup_hist: '[1]',
        score_hist: '[]',
        rebuffer_hist: '[]',
      });
      const thisHour = THIS_HOUR;
      await db
        .insertInto('qoe_hourly')
        .values([hourly(thisHour - 14 * 31 * DAY), hourly(thisHour - 12 * 31 * DAY)])
        .execute();
      const daily = (day: number) => {
        const { hour: _, ...row } = hourly(day);
        return { ...row, day };
      };
      const thisDay = Math.floor(NOW / DAY) * DAY;
      await db
        .insertInto('qoe_daily')
        .values([daily(thisDay - 14 * 31 * DAY), daily(thisDay - 12 * 31 * DAY)])
        .execute();
      await db
        .insertInto('qoe_live_minutes')
        .values([
          { live_stream_id: L1, minute: thisHour - 14 * 31 * DAY, viewers: 4 },
          { live_stream_id: L1, minute: thisHour - 12 * 31 * DAY, viewers: 5 },
        ])
        .execute();
      const before = await overview(range);

      await runJob(pruneJob({ db, retention: { viewDays: 30, rollupMonths: 13 } }));

      const ids = (await db.selectFrom('qoe_views').select('id').execute()).map((r) => r.id);
      for (const v of old) assert.ok(!ids.includes(v.id as string), 'old closed view deleted');
      assert.ok(ids.includes(oldOpen.id as string), 'an open view stays');
      assert.ok(ids.includes(recentClosed.id as string), 'a view of 29 days ago stays');
      assert.equal(ids.length, ALL + 2);
      const eventViews = new Set(
        (await db.selectFrom('qoe_view_events').select('view_id').execute()).map((r) => r.view_id),
      );
      for (const v of old) assert.ok(!eventViews.has(v.id as string), 'its timeline too');
      assert.ok(eventViews.has(oldOpen.id as string) && eventViews.has(recentClosed.id as string));
      const values = (
        await db.selectFrom('qoe_hourly').select('hour').where('value', '=', 'XX').execute()
      ).map((r) => Number(r.hour));
      assert.deepEqual(values, [thisHour - 12 * 31 * DAY]);
      const days = (await db.selectFrom('qoe_daily').select('day').where('value', '=', 'XX').execute()).map(
        (r) => Number(r.day),
      );
      assert.deepEqual(days, [thisDay - 12 * 31 * DAY]);
      const minutes = (
        await db.selectFrom('qoe_live_minutes').select('minute').where('minute', '<', H).execute()
      ).map((r) => Number(r.minute));
      assert.deepEqual(minutes, [thisHour - 12 * 31 * DAY]);
      // What the overview shows did not change.
      assert.deepEqual(await overview(range), before);
    });
  });
}

describe('the close job runs by itself on worker nodes (short timeout)', () => {
  test('a view silent for longer than FRAMEHOUSE_QOE_VIEW_TIMEOUT_MS is closed within seconds', async () => {
    const server = await startTestServer({ FRAMEHOUSE_QOE_VIEW_TIMEOUT_MS: '1000' });
    try {
      const now = Date.now();
      const row = qoeViewRow({ startedAt: now - 10_000, receivedAt: now - 5_000, startupMs: 500 });
      const fresh = qoeViewRow({ startedAt: now, receivedAt: now + 600_000, startupMs: 500 });
      await insertViews(server.db, [row, fresh]);
      await waitForValue(
        () =>
          server.db
            .selectFrom('qoe_views')
            .select('closed_at')
            .where('id', '=', row.id as string)
            .executeTakeFirst(),
        (r) => r?.closed_at != null,
        { timeoutMs: 15_000, intervalMs: 200, what: 'the view closed by the scheduled job' },
      );
      const still = await server.db
        .selectFrom('qoe_views')
        .select('closed_at')
        .where('id', '=', fresh.id as string)
        .executeTakeFirst();
      assert.equal(still?.closed_at, null);
    } finally {
      await server.stop();
    }
  });
});
