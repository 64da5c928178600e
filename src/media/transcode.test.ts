/**
 * The builders run for real: a small ladder to CMAF HLS, a thumbnail, a storyboard sprite.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FFMPEG, FFPROBE, makeClip } from '../../test/fixtures/media.ts';
import { classify } from './classify.ts';
import {
  buildStoryboardArgs,
  buildThumbnailArgs,
  buildTranscodeArgs,
  hlsVariants,
  storyboardLayout,
} from './ffmpeg-args.ts';
import { probeFile } from './ffprobe.ts';
import { planLadder } from './ladder.ts';
import { runProcess } from './process.ts';
import { runFfmpeg } from './run-ffmpeg.ts';
import type { MediaInfo } from './types.ts';

async function infoOf(file: string): Promise<MediaInfo> {
  return classify(await probeFile(file), (await stat(file)).size);
}

async function ffprobeCsv(file: string, entries: string[]): Promise<string> {
  const args = ['-v', 'error', '-select_streams', 'v:0', ...entries, '-of', 'csv=p=0', file];
  const r = await runProcess(FFPROBE, args, { timeoutMs: 20_000, collectStdout: 1 << 20 });
  assert.equal(r.exitCode, 0, r.stderrTail);
  return r.stdout.toString().trim();
}

const extinfs = (playlist: string) => [...playlist.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => m[1] ?? '');

/** `avc1.PPCCLL` from the avcC box of an init segment: what the encoder really wrote. */
function avcCodecs(init: Buffer): string {
  const at = init.indexOf('avcC', 0, 'latin1');
  assert.ok(at > 0, 'no avcC box');
  return `avc1.${init.toString('hex', at + 5, at + 8)}`;
}

describe('a real transcode', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-transcode-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a keyframe-aligned CMAF ladder with one folder per rung', async () => {
    const src = await makeClip(dir, { name: 'src', width: 640, height: 360, seconds: 6, fps: 25 });
    const info = await infoOf(src);
    const plan = planLadder(info);
    assert.deepEqual(
      plan.video.map((r) => r.name),
      ['360p', '240p'],
    );
    const outDir = join(dir, 'hls');
    const progress: number[] = [];
    const args = buildTranscodeArgs({
      input: src,
      outDir,
      plan,
      info,
      segmentSeconds: 2,
      keyframeSeconds: 1,
    });
    await runFfmpeg(FFMPEG, args, { timeoutMs: 120_000, onProgress: (p) => progress.push(p.outTimeSeconds) });
    assert.ok((progress.at(-1) ?? 0) > 5.5);

    const variants = hlsVariants(plan);
    assert.deepEqual(
      variants.map((v) => v.init),
      ['360p/init_0.mp4', '240p/init_1.mp4', 'audio/init_2.mp4'],
    );
    assert.deepEqual((await readdir(outDir)).sort(), ['240p', '360p', 'audio', 'master.m3u8']);
    const master = await readFile(join(outDir, 'master.m3u8'), 'utf8');
    assert.match(master, /RESOLUTION=640x360,CODECS="avc1\.64001e,mp4a\.40\.2"/);

    const durations: string[][] = [];
    for (const [i, rung] of plan.video.entries()) {
      const variant = variants[i];
      assert.ok(variant);
      const files = (await readdir(join(outDir, rung.name))).sort();
      assert.deepEqual(files, [
        'index.m3u8',
        `init_${i}.mp4`,
        'seg_00000.m4s',
        'seg_00001.m4s',
        'seg_00002.m4s',
      ]);
      const playlist = await readFile(join(outDir, variant.playlist), 'utf8');
      assert.match(playlist, new RegExp(`#EXT-X-MAP:URI="init_${i}.mp4"`));
      assert.match(playlist, /#EXT-X-ENDLIST/);
      durations.push(extinfs(playlist));

      const init = await readFile(join(outDir, variant.init));
      assert.equal(avcCodecs(init), rung.codecs, `${rung.name} CODECS matches the stream`);
      for (const seg of files.filter((f) => f.endsWith('.m4s'))) {
        // Every segment decodes on its own from a keyframe: init + segment, first packet flagged K.
        const joined = join(dir, `${rung.name}-${seg}.mp4`);
        await writeFile(joined, Buffer.concat([init, await readFile(join(outDir, rung.name, seg))]));
        const flags = await ffprobeCsv(joined, ['-show_entries', 'packet=flags', '-read_intervals', '%+#1']);
        assert.match(flags, /^K/, `${rung.name}/${seg} starts with a keyframe`);
        const size = await ffprobeCsv(joined, ['-show_entries', 'stream=width,height']);
        assert.equal(size, `${rung.width},${rung.height}`);
      }
    }
    assert.deepEqual(durations[0], ['2.000000', '2.000000', '2.000000']);
    assert.deepEqual(durations[1], durations[0], 'segment boundaries are the same on every rung');
    assert.ok((await readdir(join(outDir, 'audio'))).includes('init_2.mp4'));
  });

  it('names the lone init segment init.mp4 for an audio-only source', async () => {
    const src = await makeClip(dir, { name: 'voice', video: false, seconds: 2 });
    const info = await infoOf(src);
    const plan = planLadder(info);
    const outDir = join(dir, 'hls-audio');
    await runFfmpeg(FFMPEG, buildTranscodeArgs({ input: src, outDir, plan, info }), { timeoutMs: 60_000 });
    assert.deepEqual(hlsVariants(plan), [
      { name: 'audio', type: 'audio', playlist: 'audio/index.m3u8', init: 'audio/init.mp4' },
    ]);
    assert.deepEqual((await readdir(join(outDir, 'audio'))).sort(), [
      'index.m3u8',
      'init.mp4',
      'seg_00000.m4s',
    ]);
  });

  it('grabs an upright thumbnail JPEG on stdout', async () => {
    const landscape = await makeClip(dir, {
      name: 'thumb',
      width: 640,
      height: 360,
      seconds: 2,
      audio: false,
    });
    const portrait = await makeClip(dir, {
      name: 'thumb-rot',
      width: 640,
      height: 360,
      seconds: 2,
      rotate: 90,
    });
    for (const [src, expected] of [
      [landscape, '160,90'],
      [portrait, '160,284'],
    ] as const) {
      const args = buildThumbnailArgs({ input: src, timeSeconds: 1, width: 160 });
      const { stdout } = await runFfmpeg(FFMPEG, args, { timeoutMs: 30_000, collectStdout: 5 << 20 });
      assert.ok(stdout && stdout.subarray(0, 3).toString('hex') === 'ffd8ff', 'a JPEG');
      const jpg = join(dir, 'thumb.jpg');
      await writeFile(jpg, stdout);
      assert.equal(await ffprobeCsv(jpg, ['-show_entries', 'stream=width,height']), expected);
    }
  });

  it('tiles a storyboard sprite the WebVTT layout agrees with', async () => {
    const src = await makeClip(dir, { name: 'story', width: 640, height: 360, seconds: 4, audio: false });
    const info = await infoOf(src);
    const layout = storyboardLayout({ duration: info.duration, width: 640, height: 360 });
    assert.deepEqual([layout.interval, layout.count, layout.cols, layout.rows], [1, 4, 4, 1]);
    const outFile = join(dir, 'storyboard.jpg');
    await runFfmpeg(FFMPEG, buildStoryboardArgs({ input: src, layout, outFile }), { timeoutMs: 30_000 });
    assert.equal(await ffprobeCsv(outFile, ['-show_entries', 'stream=width,height']), '640,90');
  });
});
