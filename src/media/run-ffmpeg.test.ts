import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FFMPEG } from '../../test/fixtures/media.ts';
import { AppError, isStorageFull } from '../shared/errors.ts';
import {
  type FfmpegProgress,
  ffmpegFilters,
  ffmpegVersion,
  progressParser,
  runFfmpeg,
  stderrExcerpt,
} from './run-ffmpeg.ts';

/** A synthetic encode that takes as long as `seconds` of 320x240 video takes to encode. */
// biome-ignore format: option/value pairs
const encode = (seconds: number) => [
  '-nostdin', '-hide_banner', '-v', 'error', '-progress', 'pipe:1', '-nostats',
  '-f', 'lavfi', '-i', `testsrc2=s=320x240:r=25:d=${seconds}`,
  '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'null', '-',
];

describe('progressParser', () => {
  it('reassembles lines across chunks and reports one value per block', () => {
    const seen: FfmpegProgress[] = [];
    const feed = progressParser((p) => seen.push(p));
    feed(Buffer.from('frame=10\nout_time_us=400000\nout_time_ms=400000\nspe'));
    feed(Buffer.from('ed=N/A\nprogress=continue\nout_time_ms=1500000\nspeed=1.23x\nprogress=end\n'));
    feed(Buffer.from('progress=end\n')); // a block without a time reports nothing
    assert.deepEqual(seen, [
      { outTimeSeconds: 0.4, speed: null },
      { outTimeSeconds: 1.5, speed: 1.23 },
    ]);
  });
});

describe('runFfmpeg', () => {
  it('reports progress up to the end of a real encode', async () => {
    const seen: FfmpegProgress[] = [];
    const result = await runFfmpeg(FFMPEG, encode(2), { timeoutMs: 30_000, onProgress: (p) => seen.push(p) });
    assert.deepEqual(result, {});
    assert.ok(seen.length >= 1);
    const last = seen.at(-1);
    assert.ok(last && Math.abs(last.outTimeSeconds - 2) < 0.1, `last progress ${JSON.stringify(last)}`);
    assert.ok(last.speed !== null && last.speed > 0);
  });

  it('a full disk is FH_ERR_STORAGE_FULL (retried once space returns), not a failed transcode', async () => {
    // /dev/full: every write fails with ENOSPC, as on a full disk (fragmented MP4, as we write;
    // ffmpeg's mpegts muxer ignores the failed writes and exits 0).
    const args = [
      '-nostdin',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x64:rate=5:duration=1',
      '-f',
      'mp4',
      '-movflags',
      '+frag_keyframe',
      '/dev/full',
    ];
    await assert.rejects(runFfmpeg(FFMPEG, args, { timeoutMs: 30_000 }), (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.equal(e.code, 'FH_ERR_STORAGE_FULL');
      assert.equal(isStorageFull(e), true);
      return true;
    });
  });

  it('kills ffmpeg promptly when aborted', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    const running = runFfmpeg(FFMPEG, encode(3600), {
      timeoutMs: 60_000,
      signal: controller.signal,
      onProgress: () => {
        if (abortedAt) return;
        abortedAt = Date.now();
        controller.abort(new Error('user deleted the asset'));
      },
    });
    await assert.rejects(running, (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'AbortError');
      assert.equal((e.cause as Error).message, 'user deleted the asset');
      return true;
    });
    assert.ok(abortedAt > 0);
    assert.ok(Date.now() - abortedAt < 1000, `took ${Date.now() - abortedAt} ms to stop`);
  });

  it('rejects at once when the signal is already aborted', async () => {
    await assert.rejects(runFfmpeg(FFMPEG, encode(1), { timeoutMs: 5000, signal: AbortSignal.abort() }), {
      name: 'AbortError',
    });
  });

  it('times out with FH_ERR_MEDIA_TIMEOUT', async () => {
    const started = Date.now();
    await assert.rejects(runFfmpeg(FFMPEG, encode(3600), { timeoutMs: 300 }), (e: unknown) => {
      return e instanceof AppError && e.code === 'FH_ERR_MEDIA_TIMEOUT';
    });
    assert.ok(Date.now() - started < 2000);
  });

  it('fails with FH_ERR_TRANSCODE_FAILED and a short stderr excerpt', async () => {
    const args = [
      '-nostdin',
      '-v',
      'error',
      '-i',
      'file:/nonexistent/framehouse-missing.mp4',
      '-f',
      'null',
      '-',
    ];
    await assert.rejects(runFfmpeg(FFMPEG, args, { timeoutMs: 10_000 }), (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.equal(e.code, 'FH_ERR_TRANSCODE_FAILED');
      assert.match(e.message, /exit code \d+.*No such file or directory/);
      assert.ok(!e.message.includes('/nonexistent'), e.message);
      return true;
    });
  });

  it('collects stdout, bounded', async () => {
    const raw = [
      '-nostdin',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=s=16x16:d=1',
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      'pipe:1',
    ];
    const { stdout } = await runFfmpeg(FFMPEG, raw, { timeoutMs: 10_000, collectStdout: 1024 });
    assert.equal(stdout?.length, 256);
    await assert.rejects(runFfmpeg(FFMPEG, raw, { timeoutMs: 10_000, collectStdout: 100 }), (e: unknown) => {
      return e instanceof AppError && e.code === 'FH_ERR_TRANSCODE_FAILED';
    });
  });
});

describe('stderrExcerpt', () => {
  it('keeps the last lines and hides paths and pointers', () => {
    const stderr = [
      'noise',
      "[hls @ 0x55d1c0] Opening '/srv/data/hls/abc/720p/seg_00001.m4s.tmp' for writing",
      'file:/srv/data/sources/abc/source: Invalid data found when processing input',
      'speed=N/A',
      '',
    ].join('\n');
    assert.equal(
      stderrExcerpt(stderr),
      "[hls] Opening '<path>' for writing | <path>: Invalid data found when processing input | speed=N/A",
    );
  });
});

describe('ffmpegVersion / ffmpegFilters', () => {
  it('reads the version, or null when ffmpeg is missing', async () => {
    const v = await ffmpegVersion(FFMPEG);
    assert.ok(v && v.major >= 5, JSON.stringify(v));
    assert.match(v.raw, /^ffmpeg version/);
    assert.equal(await ffmpegVersion('/nonexistent/ffmpeg'), null);
  });

  it('lists filters', async () => {
    const filters = await ffmpegFilters(FFMPEG);
    for (const name of ['split', 'scale', 'fps', 'yadif', 'tile']) assert.ok(filters.has(name), name);
  });
});
