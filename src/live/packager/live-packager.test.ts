import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import HLS from 'hls-parser';
import type { MasterPlaylist, MediaPlaylist } from 'hls-parser/types.js';
import { recordLiveFmp4, spawnLiveFmp4 } from '../../../test/fixtures/live-fmp4.ts';
import { ffprobeJson } from '../../../test/fixtures/media.ts';
import { type Fmp4Fragment, type Fmp4Init, readFmp4 } from './fmp4-reader.ts';
import {
  type CompletedSegment,
  LivePackager,
  type LivePackagerOptions,
  type PlaylistAnswer,
} from './live-packager.ts';

HLS.setOptions({ strictMode: true });

const RENDITIONS = [
  { name: 'r0', width: 320, height: 180, bandwidth: 800_000, codecs: 'avc1.42c00d,mp4a.40.2', frameRate: 30 },
  { name: 'r1', width: 320, height: 180, bandwidth: 400_000, codecs: 'avc1.42c00d,mp4a.40.2', frameRate: 30 },
];

async function read(stream: Buffer): Promise<{ init: Fmp4Init; fragments: Fmp4Fragment[] }> {
  let init: Fmp4Init | null = null;
  const fragments: Fmp4Fragment[] = [];
  for await (const item of readFmp4(Readable.from([stream]))) {
    if ('init' in item) init = item.init;
    else fragments.push(item.fragment);
  }
  assert.ok(init);
  return { init, fragments };
}

function packager(extra: Partial<LivePackagerOptions> = {}): LivePackager {
  return new LivePackager({
    renditions: RENDITIONS,
    lowLatency: true,
    partTarget: 1 / 3,
    segmentTarget: 2,
    dvrWindowSeconds: 1800,
    ...extra,
  });
}

function body(answer: PlaylistAnswer): string {
  assert.equal(answer.status, 200, 'message' in answer ? answer.message : '');
  return (answer as { body: string }).body;
}

function parseMedia(text: string): MediaPlaylist {
  const p = HLS.parse(text);
  assert.equal(p.isMasterPlaylist, false);
  return p as MediaPlaylist;
}

/** The spec's rules a live LL-HLS playlist must keep, checked on hls-parser's reading of it. */
function checkRules(text: string, keyframes: boolean[]): MediaPlaylist {
  const p = parseMedia(text);
  const target = p.targetDuration;
  const partTarget = p.partTargetDuration ?? 0;
  const llc = p.lowLatencyCompatibility;
  assert.ok(llc?.canBlockReload);
  assert.ok((llc?.holdBack ?? 0) >= 3 * target, 'HOLD-BACK ≥ 3 × target');
  assert.ok((llc?.partHoldBack ?? 0) >= 3 * partTarget - 1e-4, 'PART-HOLD-BACK ≥ 3 × part target');
  assert.ok((llc?.canSkipUntil ?? 0) >= 6 * target, 'CAN-SKIP-UNTIL ≥ 6 × target');
  let lastPdt = -Infinity;
  let withParts = false;
  let fromEnd = p.segments.reduce(
    (n, s) => n + (s.duration || s.parts.reduce((m, x) => m + (x.duration ?? 0), 0)),
    0,
  );
  for (const [i, s] of p.segments.entries()) {
    assert.equal(s.mediaSequenceNumber, (p.mediaSequenceBase ?? 0) + p.skip + i, 'msn continuity');
    if (s.uri)
      assert.ok(Math.round(s.duration) <= target && s.duration <= target, `EXTINF ${s.duration} > ${target}`);
    const pdt = s.programDateTime?.getTime() ?? Number.NaN;
    assert.ok(pdt > lastPdt, 'PDT increases');
    lastPdt = pdt;
    const real = s.parts.filter((x) => !x.hint);
    if (real.length > 0) withParts = true;
    // Once parts are listed, every later segment lists them (they are only for the last segments).
    else assert.ok(!withParts, `segment ${s.mediaSequenceNumber} has no parts after one that had`);
    const span = s.duration || real.reduce((m, x) => m + (x.duration ?? 0), 0);
    if (real.length > 0 && i < p.segments.length - 1) {
      assert.ok(
        fromEnd <= 3 * target + 1e-4,
        `parts of ${s.mediaSequenceNumber} are ${fromEnd} s from the end`,
      );
    }
    fromEnd -= span;
    for (const [j, part] of real.entries()) {
      assert.ok((part.duration ?? 0) <= partTarget, `part ${part.duration} > PART-TARGET ${partTarget}`);
      const index = s.mediaSequenceNumber * 6 + j; // 2 s segments of 6 parts from a 2 s GOP
      assert.equal(part.independent === true, keyframes[index] === true, `INDEPENDENT on ${part.uri}`);
      assert.equal(part.uri, `part_${s.mediaSequenceNumber}_${j}.m4s`);
    }
  }
  assert.ok(withParts || p.endlist, 'a live playlist lists parts');
  return p;
}

describe('LivePackager on real ffmpeg output (20 s, 30 fps)', () => {
  let init: Fmp4Init;
  let fragments: Fmp4Fragment[];
  let dir: string;

  before(async () => {
    ({ init, fragments } = await read(await recordLiveFmp4(20, 30)));
    dir = await mkdtemp(join(tmpdir(), 'fh-packager-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('renders a valid LL-HLS playlist after every fragment, for every rendition', async () => {
    const p = packager();
    for (const r of RENDITIONS) p.addInit(r.name, init);
    const keyframes = fragments.map((f) => f.startsWithKeyframe);
    for (const [i, f] of fragments.entries()) {
      p.addFragment('r0', f);
      const text = body(await p.mediaPlaylist('r0', {}));
      const parsed = checkRules(text, keyframes);
      // The hint names the part the next fragment will be; part numbers restart on a new segment.
      const last = parsed.segments.at(-1);
      const hint = last?.parts.find((x) => x.hint);
      const next = fragments[i + 1];
      // After the first GOP the hint names exactly the part the next fragment becomes.
      if (hint && next && i >= 6) {
        const msn = last?.mediaSequenceNumber ?? 0;
        const expected = next.startsWithKeyframe
          ? `part_${msn + 1}_0.m4s`
          : `part_${msn}_${(last?.parts.length ?? 1) - 1}.m4s`;
        assert.equal(hint.uri, expected);
      }
      p.addFragment('r1', f);
    }
    const text = body(await p.mediaPlaylist('r0', {}));
    const parsed = checkRules(text, keyframes);
    assert.equal(parsed.targetDuration, 2);
    assert.equal(parsed.partTargetDuration, 0.33334);
    assert.equal(parsed.segments.length, 10); // 9 complete, the 10th open
    assert.deepEqual(
      parsed.renditionReports.map((r) => ({ ...r })),
      [{ uri: '../r1/index.m3u8', lastMSN: 9, lastPart: 5 }],
    );
    assert.match(text, /^#EXT-X-VERSION:9$/m);
    assert.match(text, /^#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_10_0.m4s"$/m);
    // PDT: the prft wall clock of the first fragment, then media time.
    const pdt = parsed.segments.map((s) => s.programDateTime?.getTime() ?? 0);
    assert.equal(pdt[0], Math.round(fragments[0]?.wallClock as number));
    for (let i = 1; i < pdt.length; i++) {
      assert.ok(Math.abs((pdt[i] as number) - (pdt[i - 1] as number) - 2000) <= 1, 'PDT steps by EXTINF');
    }
    p.end();
    const ended = parseMedia(body(await p.mediaPlaylist('r0', {})));
    assert.ok(ended.endlist);
    assert.equal(ended.segments.at(-1)?.uri, 'seg_9.m4s');
    assert.ok(!ended.segments.some((s) => s.parts.some((x) => x.hint)));
  });

  it('makes segments of parts: init + parts = a segment ffprobe reads; onSegment gets each once', async () => {
    const completed: CompletedSegment[] = [];
    const p = packager({ onSegment: (s) => completed.push(s) });
    p.addInit('r0', init);
    for (const f of fragments.slice(0, 13)) p.addFragment('r0', f);
    assert.deepEqual(
      completed.map((s) => [s.msn, s.rendition, s.initId, s.discontinuity]),
      [
        [0, 'r0', 0, false],
        [1, 'r0', 0, false],
      ],
    );
    const seg = p.segment('r0', 1);
    assert.ok(seg);
    const parts = [0, 1, 2, 3, 4, 5].map((i) => p.segment('r0', 1) && (p as LivePackager).part('r0', 1, i));
    const bytes = await Promise.all(parts);
    assert.ok(Buffer.concat(bytes as Buffer[]).equals(seg));
    assert.ok(completed[1]?.bytes.equals(seg));
    assert.ok(p.init('r0', 0)?.equals(init.bytes));
    const file = join(dir, 'seg1.mp4');
    await writeFile(file, Buffer.concat([init.bytes, seg]));
    const probe = (await ffprobeJson(file)) as {
      streams: { codec_name: string }[];
      format: { duration: string; start_time: string };
    };
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.ok(Math.abs(Number(probe.format.duration) - Number(probe.format.start_time) - 2) < 0.1);
    assert.ok(Math.abs((completed[1]?.duration ?? 0) - 2) < 1e-3);
    assert.equal(
      Date.parse(completed[1]?.programDateTime ?? ''),
      Math.round((fragments[0]?.wallClock ?? 0) + 2000),
    );
  });

  it('answers a delta update with EXT-X-SKIP for the segments before CAN-SKIP-UNTIL', async () => {
    const p = packager();
    p.addInit('r0', init);
    for (const f of fragments) p.addFragment('r0', f);
    const full = parseMedia(body(await p.mediaPlaylist('r0', {})));
    const deltaText = body(await p.mediaPlaylist('r0', { skip: 'YES' }));
    const delta = parseMedia(deltaText);
    // 10 segments of 2 s (the last open with 5 parts); CAN-SKIP-UNTIL 12 s: those ending ≥ 12 s before the end.
    const total = full.segments.reduce(
      (n, s) => n + (s.duration || s.parts.reduce((m, x) => m + (x.duration ?? 0), 0)),
      0,
    );
    let expected = 0;
    let end = 0;
    for (const s of full.segments) {
      end += s.duration || 0;
      if (s.uri && total - end >= 12 - 1e-9) expected++;
    }
    assert.ok(expected >= 2);
    assert.equal(delta.skip, expected);
    assert.match(deltaText, new RegExp(`^#EXT-X-SKIP:SKIPPED-SEGMENTS=${expected}$`, 'm'));
    assert.equal(delta.segments.length + delta.skip, full.segments.length);
    assert.equal(delta.segments[0]?.mediaSequenceNumber, full.segments[expected]?.mediaSequenceNumber);
    assert.equal(delta.segments[0]?.map?.uri, 'init_0.mp4');
    checkRules(
      deltaText,
      fragments.map((f) => f.startsWithKeyframe),
    );
  });

  it('keeps the DVR window in the playlist and only the newest segments in memory', async () => {
    const completed: CompletedSegment[] = [];
    const p = packager({ dvrWindowSeconds: 14, memorySegments: 6, onSegment: (s) => completed.push(s) });
    p.addInit('r0', init);
    for (const f of fragments) p.addFragment('r0', f);
    p.end();
    const parsed = parseMedia(body(await p.mediaPlaylist('r0', {})));
    // 10 segments of 2 s with a 14 s window: the first three left the playlist.
    assert.equal(parsed.mediaSequenceBase, 3);
    assert.equal(parsed.segments.length, 7);
    assert.equal(completed.length, 10);
    assert.equal(p.segment('r0', 3), null); // in the playlist, out of memory: the store has it
    assert.equal(p.segment('r0', 1), null); // out of the window
    assert.equal(p.segment('r0', 4)?.length, completed[4]?.bytes.length);
    assert.ok(p.segment('r0', 9));
    assert.equal(await p.part('r0', 3, 0), null);
  });

  it('standard mode: 6 s segments, no parts, hints or blocking', async () => {
    const p = packager({ lowLatency: false, segmentTarget: 6 });
    p.addInit('r0', init);
    for (const f of fragments) p.addFragment('r0', f);
    const text = body(await p.mediaPlaylist('r0', { msn: 99, part: 0 }));
    const parsed = parseMedia(text);
    assert.equal(parsed.targetDuration, 6);
    assert.deepEqual(
      parsed.segments.filter((s) => s.uri).map((s) => Math.round(s.duration)),
      [6, 6, 6],
    );
    assert.doesNotMatch(text, /EXT-X-PART|PRELOAD-HINT|SERVER-CONTROL|RENDITION-REPORT/);
    assert.match(text, /^#EXT-X-VERSION:6$/m);
    assert.equal(await p.part('r0', 0, 0), null);
  });

  it('a discontinuity closes the open segments; a new init gets a new EXT-X-MAP', async () => {
    const completed: CompletedSegment[] = [];
    const p = packager({ onSegment: (s) => completed.push(s) });
    p.addInit('r0', init);
    for (const f of fragments.slice(0, 8)) p.addFragment('r0', f);
    p.discontinuity();
    assert.equal(completed.length, 2); // the open segment (2 parts) closed at once
    // The encoder came back with a changed init: timestamps start over.
    const changed = Buffer.from(init.bytes);
    changed.writeUInt8((changed.at(-1) as number) ^ 1, changed.length - 1);
    p.addInit('r0', { ...init, bytes: changed });
    for (const f of fragments.slice(0, 7)) p.addFragment('r0', f);
    const text = body(await p.mediaPlaylist('r0', {}));
    const parsed = parseMedia(text);
    assert.equal(parsed.discontinuitySequenceBase, 0);
    const after = parsed.segments[2];
    assert.equal(after?.discontinuity, true);
    assert.equal(after?.mediaSequenceNumber, 2);
    assert.equal(after?.map?.uri, 'init_1.mp4');
    assert.match(text, /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init_1.mp4"/);
    assert.equal(parsed.segments[1]?.duration.toFixed(3), '0.667');
    // An encoder restart with the same init is seen by its timestamps going back.
    p.addFragment('r0', fragments[0] as Fmp4Fragment);
    const again = parseMedia(body(await p.mediaPlaylist('r0', {})));
    assert.equal(again.segments.filter((s) => s.discontinuity).length, 2);
    assert.ok(p.init('r0', 1)?.equals(changed));
  });

  it('resumes after a failover: recorded segments listed, numbering goes on after a discontinuity', async () => {
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    const recorded = [0, 1, 2].map((i) => ({
      msn: 40 + i,
      duration: 2,
      programDateTime: new Date(start + i * 2000).toISOString(),
      discontinuity: i === 1,
      initId: i === 0 ? 0 : 1,
    }));
    const p = packager({
      resume: { nextMsn: 43, discontinuitySequence: 5, segments: { r0: recorded, r1: recorded } },
    });
    p.addInit('r0', init);
    for (const f of fragments.slice(0, 7)) p.addFragment('r0', f);
    const text = body(await p.mediaPlaylist('r0', {}));
    const parsed = parseMedia(text);
    assert.equal(parsed.mediaSequenceBase, 40);
    assert.equal(parsed.discontinuitySequenceBase, 5);
    // (hls-parser gives the open segment, 44, no map of its own.)
    assert.equal(parsed.segments.length, 5);
    assert.deepEqual(
      parsed.segments.slice(0, 4).map((s) => [s.mediaSequenceNumber, s.discontinuity === true, s.map?.uri]),
      [
        [40, false, 'init_0.mp4'],
        [41, true, 'init_1.mp4'],
        [42, false, 'init_1.mp4'],
        [43, true, 'init_2.mp4'],
      ],
    );
    assert.equal(p.segment('r0', 41), null);
    assert.ok(p.segment('r0', 43));
    assert.equal(p.init('r0', 1), null); // recorded before: the caller reads the store
  });

  it('writes a master playlist hls-parser reads', () => {
    const p = packager();
    const master = HLS.parse(p.masterPlaylist()) as MasterPlaylist;
    assert.ok(master.isMasterPlaylist);
    assert.ok(master.independentSegments);
    assert.deepEqual(
      master.variants.map((v) => [v.uri, v.bandwidth, v.resolution, v.codecs, v.frameRate]),
      RENDITIONS.map((r) => [`${r.name}/index.m3u8`, r.bandwidth, { width: 320, height: 180 }, r.codecs, 30]),
    );
    p.setRenditions([RENDITIONS[1] as (typeof RENDITIONS)[number]]);
    assert.deepEqual(
      (HLS.parse(p.masterPlaylist()) as MasterPlaylist).variants.map((v) => v.uri),
      ['r1/index.m3u8'],
    );
  });

  it('measures ffmpeg fragments at 25 fps: 9 frames (0.36 s) at most, so PART-TARGET 0.36', async () => {
    const at25 = await read(await recordLiveFmp4(6, 25));
    const durations = at25.fragments.map((f) => Math.round(f.duration * 25));
    assert.ok(Math.max(...durations) <= 9, durations.join(','));
    const p = packager({ partTarget: 0.36 });
    p.addInit('r0', at25.init);
    for (const f of at25.fragments) p.addFragment('r0', f);
    // Ended: hls-parser counts the hint as a part, so a live open segment's short last part (the 7th
    // frame before a keyframe) would look like a short middle part to it.
    p.end();
    const parsed = parseMedia(body(await p.mediaPlaylist('r0', {})));
    assert.equal(parsed.partTargetDuration, 0.36);
    for (const s of parsed.segments) for (const x of s.parts) assert.ok((x.duration ?? 0) <= 0.36);
  });
});

describe('LivePackager blocking reload', () => {
  let init: Fmp4Init;
  let fragments: Fmp4Fragment[];
  before(async () => {
    ({ init, fragments } = await read(await recordLiveFmp4(20, 30)));
  });

  function started(count: number, extra: Partial<LivePackagerOptions> = {}) {
    const p = packager(extra);
    for (const r of RENDITIONS) p.addInit(r.name, init);
    for (const f of fragments.slice(0, count)) p.addFragment('r0', f);
    return p;
  }

  it('answers a request for the next part after it is added, not before, with one shared rendering', async () => {
    const p = started(8); // segment 1 open with 2 parts: the next part is part_1_2
    const rendersBefore = p.renderCount;
    let answeredAt = 0;
    const answers = Array.from({ length: 200 }, () =>
      p.mediaPlaylist('r0', { msn: 1, part: 2 }).then((a) => {
        answeredAt ||= performance.now();
        return a;
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(answeredAt, 0, 'answered before the part existed');
    assert.equal(p.waitingCount, 200);
    // Another rendition's part changes nothing for these waiters.
    p.addFragment('r1', fragments[0] as Fmp4Fragment);
    await new Promise((r) => setImmediate(r));
    assert.equal(answeredAt, 0);
    const addedAt = performance.now();
    p.addFragment('r0', fragments[8] as Fmp4Fragment);
    const bodies = (await Promise.all(answers)).map(body);
    const delay = answeredAt - addedAt;
    assert.ok(delay >= 0 && delay < 20, `answered ${delay.toFixed(2)} ms after the part`);
    assert.equal(new Set(bodies).size, 1);
    assert.equal(p.renderCount - rendersBefore, 1, 'rendered once for 200 waiters');
    assert.match(bodies[0] as string, /part_1_2\.m4s/);
    // A later request for the same version gets the same text without rendering again.
    assert.equal(body(await p.mediaPlaylist('r0', { msn: 1, part: 2 })), bodies[0]);
    assert.equal(p.renderCount - rendersBefore, 1);
    assert.equal(p.waitingCount, 0);
  });

  it('a request for a whole segment waits for it to complete; a part index past the end means the next segment', async () => {
    const p = started(8);
    let done = false;
    const whole = p.mediaPlaylist('r0', { msn: 1 }).then((a) => {
      done = true;
      return a;
    });
    for (const f of fragments.slice(8, 12)) p.addFragment('r0', f);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'segment 1 is not complete yet');
    p.addFragment('r0', fragments[12] as Fmp4Fragment); // keyframe: closes segment 1
    assert.match(body(await whole), /seg_1\.m4s/);
    // Segment 1 has 6 parts: part 9 of it is part 0 of segment 2, which exists.
    assert.equal((await p.mediaPlaylist('r0', { msn: 1, part: 9 })).status, 200);
  });

  it('answers 503 after the bound, 400 for the cases the spec names, at once after end()', async () => {
    const p = started(8, { blockingTimeoutMs: 150 });
    const t0 = performance.now();
    const late = await p.mediaPlaylist('r0', { msn: 3, part: 0 });
    assert.equal(late.status, 503);
    assert.ok(performance.now() - t0 >= 140);
    assert.equal((await p.mediaPlaylist('r0', { part: 1 })).status, 400);
    assert.equal((await p.mediaPlaylist('r0', { msn: 4 })).status, 400); // last is 1: more than two past
    assert.equal((await p.mediaPlaylist('r0', { msn: -1 })).status, 400);
    assert.equal((await p.mediaPlaylist('nope', {})).status, 404);
    const waiting = p.mediaPlaylist('r0', { msn: 3 });
    p.end();
    const ended = parseMedia(body(await waiting));
    assert.ok(ended.endlist);
    assert.equal((await p.mediaPlaylist('r0', { msn: 3, part: 0 })).status, 200);
  });

  it('the default bound is three target durations', async () => {
    const p = started(8);
    const t0 = performance.now();
    const late = await p.mediaPlaylist('r0', { msn: 2, part: 3 });
    assert.equal(late.status, 503);
    const waited = performance.now() - t0;
    assert.ok(waited >= 5900 && waited < 7000, `${waited} ms`);
  });

  it('a request that goes away stops waiting: no waiter, no timer left', async () => {
    const p = started(8);
    const timers = () => process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    const before = timers();
    const controllers = Array.from({ length: 50 }, () => new AbortController());
    const answers = controllers.map((c, i) =>
      i % 2 ? p.mediaPlaylist('r0', { msn: 1, part: 4 }, c.signal) : p.part('r0', 1, 2, c.signal),
    );
    assert.equal(p.waitingCount, 50);
    assert.equal(timers(), before + 50);
    for (const c of controllers) c.abort();
    const results = await Promise.all(answers);
    assert.ok(
      results.every((r) => r === null || (typeof r === 'object' && 'status' in r && r.status === 503)),
    );
    assert.equal(p.waitingCount, 0);
    assert.equal(timers(), before);
    const gone = new AbortController();
    gone.abort();
    assert.equal((await p.mediaPlaylist('r0', { msn: 1, part: 4 }, gone.signal)).status, 503);
    assert.equal(p.waitingCount, 0);
  });

  it('part() waits for the hinted part, answers far-future parts null at once', async () => {
    const p = started(8);
    assert.equal(await p.part('r0', 5, 0), null);
    assert.equal(await p.part('r0', 1, 4), null);
    const hinted = p.part('r0', 1, 2);
    const nextSegment = p.part('r0', 2, 0);
    p.addFragment('r0', fragments[8] as Fmp4Fragment);
    assert.ok((await hinted)?.equals(fragments[8]?.bytes as Buffer));
    // A hint for a part the segment closes before: null once the keyframe starts segment 2.
    for (const f of fragments.slice(9, 12)) p.addFragment('r0', f);
    const passedBy = p.part('r0', 1, 6);
    p.addFragment('r0', fragments[12] as Fmp4Fragment);
    assert.equal(await passedBy, null);
    assert.ok((await nextSegment)?.equals(fragments[12]?.bytes as Buffer));
    assert.equal(p.waitingCount, 0);
  });

  it('real time (-re): each blocking request for the hinted part answers when the part lands', async () => {
    const p = packager({ renditions: [RENDITIONS[0] as (typeof RENDITIONS)[number]] });
    const ffmpeg = spawnLiveFmp4(5);
    let lastAdd = 0;
    const feeding = (async () => {
      for await (const item of readFmp4(ffmpeg.stdout)) {
        if ('init' in item) p.addInit('r0', item.init);
        else {
          lastAdd = performance.now();
          p.addFragment('r0', item.fragment);
        }
      }
      p.end();
    })();
    const delays: number[] = [];
    const waits: number[] = [];
    let msn = 0;
    let part = 0;
    for (;;) {
      const asked = performance.now();
      const answer = await p.mediaPlaylist('r0', { msn, part });
      const at = performance.now();
      const parsed = parseMedia(body(answer));
      if (parsed.endlist) break;
      // The request waited, and the fragment added last is the one it waited for.
      if (lastAdd > asked) {
        delays.push(at - lastAdd);
        waits.push(at - asked);
        const last = parsed.segments.at(-1);
        assert.equal(
          last?.mediaSequenceNumber === msn ? last.parts.filter((x) => !x.hint).length - 1 : 0,
          part,
        );
      }
      const hint = parsed.segments.at(-1)?.parts.find((x) => x.hint)?.uri ?? '';
      const m = /part_(\d+)_(\d+)/.exec(hint);
      assert.ok(m, 'a live playlist has a preload hint');
      msn = Number(m[1]);
      part = Number(m[2]);
    }
    await feeding;
    assert.ok(delays.length >= 8, `${delays.length} blocking answers`);
    // The answer follows the part at once; the request really waited (~1/3 s between parts).
    assert.ok(Math.max(...delays) < 25, `delays ${delays.map((d) => d.toFixed(1))}`);
    assert.ok(Math.min(...delays) >= 0);
    const median = [...waits].sort((a, b) => a - b)[Math.floor(waits.length / 2)] as number;
    assert.ok(median > 150, `median wait ${median.toFixed(0)} ms`);
    console.log(
      `blocking answer after part arrival: max ${Math.max(...delays).toFixed(2)} ms, median wait ${median.toFixed(0)} ms, ${delays.length} requests`,
    );
  });
});
