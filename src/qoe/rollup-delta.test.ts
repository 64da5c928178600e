import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { qoeViewRow, type ViewFixture } from '../../test/helpers/qoe-views.ts';
import {
  dailyDeltas,
  liveMinuteDeltas,
  playedRenditions,
  type RollupView,
  rollupDeltas,
  viewTally,
} from './rollup-delta.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 5, 1, 10); // an hour boundary
const view = (f: ViewFixture) => qoeViewRow(f) as unknown as RollupView;

const keysOf = (m: Map<string, unknown>) =>
  [...m.keys()].map((k) => k.split('\u001f').slice(1).join('/')).sort();

describe('rollup deltas (docs/qoe.md rollups)', () => {
  const played = view({
    id: 'v1',
    assetId: 'asset1',
    startedAt: T0 + 20 * 60_000,
    closedAt: T0 + 2 * HOUR,
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

  test('a view counts once per scope in total and each breakdown, and once per rendition played', () => {
    const deltas = rollupDeltas([played]);
    assert.deepEqual(keysOf(deltas), [
      'all//browser/Safari',
      'all//country/KR',
      'all//device/mobile',
      'all//os/iOS',
      'all//rendition/360p',
      'all//rendition/720p',
      'all//total/',
      'asset/asset1/browser/Safari',
      'asset/asset1/country/KR',
      'asset/asset1/device/mobile',
      'asset/asset1/os/iOS',
      'asset/asset1/rendition/360p',
      'asset/asset1/rendition/720p',
      'asset/asset1/total/',
    ]);
    for (const { key } of deltas.values()) assert.equal(key.bucket, T0, 'the hour the view started in');
  });

  test('total: the view’s sums and histograms', () => {
    const t = [...rollupDeltas([played]).values()].find(
      (d) => d.key.scope === 'all' && d.key.dimension === 'total',
    )?.tally;
    assert.ok(t);
    assert.equal(t.views, 1);
    assert.equal(t.open_views, 0);
    assert.equal(t.started_views, 1);
    assert.equal(t.startup_ms_sum, 800);
    // watch = startup 800 + playing 120 000 + rebuffering 3 000
    assert.equal(t.watch_ms, 123_800);
    assert.equal(t.playing_ms, 120_000);
    assert.equal(t.rebuffer_count, 1);
    assert.equal(t.rebuffer_ms, 3_000);
    assert.equal(t.rebuffered_views, 1);
    assert.equal(t.switches, 1);
    assert.equal(t.bitrate_ms, 800 * 30_000 + 2_500 * 90_000);
    assert.equal(t.upscaled_ms, 45_000);
    assert.equal(t.dropped_frames, 7);
    assert.equal(t.scored_views, 1);
    assert.equal(t.score_sum, played.score);
    assert.equal(t.success_score_sum, 100);
    assert.equal(t.quality_score_sum, 100 * (1 - (45_000 / 120_000) * 0.5));
    assert.deepEqual(t.startup_hist, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]); // 800 ms: ≤1000
    // 3000 / 123800 = 2.4 %: the ≤5 % bucket
    assert.deepEqual(t.rebuffer_hist, [0, 0, 0, 1, 0, 0, 0]);
    assert.equal(
      t.score_hist.reduce((a, b) => a + b),
      1,
    );
  });

  test('rendition rows: time, stalls and upscaling there; per-view parts whole', () => {
    const byValue = (v: string) =>
      [...rollupDeltas([played]).values()].find(
        (d) => d.key.scope === 'all' && d.key.dimension === 'rendition' && d.key.value === v,
      )?.tally;
    const low = byValue('360p');
    const high = byValue('720p');
    assert.ok(low && high);
    assert.equal(low.views, 1);
    assert.equal(low.playing_ms, 30_000);
    assert.equal(low.watch_ms, 33_000);
    assert.equal(low.rebuffer_count, 1);
    assert.equal(low.rebuffered_views, 1);
    assert.equal(low.bitrate_ms, 800 * 30_000);
    assert.equal(low.upscaled_ms, 0);
    assert.deepEqual(low.rebuffer_hist, [0, 0, 0, 0, 1, 0, 0]); // 3000 / 33000 = 9.1 %: ≤10 %
    assert.equal(high.playing_ms, 90_000);
    assert.equal(high.rebuffer_ms, 0);
    assert.equal(high.rebuffered_views, 0);
    assert.equal(high.upscaled_ms, 45_000);
    assert.deepEqual(high.rebuffer_hist, [1, 0, 0, 0, 0, 0, 0]);
    for (const t of [low, high]) {
      assert.equal(t.startup_ms_sum, 800);
      assert.equal(t.score_sum, played.score);
      assert.equal(t.switches, 1);
      assert.equal(t.dropped_frames, 7);
      assert.deepEqual(t.startup_hist, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    }
  });

  test('views of the same key add up; different hours stay apart', () => {
    const a = view({ assetId: 'x', startedAt: T0, closedAt: T0 + HOUR, startupMs: 400, country: 'FR' });
    const b = view({
      assetId: 'x',
      startedAt: T0 + 59 * 60_000,
      closedAt: T0 + HOUR,
      startupMs: 2_000,
      country: 'FR',
    });
    const c = view({
      assetId: 'x',
      startedAt: T0 + HOUR,
      closedAt: T0 + 2 * HOUR,
      startupMs: 100,
      country: 'FR',
    });
    const deltas = rollupDeltas([a, b, c]);
    const fr = [...deltas.values()].filter((d) => d.key.scope === 'asset' && d.key.value === 'FR');
    assert.equal(fr.length, 2);
    const first = fr.find((d) => d.key.bucket === T0)?.tally;
    assert.equal(first?.views, 2);
    assert.equal(first?.startup_ms_sum, 2_400);
    assert.deepEqual(first?.startup_hist, [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    assert.equal(fr.find((d) => d.key.bucket === T0 + HOUR)?.tally.views, 1);
  });

  test('an open view counts, as open; a failed view that never started has a score of 0 and no startup', () => {
    const open = viewTally(
      view({ startedAt: T0, startupMs: 1_200, renditions: [{ name: 'a', kbps: 1, playingMs: 10 }] }),
    );
    assert.equal(open.views, 1);
    assert.equal(open.open_views, 1);
    assert.equal(open.exits_before_start, 0);
    const failed = viewTally(
      view({ startedAt: T0, closedAt: T0 + HOUR, startupMs: null, failed: true, waitedMs: 4_000 }),
    );
    assert.equal(failed.failed, 1);
    assert.equal(failed.started_views, 0);
    assert.equal(failed.startup_ms_sum, 0);
    assert.equal(failed.startup_score_sum, 0);
    assert.equal(failed.scored_views, 1);
    assert.equal(failed.score_sum, 0);
    assert.deepEqual(failed.score_hist, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(
      failed.rebuffer_hist.reduce((a, b) => a + b),
      0,
      'no rebuffering histogram before a first frame',
    );
    const exited = viewTally(
      view({ startedAt: T0, closedAt: T0 + HOUR, startupMs: null, waitedMs: 3_000, exited: true }),
    );
    assert.equal(exited.exits_before_start, 1);
    assert.equal(exited.score_sum, 50);
    assert.equal(exited.success_score_sum, 50);
  });

  test('a live view counts in the live scope; the filter limits what is computed', () => {
    const live = view({
      liveStreamId: 'ls1',
      startedAt: T0,
      startupMs: 900,
      renditions: [{ name: '720p', kbps: 2_000, playingMs: 60_000 }],
    });
    const all = rollupDeltas([live]);
    assert.ok(keysOf(all).includes('live/ls1/total/'));
    assert.ok(!keysOf(all).some((k) => k.startsWith('asset/')));
    const only = rollupDeltas([live], (scope, _id, dim) => scope === 'live' && dim === 'rendition');
    assert.deepEqual(keysOf(only), ['live/ls1/rendition/720p']);
  });

  test('renditions JSON: unplayed and malformed entries are left out, an unnamed one goes by bitrate', () => {
    assert.deepEqual(
      playedRenditions(
        JSON.stringify([
          { rendition: null, bitrate_kbps: 1234.4, playing_ms: 5 },
          { rendition: 'x', bitrate_kbps: 1, playing_ms: 0, rebuffer_ms: 0 },
          7,
        ]),
      ).map((r) => r.bitrate_kbps),
      [1234.4],
    );
    assert.deepEqual(playedRenditions('oops'), []);
    const v = view({
      startedAt: T0,
      startupMs: 500,
      renditions: [{ name: null, kbps: 1234.4, playingMs: 5 }],
    });
    assert.ok(keysOf(rollupDeltas([v])).includes('all//rendition/1234 kbps'));
  });

  test('daily deltas: the hourly ones added up per UTC day', () => {
    const DAY = 24 * HOUR;
    const day = Math.floor(T0 / DAY) * DAY;
    const early = view({ startedAt: day + HOUR, closedAt: day + 2 * HOUR, startupMs: 300, country: 'JP' });
    const late = view({
      startedAt: day + 23 * HOUR + 59 * 60_000,
      closedAt: day + DAY,
      startupMs: 2_000,
      country: 'JP',
    });
    const next = view({ startedAt: day + DAY, closedAt: day + DAY + HOUR, startupMs: 9_000, country: 'JP' });
    const hourly = rollupDeltas([early, late, next]);
    const daily = dailyDeltas(hourly.values());
    const jp = [...daily.values()].filter((d) => d.key.scope === 'all' && d.key.value === 'JP');
    assert.deepEqual(
      jp.map((d) => [d.key.bucket - day, d.tally.views, d.tally.startup_ms_sum]),
      [
        [0, 2, 2_300],
        [DAY, 1, 9_000],
      ],
    );
    assert.deepEqual(jp[0]?.tally.startup_hist, [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    // The hourly deltas are left as they were.
    const h = [...hourly.values()].find(
      (d) => d.key.scope === 'all' && d.key.value === 'JP' && d.key.bucket === day + HOUR,
    );
    assert.equal(h?.tally.views, 1);
  });

  test('live minutes: every minute from start to last report, once per view', () => {
    const a = view({ liveStreamId: 's', startedAt: T0 + 30_000, durationMs: 150_000, startupMs: 500 });
    const b = view({ liveStreamId: 's', startedAt: T0 + 120_000, durationMs: 10_000, startupMs: 500 });
    const vod = view({ assetId: 'x', startedAt: T0, durationMs: 600_000, startupMs: 500 });
    const minutes = [...liveMinuteDeltas([a, b, vod]).values()].map((m) => [
      (m.minute - T0) / 60_000,
      m.viewers,
    ]);
    // a: 0:30 → 3:00 covers minutes 0, 1, 2, 3; b: 2:00 → 2:10 covers minute 2.
    assert.deepEqual(minutes, [
      [0, 1],
      [1, 1],
      [2, 2],
      [3, 1],
    ]);
    const clipped = [...liveMinuteDeltas([a], { from: T0 + 60_000, to: T0 + 180_000 }).values()].map(
      (m) => (m.minute - T0) / 60_000,
    );
    assert.deepEqual(clipped, [1, 2]);
  });
});
