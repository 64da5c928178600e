import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { freeUdpPort, makeSource } from '../../../test/helpers/live-media.ts';
import { InputDescriptionReader } from './ffmpeg-input-description.ts';
import { redact, SrtListener, type SrtPublish } from './srt-listener.ts';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const log = pino({ level: 'silent' });
const PASS = 'correct-horse-battery';

/** An SRT caller like a broadcaster's: ffmpeg sending a TS file in real time. */
function caller(file: string, port: number, passphrase: string, seconds: number): ChildProcess {
  // biome-ignore format: option/value pairs
  return spawn(FFMPEG, [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-i', file, '-t', String(seconds),
    '-c', 'copy', '-f', 'mpegts', `srt://127.0.0.1:${port}?passphrase=${passphrase}&pbkeylen=16`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('InputDescriptionReader', () => {
  it("reads ffmpeg's input block up to the output", () => {
    const r = new InputDescriptionReader();
    for (const line of [
      "Input #0, mpegts, from 'srt://127.0.0.1:4000':",
      '  Duration: N/A, start: 1.400000, bitrate: N/A',
      '  Program 1 ',
      '  Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), 1280x720 [SAR 1:1 DAR 16:9], 29.97 fps, 29.97 tbr, 90k tbn',
      '  Stream #0:1[0x101](eng): Audio: aac (LC) ([15][0][0][0] / 0x000F), 48000 Hz, stereo, fltp, 130 kb/s',
      "Output #0, mpegts, to 'pipe:1':",
      '  Stream #0:0: Video: h264, 1x1',
    ]) {
      r.push(line);
    }
    assert.equal(r.done, true);
    assert.deepEqual(r.description, {
      format: 'mpegts',
      video: {
        kind: 'video',
        codec: 'h264',
        profile: 'High',
        width: 1280,
        height: 720,
        fps: 29.97,
        bitrate: null,
      },
      audio: {
        kind: 'audio',
        codec: 'aac',
        profile: 'LC',
        width: null,
        height: null,
        fps: null,
        bitrate: 130_000,
      },
    });
  });

  it('never lets the passphrase through', () => {
    assert.equal(
      redact('srt://h:1?passphrase=abcdefghijk&x=1 and abcdefghijk', 'abcdefghijk'),
      'srt://h:1?passphrase=***&x=1 and ***',
    );
  });
});

describe('SrtListener (real ffmpeg over SRT)', () => {
  let dir: string;
  let ts: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-srt-'));
    ts = join(dir, 'src.ts');
    await makeSource(FFMPEG, ts, { size: '640x360', fps: 30, seconds: 12, gop: 60, format: 'mpegts' });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a caller with the wrong passphrase, then takes the right one: publish, TS that decodes, end', async () => {
    const port = await freeUdpPort();
    const listener = new SrtListener({
      ffmpegPath: FFMPEG,
      host: '127.0.0.1',
      port,
      passphrase: PASS,
      streamId: 'ls_test',
      log,
    });
    const errors: Error[] = [];
    listener.on('error', (e) => errors.push(e));
    const published = once(listener, 'publish') as Promise<[SrtPublish]>;
    listener.start();
    try {
      await new Promise((r) => setTimeout(r, 500)); // ffmpeg binds its port
      const wrong = caller(ts, port, 'not-the-passphrase', 2);
      const [wrongCode] = (await once(wrong, 'close')) as [number];
      assert.notEqual(wrongCode, 0, 'SRT itself refuses the caller');

      const right = caller(ts, port, PASS, 4);
      const calledAt = Date.now();
      const [{ source, stream }] = await published;
      console.log(`srt: publish (source described) ${Date.now() - calledAt} ms after the caller started`);
      assert.equal(source.videoCodec, 'h264');
      assert.equal(source.audioCodec, 'aac');
      assert.equal(source.width, 640);
      assert.equal(source.height, 360);
      assert.equal(source.fps, 30);
      assert.equal(source.hasAudio, true);
      assert.equal(source.keyframeIntervalMs, null);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      const ended = once(listener, 'end') as Promise<[{ reason: string }]>;
      await once(right, 'close');
      const [{ reason }] = await ended;
      assert.match(reason, /caller left|Input\/output error/);
      const bytes = Buffer.concat(chunks);
      assert.ok(bytes.length > 100_000, `TS bytes flowed (${bytes.length})`);
      assert.equal(bytes[0], 0x47, 'MPEG-TS sync byte');
      const file = join(dir, 'received.ts');
      await writeFile(file, bytes);
      const decoded = spawnSync(FFMPEG, ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
      assert.equal(decoded.status, 0, decoded.stderr);
      const probe = spawnSync(
        'ffprobe',
        ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', file],
        {
          encoding: 'utf8',
        },
      );
      // (ffprobe lists a TS's streams once per program and once more: count each once)
      assert.deepEqual([...new Set(probe.stdout.split('\n').filter(Boolean))], ['h264,640,360', 'aac']);
      assert.deepEqual(errors, []);
    } finally {
      await listener.stop();
    }
  });

  it('notices a caller that goes silent within SRT peer idle timeout', async () => {
    const port = await freeUdpPort();
    const listener = new SrtListener({
      ffmpegPath: FFMPEG,
      host: '127.0.0.1',
      port,
      passphrase: PASS,
      streamId: 'ls_stall',
      log,
    });
    listener.on('error', () => {});
    const published = once(listener, 'publish') as Promise<[SrtPublish]>;
    listener.start();
    let frozen: ChildProcess | null = null;
    try {
      await new Promise((r) => setTimeout(r, 500));
      frozen = caller(ts, port, PASS, 10);
      const [{ stream }] = await published;
      stream.resume();
      await new Promise((r) => setTimeout(r, 1000));
      frozen.kill('SIGSTOP'); // a frozen encoder: no data, no keepalives, no shutdown
      const stalledAt = Date.now();
      await once(listener, 'end');
      const noticedMs = Date.now() - stalledAt;
      console.log(`srt: a silent caller was noticed after ${noticedMs} ms`);
      assert.ok(noticedMs < 9000, `noticed after ${noticedMs} ms`);
    } finally {
      frozen?.kill('SIGKILL');
      await listener.stop();
    }
  });

  it('stops while waiting for a caller', async () => {
    const port = await freeUdpPort();
    const listener = new SrtListener({
      ffmpegPath: FFMPEG,
      host: '127.0.0.1',
      port,
      passphrase: PASS,
      streamId: 'ls_idle',
      log,
    });
    const ended = once(listener, 'end') as Promise<[{ reason: string }]>;
    listener.start();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await listener.stop();
    const [{ reason }] = await ended;
    assert.equal(reason, 'stopped');
    assert.ok(Date.now() - t0 < 3500);
  });
});
