/** The first presentation time of our own CMAF rungs, checked against ffprobe's reading of them. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FFMPEG, FFPROBE, makeClip } from '../../test/fixtures/media.ts';
import { classify } from './classify.ts';
import { buildTranscodeArgs } from './ffmpeg-args.ts';
import { probeFile } from './ffprobe.ts';
import { firstPresentation } from './fmp4-timing.ts';
import { planLadder } from './ladder.ts';
import { runProcess } from './process.ts';
import { runFfmpeg } from './run-ffmpeg.ts';

/** ffprobe's start time of a rendition's first segment played after its init segment. */
async function ffprobeStart(init: Buffer, segment: Buffer, dir: string): Promise<number> {
  const file = join(dir, 'joined.mp4');
  await writeFile(file, Buffer.concat([init, segment]));
  const r = await runProcess(
    FFPROBE,
    ['-v', 'error', '-show_entries', 'stream=start_time', '-of', 'csv=p=0', file],
    {
      timeoutMs: 20_000,
      collectStdout: 1 << 16,
    },
  );
  assert.equal(r.exitCode, 0, r.stderrTail);
  return Number(r.stdout.toString().trim());
}

describe('first presentation time of an fMP4 rendition', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-fmp4-timing-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const fps of [25, 30]) {
    it(`is the B-frame delay of our x264 rungs at ${fps} fps, as ffprobe reads it; 0 for audio`, async () => {
      const src = await makeClip(dir, { name: `src${fps}`, width: 426, height: 240, seconds: 5, fps });
      const info = classify(await probeFile(src), (await stat(src)).size);
      const plan = planLadder(info);
      const out = join(dir, `hls${fps}`);
      await runFfmpeg(FFMPEG, buildTranscodeArgs({ input: src, outDir: out, plan, info, progress: false }), {
        timeoutMs: 60_000,
      });
      const read = (p: string) => readFile(join(out, p));

      const [init, seg0, seg1] = await Promise.all([
        read('240p/init_0.mp4'),
        read('240p/seg_00000.m4s'),
        read('240p/seg_00001.m4s'),
      ]);
      const first = firstPresentation(init, seg0);
      assert.ok(first.ticks > 0, 'B-frames put the first frame after decode time 0');
      // ffprobe applies the init segment's edit list, whose empty edit is in whole milliseconds.
      assert.ok(Math.abs(first.seconds - (await ffprobeStart(init, seg0, dir))) < 0.001);
      assert.ok(Math.abs(first.seconds - 2 / fps) < 1e-6, `two frames of delay: ${first.seconds}`);
      // A later fragment starts where its own first frame is shown (4 s on).
      assert.ok(
        Math.abs(firstPresentation(init, seg1).seconds - (await ffprobeStart(init, seg1, dir))) < 0.001,
      );

      const audio = firstPresentation(await read('audio/init_1.mp4'), await read('audio/seg_00000.m4s'));
      assert.equal(audio.ticks, 0);
      assert.equal(audio.timescale, 48_000);
    });
  }

  it('refuses what is not an init segment and a fragment', () => {
    assert.throws(() => firstPresentation(Buffer.alloc(16), Buffer.alloc(16)), /no moov/);
  });
});
