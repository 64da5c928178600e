/**
 * LiveTranscoder with real ffmpeg: a publisher made with ffmpeg streams an FLV in real time
 * (`-re`) into its stdin; every rung's fMP4 is read as it arrives and checked with ffprobe.
 * Sources are short (6–8 s) and small, as the machine is shared.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  collectBoxes,
  fragmentLatencies,
  makeSource,
  realtimePublisher,
} from '../../../test/helpers/live-media.ts';
import { type LiveRung, type LiveSource, planLiveLadder } from './live-ladder.ts';
import { LiveTranscoder, type LiveTranscoderExit, type LiveTranscoderOptions } from './live-transcoder.ts';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const log = pino({ level: 'silent' });

const source = (width: number, height: number, over: Partial<LiveSource> = {}): LiveSource => ({
  width,
  height,
  fps: 30,
  videoBitrate: 1_500_000,
  keyframeIntervalMs: null,
  hasAudio: true,
  videoCodec: 'h264',
  audioCodec: 'aac',
  ...over,
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p95 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))] as number;

function probe(file: string): { streams: string[]; keyframes: number[]; duration: number } {
  const s = spawnSync(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  assert.equal(s.status, 0, s.stderr);
  const k = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  const packets = k.stdout.trim().split('\n');
  const keyframes = packets
    .filter((l) => l.split(',')[1]?.startsWith('K'))
    .map((l) => Number(l.split(',')[0]));
  const duration = Number(packets.at(-1)?.split(',')[0]);
  return { streams: s.stdout.trim().split('\n'), keyframes, duration };
}

interface Run {
  exit: LiveTranscoderExit;
  lagging: { speed: number; seconds: number }[];
  rungs: { rung: LiveRung; boxes: ReturnType<typeof collectBoxes>; file: string }[];
  inputStart: number;
}

async function runLive(
  dir: string,
  file: string,
  rungs: LiveRung[],
  over: Partial<LiveTranscoderOptions> = {},
  seconds?: number,
  publishAs: 'flv' | 'mpegts' = 'flv',
): Promise<Run> {
  const t = new LiveTranscoder({
    ffmpegPath: FFMPEG,
    rungs,
    inputFormat: 'flv',
    log,
    lagThresholdSeconds: 2,
    ...over,
  });
  const collected = rungs.map((rung) => ({
    rung,
    boxes: collectBoxes(t.outputs.get(rung.name) as Readable),
  }));
  const lagging: Run['lagging'] = [];
  t.on('lagging', (l) => lagging.push(l));
  const pub = realtimePublisher(FFMPEG, file, publishAs, seconds);
  let inputStart = 0;
  pub.stdout?.once('data', () => {
    inputStart = Date.now();
  });
  const exited = once(t, 'exit') as Promise<[LiveTranscoderExit]>;
  t.start(pub.stdout as Readable);
  const [exit] = await exited;
  await Promise.all(collected.map((c) => c.boxes.done));
  const out: Run['rungs'] = [];
  for (const c of collected) {
    const path = join(dir, `${Date.now()}-${c.rung.name}.mp4`);
    await writeFile(path, c.boxes.bytes());
    out.push({ ...c, file: path });
  }
  return { exit, lagging, rungs: out, inputStart };
}

/** Every rung: init first, fragments ~1/3 s apart in real time, valid media of the planned size. */
function checkRungs(run: Run, label: string): void {
  const keyframeSets: number[][] = [];
  for (const { rung, boxes, file } of run.rungs) {
    const types = boxes.boxes.map((b) => b.type);
    assert.deepEqual(types.slice(0, 2), ['ftyp', 'moov'], `${rung.name}: init first`);
    const moofs = boxes.boxes.filter((b) => b.type === 'moof');
    assert.ok(
      types.filter((t) => t === 'mdat').length === moofs.length,
      `${rung.name}: a moof and an mdat each`,
    );
    // past the start-up (the probe delays the first fragments, which then leave together)
    const gaps = moofs.slice(4).map((b, i) => b.at - (moofs[i + 3] as { at: number }).at);
    const latency = fragmentLatencies(boxes.boxes, run.inputStart).slice(3);
    console.log(
      `${label} ${rung.name}${rung.copy ? ' (copy)' : ''}: ${moofs.length} fragments, gap p50 ${median(gaps)} ms p95 ${p95(gaps)} ms max ${Math.max(...gaps)} ms; first frame in -> fragment out p50 ${Math.round(median(latency))} ms p95 ${Math.round(p95(latency))} ms`,
    );
    assert.ok(
      median(gaps) >= 250 && median(gaps) <= 420,
      `${rung.name}: fragments every ~333 ms (p50 ${median(gaps)})`,
    );
    assert.ok(p95(gaps) < 900, `${rung.name}: no fragment held back (p95 ${p95(gaps)})`);
    // a fragment leaves within its own length plus a few hundred ms of its first frame entering
    assert.ok(median(latency) < 1000, `${rung.name}: latency p50 ${median(latency)} ms`);
    const p = probe(file);
    assert.deepEqual(
      p.streams,
      [`h264,video,${rung.width},${rung.height}`, 'aac,audio'].slice(0, rung.audioBitrate ? 2 : 1),
    );
    keyframeSets.push(p.keyframes);
  }
  const first = keyframeSets[0] as number[];
  assert.ok(first.length >= 3, `keyframes: ${first}`);
  first.forEach((k, i) => {
    if (i > 0) assert.ok(Math.abs(k - (first[i - 1] as number) - 2) < 0.05, `keyframes every 2 s: ${first}`);
  });
  for (const ks of keyframeSets) assert.deepEqual(ks, first, 'keyframes at the same times in every rung');
}

describe('LiveTranscoder (real ffmpeg, real time)', () => {
  let dir: string;
  const flv: Record<string, string> = {};
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-live-tx-'));
    for (const size of ['640x360', '1280x720']) {
      flv[size] = join(dir, `src-${size}.flv`);
      await makeSource(FFMPEG, flv[size], { size, fps: 30, seconds: 6.5, gop: 60, format: 'flv' });
    }
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('360p30 source: every encoded rung fragments in real time, keyframes aligned, no lagging', async () => {
    const rungs = planLiveLadder(source(640, 360), { maxRungs: 3, segmentSeconds: 2 });
    assert.deepEqual(
      rungs.map((r) => r.name),
      ['360p', '240p'],
    );
    const run = await runLive(dir, flv['640x360'] as string, rungs);
    assert.deepEqual(run.exit, { code: 0, signal: null, reason: 'input ended', clean: true });
    assert.deepEqual(run.lagging, []);
    checkRungs(run, '360p source');
  });

  it('720p30 source, three encoded rungs', async () => {
    const rungs = planLiveLadder(source(1280, 720), { maxRungs: 3, segmentSeconds: 2 });
    assert.deepEqual(
      rungs.map((r) => `${r.width}x${r.height}`),
      ['1280x720', '854x480', '640x360'],
    );
    const run = await runLive(dir, flv['1280x720'] as string, rungs, { lagThresholdSeconds: 4 });
    assert.equal(run.exit.reason, 'input ended');
    assert.deepEqual(run.lagging, []);
    checkRungs(run, '720p source');
  });

  it('copies the source as the top rung, encoded rungs keyframed on the same frames', async () => {
    const rungs = planLiveLadder(source(1280, 720, { keyframeIntervalMs: 2000 }), {
      maxRungs: 2,
      segmentSeconds: 2,
    });
    assert.deepEqual(
      rungs.map((r) => `${r.name}${r.copy ? ':copy' : ''}`),
      ['720p:copy', '360p'],
    );
    const run = await runLive(dir, flv['1280x720'] as string, rungs, { sourceKeyframeIntervalMs: 2000 });
    assert.equal(run.exit.reason, 'input ended');
    checkRungs(run, 'copy top');
  });

  it('takes MPEG-TS (what the SRT listener hands over) and keeps its first GOP', async () => {
    const rungs = planLiveLadder(source(640, 360), { maxRungs: 2, segmentSeconds: 2 });
    const run = await runLive(
      dir,
      flv['640x360'] as string,
      rungs,
      { inputFormat: 'mpegts' },
      undefined,
      'mpegts',
    );
    assert.equal(run.exit.reason, 'input ended');
    checkRungs(run, 'mpegts in');
    for (const r of run.rungs) assert.ok(probe(r.file).duration > 6, `${r.rung.name}: the whole source`);
  });

  it("says 'lagging' when the ladder cannot keep up", async () => {
    // x264's slowest preset on 360p: far below real time on any machine this runs on
    const rungs = planLiveLadder(source(640, 360), { maxRungs: 2, segmentSeconds: 2 });
    const t = new LiveTranscoder({
      ffmpegPath: FFMPEG,
      rungs,
      inputFormat: 'flv',
      log,
      lagThresholdSeconds: 2,
      preset: 'placebo',
      // a placebo backlog would take minutes to flush: stop() kills it after this
      stopGraceMs: 1000,
    });
    for (const out of t.outputs.values()) out.resume();
    const pub = realtimePublisher(FFMPEG, flv['640x360'] as string, 'flv');
    const lagging = once(t, 'lagging') as Promise<[{ speed: number; seconds: number }]>;
    t.start(pub.stdout as Readable);
    const [lag] = await lagging;
    assert.ok(lag.speed < 0.97 && lag.seconds >= 2, JSON.stringify(lag));
    const pid = (t as unknown as { child: { pid: number } }).child.pid;
    pub.kill('SIGKILL');
    const stopAt = Date.now();
    await t.stop();
    assert.ok(Date.now() - stopAt < 3000, 'stop() kills after its grace');
    assert.ok(t.exit, 'exit reported');
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'ffmpeg is gone, not a zombie');
  });

  it('exits with a reason on garbage input', async () => {
    const rungs = planLiveLadder(source(640, 360), { maxRungs: 1, segmentSeconds: 2 });
    const t = new LiveTranscoder({ ffmpegPath: FFMPEG, rungs, inputFormat: 'flv', log });
    const garbage = Readable.from([Buffer.from('this is not an FLV stream at all '.repeat(2000))]);
    const exited = once(t, 'exit') as Promise<[LiveTranscoderExit]>;
    t.start(garbage);
    const [exit] = await exited;
    assert.notEqual(exit.code, 0);
    assert.equal(exit.clean, false);
    assert.match(exit.reason, /invalid data|could not find|pipe:0/i);
  });

  it('stop() mid-stream ends cleanly; a rung nobody reads is dropped without stalling the others', async () => {
    const rungs = planLiveLadder(source(640, 360), { maxRungs: 2, segmentSeconds: 2 });
    const t = new LiveTranscoder({
      ffmpegPath: FFMPEG,
      rungs,
      inputFormat: 'flv',
      log,
      maxBufferedBytesPerRung: 64 * 1024,
    });
    const read = collectBoxes(t.outputs.get('360p') as Readable); // 240p is never read
    const dropped = once(t, 'rung-dropped') as Promise<[{ name: string }]>;
    const pub = realtimePublisher(FFMPEG, flv['640x360'] as string, 'flv');
    t.start(pub.stdout as Readable);
    const [{ name }] = await dropped;
    assert.equal(name, '240p');
    assert.equal(t.outputs.get('240p')?.destroyed, true);
    await new Promise((r) => setTimeout(r, 1500));
    const before = read.boxes.filter((b) => b.type === 'moof').length;
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(read.boxes.filter((b) => b.type === 'moof').length > before, 'the read rung goes on');
    await t.stop();
    pub.kill('SIGKILL');
    assert.deepEqual(t.exit && { clean: t.exit.clean, reason: t.exit.reason }, {
      clean: true,
      reason: 'stopped',
    });
    await read.done;
    assert.ok(probe(await save(dir, read.bytes())).duration > 2);
  });
});

async function save(dir: string, bytes: Buffer): Promise<string> {
  const path = join(dir, `saved-${Date.now()}.mp4`);
  await writeFile(path, bytes);
  return path;
}
