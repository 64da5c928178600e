import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CmcdPlayer } from '../../test/helpers/cmcd-player.ts';
import { parseCmcdReports } from './cmcd-reports.ts';
import { BEACON_EVENT, BEACON_SN, type ViewReport } from './report.ts';
import {
  applyReports,
  compareReports,
  type LadderRung,
  MAX_SLICE_MS,
  needsReplay,
  newViewState,
  summarise,
  type ViewState,
} from './view-reducer.ts';

// Sessions as hls.js 1.7.4 reports them (test/helpers/cmcd-player.ts drives the real CmcdReporter
// as hls.js's CMCD controller does), decoded by our parser, reduced to a view.

const LADDER: LadderRung[] = [
  { name: '360p', bandwidth: 928_000, height: 360 },
  { name: '720p', bandwidth: 2_928_000, height: 720 },
  { name: '1080p', bandwidth: 5_128_000, height: 1080 },
];
const T0 = Date.now();

async function session(
  script: (p: CmcdPlayer) => void,
  opts: { autoplay?: boolean } = {},
): Promise<ViewReport[]> {
  const player = new CmcdPlayer({ sid: 'session-1', cid: 'playbackid1', now: T0, ...opts });
  try {
    script(player);
  } finally {
    player.stop();
  }
  const reports: ViewReport[] = [];
  for (const { body } of player.bodies)
    for (const r of await parseCmcdReports(body, T0)) reports.push(r.report);
  return reports;
}

const reduce = (reports: ViewReport[], closed = false) =>
  summarise(applyReports(newViewState(0), reports, LADDER), { closed });

const beacon = (ts: number, data: ViewReport['data']): ViewReport => ({
  ts,
  sn: BEACON_SN,
  event: BEACON_EVENT,
  state: null,
  data,
});

/** The start every autoplaying hls.js session shares: attach, load, first playlists, a level. */
const start = (p: CmcdPlayer, bandwidth = 2_928_000) =>
  p
    .attachMedia()
    .loadSource()
    .playlistRequest()
    .levelSwitching(bandwidth)
    .playlistRequest({ streamType: 'v' })
    .play();

describe('view reducer on hls.js sessions', () => {
  test('autoplay, one stall, the end: startup, watch and playing time, the stall, the rendition', async () => {
    const reports = await session((p) =>
      start(p).wait(1200).playing().wait(25_000).waiting().wait(2000).playing().wait(10_000).ended(),
    );
    // What hls.js sent first: sta=s at attach, then the immediate interval report.
    assert.deepEqual(
      reports.slice(0, 2).map((r) => [r.event, r.state, r.sn]),
      [
        ['ps', 's', 0],
        ['t', 's', 1],
      ],
    );
    const v = reduce(reports);
    assert.equal(v.startup_ms, 1200);
    assert.equal(v.playing_ms, 35_000);
    assert.equal(v.watch_ms, 1200 + 35_000 + 2000);
    assert.equal(v.rebuffer_count, 1);
    assert.equal(v.rebuffer_ms, 2000);
    assert.equal(v.switches, 0);
    assert.equal(v.avg_bitrate_kbps, 2928);
    assert.equal(v.failed, 0);
    assert.equal(v.stream_type, 'vod');
    assert.deepEqual(JSON.parse(v.renditions), [
      {
        rendition: '720p',
        bitrate_kbps: 2928,
        height: 720,
        playing_ms: 35_000,
        rebuffer_count: 1,
        rebuffer_ms: 2000,
        upscaled_ms: 0,
      },
    ]);
    assert.equal(v.success_score, 100);
    assert.ok(v.startup_score !== null && Math.abs(v.startup_score - (100 * (10 - 1.2)) / 9) < 1e-9);
    // 2 s of 38.2 s stalled, 1 stall in 38.2 s.
    const share = 2000 / 38_200;
    const perMinute = 1 / (38_200 / 60_000);
    const smooth = 100 * (1 - share / 0.2) * (1 - perMinute / 4);
    assert.ok(v.smoothness_score !== null && Math.abs(v.smoothness_score - smooth) < 1e-9);
    assert.equal(v.quality_score, 100);
    assert.ok(
      v.score !== null && Math.abs(v.score - Math.cbrt(v.startup_score * smooth * 100)) < 1e-9,
      String(v.score),
    );
  });

  test('an open interval runs to the last report: interval reports move playing time on', async () => {
    const reports = await session((p) => start(p).wait(500).playing().wait(31_000));
    const v = reduce(reports);
    // Playing from 0.5 s; the last `t` report came at 30 s (they come every 10 s from the start).
    assert.equal(reports.at(-1)?.event, 't');
    assert.equal(v.playing_ms, 30_000 - 500);
    assert.equal(v.watch_ms, 30_000);
  });

  test('buffering after a seek is not a stall; a stall after it is', async () => {
    const reports = await session((p) =>
      start(p)
        .wait(800)
        .playing()
        .wait(5000)
        .seeking()
        .waiting()
        .wait(1500)
        .seeked()
        .playing()
        .wait(5000)
        .waiting()
        .wait(700)
        .playing()
        .wait(3000)
        .ended(),
    );
    const v = reduce(reports);
    assert.equal(v.rebuffer_count, 1);
    assert.equal(v.rebuffer_ms, 700);
    assert.equal(v.watch_ms, 800 + 5000 + 1500 + 5000 + 700 + 3000);
    assert.equal(v.playing_ms, 5000 + 5000 + 3000);
  });

  test('seeking while paused, then buffering on play: the seek’s, not a stall', async () => {
    const reports = await session((p) =>
      start(p)
        .wait(600)
        .playing()
        .wait(4000)
        .pause()
        .wait(2000)
        .seeking()
        .seeked()
        .wait(3000)
        .play()
        .waiting()
        .wait(900)
        .playing()
        .wait(1000)
        .pause(),
    );
    const v = reduce(reports);
    assert.equal(v.rebuffer_count, 0);
    // Paused time is not watched: 0.6 s starting, 4 s + 1 s playing, 0.9 s buffering after the seek.
    assert.equal(v.watch_ms, 600 + 4000 + 900 + 1000);
  });

  test('without autoplay: preloading is not watched, startup runs from the click', async () => {
    const reports = await session(
      (p) =>
        p
          .attachMedia()
          .loadSource()
          .playlistRequest()
          .levelSwitching(928_000)
          .wait(7000)
          .play()
          .wait(650)
          .playing()
          .wait(4000)
          .pause(),
      { autoplay: false },
    );
    assert.equal(reports[0]?.state, 'd');
    const v = reduce(reports);
    assert.equal(v.startup_ms, 650);
    assert.equal(v.watch_ms, 650 + 4000);
    assert.equal(v.playing_ms, 4000);
  });

  test('bitrate switches after the first frame: counted, time split per rendition, average weighted', async () => {
    const reports = await session((p) =>
      start(p, 928_000)
        .wait(1000)
        .playing()
        .wait(6000)
        .levelSwitching(2_928_000)
        .wait(4000)
        .levelSwitching(5_128_000)
        .wait(10_000)
        .pause(),
    );
    const v = reduce(reports);
    assert.equal(v.switches, 2);
    assert.equal(v.playing_ms, 20_000);
    assert.equal(v.avg_bitrate_kbps, (928 * 6000 + 2928 * 4000 + 5128 * 10_000) / 20_000);
    assert.deepEqual(
      JSON.parse(v.renditions).map((r: { rendition: string; playing_ms: number }) => [
        r.rendition,
        r.playing_ms,
      ]),
      [
        ['360p', 6000],
        ['720p', 4000],
        ['1080p', 10_000],
      ],
    );
  });

  test('a bitrate is matched to the rendition whose bandwidth is nearest', async () => {
    // 2,100 kbps is nearer 720p (2,928) than 360p (928).
    const reports = await session((p) => start(p, 2_100_000).wait(300).playing().wait(1000).pause());
    const v = reduce(reports);
    assert.deepEqual(
      JSON.parse(v.renditions).map((r: { rendition: string }) => r.rendition),
      ['720p'],
    );
    assert.equal(v.avg_bitrate_kbps, 2100);
  });

  test('a fatal error before the first frame: failed with its code, success 0, no other part', async () => {
    const reports = await session((p) => start(p).wait(3000).fatalError('manifestLoadError'));
    const v = reduce(reports, true);
    assert.equal(v.failed, 1);
    assert.equal(v.error_code, 'manifestLoadError');
    assert.equal(v.exited_before_start, 0);
    assert.equal(v.success_score, 0);
    assert.equal(v.score, 0);
    assert.equal(v.startup_score, null);
    assert.equal(v.startup_ms, null);
  });

  test('a failure after playing scores 0 but keeps its other parts', async () => {
    const reports = await session((p) => start(p).wait(500).playing().wait(8000).fatalError('fragLoadError'));
    const v = reduce(reports);
    assert.equal(v.failed, 1);
    assert.equal(v.error_code, 'fragLoadError');
    assert.equal(v.score, 0);
    assert.equal(v.startup_score, 100);
    assert.equal(v.playing_ms, 8000);
  });

  test('left before the first frame: an exit once closed (success 50), undecided while open', async () => {
    const reports = await session((p) => start(p).wait(6000));
    const open = reduce(reports, false);
    assert.equal(open.exited_before_start, 0);
    assert.equal(open.success_score, null);
    assert.equal(open.score, null);
    const closed = reduce(reports, true);
    assert.equal(closed.exited_before_start, 1);
    assert.equal(closed.success_score, 50);
    assert.equal(closed.score, 50);
    assert.equal(closed.startup_ms, null);
  });

  test('a new reporter on the same session (loadSource again) numbers from 0: time still orders it', async () => {
    const reports = await session((p) =>
      start(p)
        .wait(1000)
        .playing()
        .wait(5000)
        .loadSource()
        .playlistRequest()
        .wait(400)
        .waiting()
        .wait(600)
        .playing()
        .wait(2000)
        .pause(),
    );
    const sns = reports.map((r) => r.sn);
    assert.ok(sns.indexOf(0, 1) > 0, 'sn starts again at 0');
    // The new reporter says `p` again at once; hls.js reports no `r` until its first frame after
    // the reload (`initialized` is false again), so that buffering shows as playing.
    const v = reduce(reports);
    assert.equal(v.playing_ms, 5000 + 400 + 600 + 2000);
    assert.equal(v.rebuffer_count, 0);
  });

  test('live: st=l makes the stream type', async () => {
    const reports = await session((p) =>
      p.attachMedia().loadSource().playlistRequest({ streamType: 'l' }).play().wait(900).playing().wait(1000),
    );
    assert.equal(reduce(reports).stream_type, 'live');
  });
});

describe('view reducer: beacons, msd, order', () => {
  test('upscaled time follows the last beacon’s fit factor; the largest factor and dropped frames are kept', async () => {
    const reports = await session((p) => start(p).wait(1000).playing().wait(30_000).pause());
    const playingAt = reports.find((r) => r.state === 'p')?.ts as number;
    const all = [
      ...reports,
      // 1280×720 in a 1920×1080 player: 1.5×, from 5 s of playing to 15 s.
      beacon(playingAt + 5000, {
        video_width: 1280,
        video_height: 720,
        player_width: 1920,
        player_height: 1080,
        dropped_frames: 3,
      }),
      // 1.04× is not upscaled.
      beacon(playingAt + 15_000, {
        video_width: 1920,
        video_height: 1080,
        player_width: 2000,
        player_height: 1124,
        dropped_frames: 12,
      }),
    ];
    const v = reduce(all);
    assert.equal(v.upscaled_ms, 10_000);
    assert.equal(v.max_upscale, 1.5);
    assert.equal(v.dropped_frames, 12);
    // u = 10 / 30 of playing time, m − 1 = 0.5.
    assert.ok(v.quality_score !== null && Math.abs(v.quality_score - 100 * (1 - (1 / 3) * 0.5)) < 1e-9);
    assert.equal(JSON.parse(v.renditions)[0].upscaled_ms, 10_000);
  });

  test('msd, when sent, is the startup time', () => {
    const reports: ViewReport[] = [
      { ts: 1000, sn: 0, event: 'ps', state: 's', data: {} },
      { ts: 3000, sn: 1, event: 'ps', state: 'p', data: { msd: 1700 } },
    ];
    assert.equal(reduce(reports).startup_ms, 1700);
  });

  test('the first p is the play request when no s came', () => {
    const reports: ViewReport[] = [
      { ts: 1000, sn: 0, event: 'ps', state: 'd', data: {} },
      { ts: 3000, sn: 1, event: 'ps', state: 'p', data: {} },
      { ts: 5000, sn: 2, event: 't', state: 'p', data: {} },
    ];
    const v = reduce(reports);
    assert.equal(v.startup_ms, 0);
    assert.equal(v.playing_ms, 2000);
  });

  test('out of order: needsReplay says so, and a replay gives what in-order application gives', async () => {
    const reports = await session((p) =>
      start(p)
        .wait(1000)
        .playing()
        .wait(12_000)
        .waiting()
        .wait(1000)
        .playing()
        .levelSwitching(5_128_000)
        .wait(9000)
        .seeking()
        .waiting()
        .wait(500)
        .playing()
        .wait(4000)
        .ended(),
    );
    const inOrder = reduce(reports);
    // Delivered in a shuffled order, a few at a time, as racing requests would bring them.
    const shuffled = [...reports].sort((a, b) => ((a.sn * 7919 + a.ts) % 13) - ((b.sn * 7919 + b.ts) % 13));
    let state: ViewState = newViewState(0);
    const stored: ViewReport[] = [];
    let replays = 0;
    for (let i = 0; i < shuffled.length; i += 3) {
      const part = shuffled.slice(i, i + 3);
      stored.push(...part);
      if (needsReplay(state, part)) {
        replays++;
        state = applyReports(newViewState(0), [...stored].sort(compareReports), LADDER);
      } else state = applyReports(state, part, LADDER);
    }
    assert.ok(replays > 0, 'the shuffled order needed replays');
    assert.deepEqual(summarise(state, { closed: false }), inOrder);
  });

  test('the state is plain JSON: stored and read back, it goes on exactly as before', async () => {
    const reports = await session((p) =>
      start(p).wait(700).playing().wait(11_000).waiting().wait(800).playing().wait(5000),
    );
    const half = Math.floor(reports.length / 2);
    const first = applyReports(newViewState(42), reports.slice(0, half), LADDER);
    const stored = JSON.parse(JSON.stringify(first)) as ViewState;
    assert.deepEqual(stored, first);
    const rest = reports.slice(half);
    assert.equal(needsReplay(stored, rest), false);
    assert.deepEqual(
      summarise(applyReports(stored, rest, LADDER), { closed: false }),
      summarise(applyReports(newViewState(42), reports, LADDER), { closed: false }),
    );
  });

  test('applyReports leaves its input state alone', () => {
    const state = newViewState(0);
    const copy = structuredClone(state);
    applyReports(state, [{ ts: 1, sn: 0, event: 'ps', state: 'p', data: { br: 900 } }], LADDER);
    assert.deepEqual(state, copy);
  });

  test('content without a known ladder: the bitrate names the rendition', () => {
    const reports: ViewReport[] = [
      { ts: 0, sn: 0, event: 'ps', state: 's', data: {} },
      { ts: 100, sn: 1, event: 'bc', state: 's', data: { br: 1234.4 } },
      { ts: 200, sn: 2, event: 'ps', state: 'p', data: { br: 1234.4 } },
      { ts: 1200, sn: 3, event: 't', state: 'p', data: { br: 1234.4 } },
    ];
    const v = summarise(applyReports(newViewState(0), reports, []), { closed: false });
    assert.deepEqual(
      JSON.parse(v.renditions).map((r: { rendition: string; playing_ms: number }) => [
        r.rendition,
        r.playing_ms,
      ]),
      [['1234k', 1000]],
    );
  });
});

test('a gap between two reports adds at most MAX_SLICE_MS: a slept device or a hostile pair of reports', () => {
  const at = (ts: number, event: string, state: ViewReport['state']): ViewReport => ({
    ts,
    sn: 0,
    event,
    state,
    data: {},
  });
  const reports = [at(T0, 'ps', 's'), at(T0 + 1000, 'ps', 'p'), at(T0 + 48 * 3600_000, 't', 'p')];
  const v = summarise(applyReports(newViewState(0), reports, LADDER), { closed: true });
  assert.equal(v.playing_ms, MAX_SLICE_MS);
  assert.equal(v.watch_ms, 1000 + MAX_SLICE_MS);
});

test('bitrates of content with no known ladder: at most 16 renditions, the rest "other"', () => {
  const reports: ViewReport[] = [{ ts: T0, sn: 0, event: 'ps', state: 'p', data: {} }];
  for (let i = 1; i <= 40; i++)
    reports.push({ ts: T0 + i * 100, sn: i, event: 'bc', state: null, data: { br: 100 + i } });
  const state = applyReports(newViewState(0), reports, []);
  const names = Object.keys(state.renditions);
  assert.equal(names.length, 17);
  assert.ok(names.includes('other'));
});
