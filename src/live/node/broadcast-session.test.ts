import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { pino } from 'pino';
import type { CompletedSegment } from '../packager/live-packager.ts';
import { BacklogWatch, BroadcastSession, type LiveCurrent, partSecondsFor } from './broadcast-session.ts';
import type { LiveIngest } from './ingest.ts';

const log = pino({ level: 'silent' });
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** A real-time H.264/AAC FLV publisher; each open() starts a fresh one (as a new GOP would). */
const kicked: string[] = [];

function flvIngest(fps = 30): LiveIngest & { ended: () => void } {
  let endCb: ((why: string) => void) | null = null;
  let started: number | null = null;
  return {
    protocol: 'rtmp',
    format: 'flv',
    source: {
      width: 1280,
      height: 720,
      fps,
      videoBitrate: 1_000_000,
      keyframeIntervalMs: 2000,
      hasAudio: true,
      videoCodec: 'h264',
      audioCodec: 'aac',
    },
    open() {
      started ??= Date.now();
      // biome-ignore format: option/value pairs read best side by side
      const child = spawn('ffmpeg', [
        '-nostdin', '-v', 'error', '-re',
        '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=${fps}`,
        '-f', 'lavfi', '-i', 'sine=sample_rate=48000',
        '-t', '40',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(2 * fps), '-bf', '0',
        '-c:a', 'aac', '-f', 'flv', 'pipe:1',
      ], { stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(child);
      return child.stdout;
    },
    bitrateBps: () => 1_000_000,
    // The publisher's clock: real time since its first open.
    mediaMs: () => (started === null ? null : Date.now() - started),
    fps: () => fps,
    keyframeIntervalMs: () => 2000,
    openedAtMediaMs: () => 0,
    kick: (reason) => {
      kicked.push(reason);
    },
    onEnd(cb) {
      endCb = cb;
    },
    ended: () => endCb?.('test'),
  };
}

test('parts are ceil(0.33 × fps) frames; PART-TARGET covers them with the millisecond rounding of RTMP', () => {
  assert.ok(Math.abs(partSecondsFor(30) - (10 / 30 + 0.002)) < 1e-9);
  assert.ok(Math.abs(partSecondsFor(25) - (9 / 25 + 0.002)) < 1e-9);
  assert.ok(Math.abs(partSecondsFor(24) - (8 / 24 + 0.002)) < 1e-9);
  assert.ok(Math.abs(partSecondsFor(null) - partSecondsFor(30)) < 1e-9);
});

test('the backlog watch tells ffmpeg falling behind from a publisher that is slow itself', () => {
  const behind = new BacklogWatch();
  let verdict: number | null = null;
  // ffmpeg at 0.7× while the publisher sends in real time, from an offset of 4 s (a cached GOP).
  for (let t = 0; t <= 10; t += 0.5) verdict = behind.add(t * 1000, 100 + t, 0.7 * t) ?? verdict;
  assert.ok(verdict !== null && Math.abs(verdict - 0.3) < 0.01, String(verdict));
  const slowPublisher = new BacklogWatch();
  let none: number | null = null;
  // The publisher itself sends at 0.7×, ffmpeg keeps up with what it gets.
  for (let t = 0; t <= 10; t += 0.5) none = slowPublisher.add(t * 1000, 100 + 0.7 * t, 0.7 * t) ?? none;
  assert.equal(none, null);
});

test('a ladder this machine cannot encode in real time loses a rung (never the top one) and says so', async () => {
  const currents: LiveCurrent[] = [];
  const segments: CompletedSegment[] = [];
  const session = new BroadcastSession(
    { streamId: 's1', broadcastId: 'b1', lowLatency: true, startedAt: new Date().toISOString() },
    {
      ffmpegPath: 'ffmpeg',
      // x264's slowest preset at 60 fps: 360p30 with it runs at about 1× on a fast 2-core machine
      // (measured: 1.02×), so the source is 60 fps, which no 2-core machine keeps up with.
      x264Preset: 'placebo',
      maxRungs: 2,
      dvrSeconds: 60,
      maxBitrateBps: 50_000_000,
      log,
      onSegment: (s) => segments.push(s),
      onCurrent: (c) => currents.push(c),
      onRefused: () => assert.fail('nothing is refused here'),
    },
  );
  const ingest = flvIngest(60);
  session.attach(ingest);
  const planned = session.current().renditions.map((r) => r.name);
  assert.deepEqual(planned, ['720p', '360p'], 'the source copied on top, one encoded rung below');
  const deadline = Date.now() + 60_000;
  while (!currents.some((c) => c.dropped_renditions.length > 0) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 250));
  const shrunk = currents.find((c) => c.dropped_renditions.length > 0);
  assert.ok(shrunk, 'the ladder shrank');
  assert.deepEqual(shrunk.dropped_renditions, ['360p']);
  assert.deepEqual(
    shrunk.renditions.map((r) => r.name),
    ['720p'],
  );
  // The master playlist follows, and the copied top rung goes on producing segments.
  const master = session.packager?.masterPlaylist() ?? '';
  assert.ok(master.includes('720p/index.m3u8') && !master.includes('360p/'), master);
  const before = segments.filter((s) => s.rendition === '720p').length;
  const until = Date.now() + 15_000;
  while (segments.filter((s) => s.rendition === '720p').length < before + 2 && Date.now() < until)
    await new Promise((r) => setTimeout(r, 250));
  assert.ok(segments.filter((s) => s.rendition === '720p').length >= before + 2, 'the top rung goes on');
  await session.end('test over');
  assert.ok(session.packager?.masterPlaylist());
});

test("an input above the node's bitrate limit is dropped, with the reason for the broadcaster", async () => {
  const refusals: { code: string; message: string }[] = [];
  const session = new BroadcastSession(
    { streamId: 's2', broadcastId: 'b2', lowLatency: true, startedAt: new Date().toISOString() },
    {
      ffmpegPath: 'ffmpeg',
      x264Preset: 'ultrafast',
      maxRungs: 1,
      dvrSeconds: 60,
      // The ingest says 1 Mbps: above half a megabit.
      maxBitrateBps: 500_000,
      log,
      onSegment: () => {},
      onCurrent: () => {},
      onRefused: (code, message) => refusals.push({ code, message }),
    },
  );
  kicked.length = 0;
  session.attach(flvIngest());
  const deadline = Date.now() + 15_000;
  while (refusals.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.equal(refusals[0]?.code, 'bitrate_too_high');
  assert.match(refusals[0]?.message ?? '', /1000 kbps.*500 kbps/);
  assert.deepEqual(kicked, ['bitrate over the limit']);
  await session.end('test over');
});
