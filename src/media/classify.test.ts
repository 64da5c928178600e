import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeClip, makeImage, makeMp3WithCover } from '../../test/fixtures/media.ts';
import { AppError } from '../shared/errors.ts';
import { classify } from './classify.ts';
import { probeFile } from './ffprobe.ts';
import type { ProbeJson, ProbeStream } from './types.ts';

async function classifyFile(file: string) {
  return classify(await probeFile(file), (await stat(file)).size);
}

const rejectsWith = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

describe('classify (real ffprobe output)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-classify-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a landscape clip with audio', async () => {
    const file = await makeClip(dir, { name: 'landscape', width: 640, height: 360, seconds: 1, fps: 30 });
    const info = await classifyFile(file);
    assert.equal(info.kind, 'video');
    assert.equal(info.container, 'mov,mp4,m4a,3gp,3g2,mj2');
    assert.ok(Math.abs(info.duration - 1) < 0.1, `duration ${info.duration}`);
    assert.equal(info.sizeBytes, (await stat(file)).size);
    assert.equal(info.is360, false);
    assert.deepEqual(info.video, {
      codec: 'h264',
      streamIndex: 0,
      width: 640,
      height: 360,
      codedWidth: 640,
      codedHeight: 360,
      rotation: 0,
      fps: 30,
      pixFmt: 'yuv420p',
      bitDepth: 8,
      interlaced: false,
      hdr: null,
    });
    assert.deepEqual(info.audio, { codec: 'aac', streamIndex: 0, channels: 1, sampleRate: 48000 });
  });

  it('reads Matroska too', async () => {
    const info = await classifyFile(
      await makeClip(dir, { name: 'mkv', seconds: 1, container: 'mkv', audio: false }),
    );
    assert.deepEqual([info.kind, info.container, info.video?.width], ['video', 'matroska,webm', 320]);
    assert.ok(Math.abs(info.duration - 1) < 0.1);
  });

  it('reports the display size of a rotated phone clip', async () => {
    const info = await classifyFile(
      await makeClip(dir, { name: 'portrait', width: 640, height: 360, seconds: 1, rotate: 90 }),
    );
    assert.equal(info.video?.width, 360);
    assert.equal(info.video?.height, 640);
    assert.equal(info.video?.codedWidth, 640);
    // ffmpeg 5.1 writes `rotate=90` as a counter-clockwise matrix; either quarter turn swaps the sides.
    assert.ok([90, 270].includes(info.video?.rotation ?? 0));
    const upsideDown = await classifyFile(
      await makeClip(dir, { name: 'flipped', width: 640, height: 360, seconds: 1, rotate: 180 }),
    );
    assert.deepEqual(
      [upsideDown.video?.width, upsideDown.video?.height, upsideDown.video?.rotation],
      [640, 360, 180],
    );
  });

  it('classifies a silent video, an audio file, and an MP3 with cover art', async () => {
    const silent = await classifyFile(await makeClip(dir, { name: 'silent', seconds: 1, audio: false }));
    assert.equal(silent.kind, 'video');
    assert.equal(silent.audio, undefined);

    const m4a = await classifyFile(await makeClip(dir, { name: 'voice', seconds: 1, video: false }));
    assert.equal(m4a.kind, 'audio');
    assert.equal(m4a.video, undefined);
    assert.equal(m4a.audio?.codec, 'aac');

    const mp3 = await classifyFile(await makeMp3WithCover(dir));
    assert.equal(mp3.kind, 'audio');
    assert.equal(mp3.video, undefined);
    assert.equal(mp3.audio?.codec, 'mp3');
  });

  it('flags 360° video from its spherical metadata', async () => {
    const info = await classifyFile(
      await makeClip(dir, { name: 'vr', width: 640, height: 320, seconds: 1, spherical: true }),
    );
    assert.equal(info.is360, true);
    assert.equal(info.projection, 'equirectangular');
  });

  it('keeps odd sizes and reads 10-bit depth', async () => {
    const odd = await classifyFile(await makeClip(dir, { name: 'odd', width: 321, height: 241, seconds: 1 }));
    assert.deepEqual([odd.video?.width, odd.video?.height, odd.video?.pixFmt], [321, 241, 'yuv444p']);
    const deep = await classifyFile(
      await makeClip(dir, { name: 'deep', seconds: 1, pixFmt: 'yuv420p10le', audio: false }),
    );
    assert.equal(deep.video?.bitDepth, 10);
  });

  it('refuses still images as not yet supported', async () => {
    await assert.rejects(classifyFile(await makeImage(dir, 'png')), (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.equal(e.code, 'FH_ERR_UNSUPPORTED_MEDIA');
      assert.match(e.message, /image pipeline/);
      return true;
    });
    // A .jpg is claimed by image2 (by its extension), which is not whitelisted: same answer.
    await assert.rejects(classifyFile(await makeImage(dir, 'jpg')), rejectsWith('FH_ERR_UNSUPPORTED_MEDIA'));
  });
});

describe('classify (edge cases from ffprobe JSON)', () => {
  const video = (over: Partial<ProbeStream> = {}): ProbeStream => ({
    index: 0,
    codec_type: 'video',
    codec_name: 'h264',
    width: 1920,
    height: 1080,
    pix_fmt: 'yuv420p',
    avg_frame_rate: '30000/1001',
    ...over,
  });
  const probe = (...streams: ProbeStream[]): ProbeJson => ({
    streams,
    format: { format_name: 'matroska,webm' },
  });

  it('refuses a picture too large to decode (a pixel bomb), and takes 8K and 16K 360° frames', () => {
    for (const [width, height] of [
      [16_000, 16_000],
      [32_768, 64],
    ]) {
      assert.throws(
        () => classify(probe(video({ codec_name: 'mjpeg', width, height, nb_frames: '30' })), 1000),
        (e: unknown) =>
          e instanceof AppError &&
          e.code === 'FH_ERR_UNSUPPORTED_MEDIA' &&
          e.message.includes(`${width} × ${height}`),
      );
    }
    assert.equal(classify(probe(video({ width: 8192, height: 4320 })), 1).video?.width, 8192);
    assert.equal(classify(probe(video({ width: 16_384, height: 8192 })), 1).video?.height, 8192);
  });

  it('applies the sample aspect ratio to the display width', () => {
    const info = classify(probe(video({ width: 720, height: 480, sample_aspect_ratio: '32:27' })), 1);
    assert.deepEqual([info.video?.width, info.video?.height, info.video?.codedWidth], [853, 480, 720]);
    const unset = classify(probe(video({ sample_aspect_ratio: '0:1' })), 1);
    assert.equal(unset.video?.width, 1920);
  });

  it('reads rotation from the display matrix, or from the legacy rotate tag', () => {
    const matrix = classify(
      probe(video({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] })),
      1,
    );
    assert.deepEqual([matrix.video?.rotation, matrix.video?.width, matrix.video?.height], [90, 1080, 1920]);
    const tag = classify(probe(video({ tags: { rotate: '270' } })), 1);
    assert.deepEqual([tag.video?.rotation, tag.video?.width], [270, 1080]);
  });

  it('reads HDR transfer, interlacing and a fallback frame rate', () => {
    const pq = classify(
      probe(video({ color_transfer: 'smpte2084', pix_fmt: 'yuv420p10le', field_order: 'tt' })),
      1,
    );
    assert.deepEqual([pq.video?.hdr, pq.video?.bitDepth, pq.video?.interlaced], ['pq', 10, true]);
    const hlg = classify(probe(video({ color_transfer: 'arib-std-b67', field_order: 'progressive' })), 1);
    assert.deepEqual([hlg.video?.hdr, hlg.video?.interlaced, hlg.video?.fps], ['hlg', false, 29.97]);
    const rates = classify(probe(video({ avg_frame_rate: '0/0', r_frame_rate: '25/1' })), 1);
    assert.equal(rates.video?.fps, 25);
    const unknown = classify(probe(video({ avg_frame_rate: '0/0', r_frame_rate: '90000/1' })), 1);
    assert.equal(unknown.video?.fps, 30);
  });

  it('ignores data and subtitle streams and picks the video past cover art', () => {
    const cover = video({ index: 0, codec_name: 'mjpeg', disposition: { attached_pic: 1 } });
    const info = classify(
      probe(
        cover,
        video({ index: 1, width: 1280, height: 720 }),
        { index: 2, codec_type: 'subtitle', codec_name: 'subrip' },
        { index: 3, codec_type: 'data', codec_name: 'bin_data' },
        { index: 4, codec_type: 'audio', codec_name: 'opus', channels: 2, sample_rate: '48000' },
      ),
      1,
    );
    assert.deepEqual([info.video?.streamIndex, info.video?.width, info.audio?.codec], [1, 1280, 'opus']);
  });

  it('takes the duration from the streams when the container has none', () => {
    const info = classify(
      probe(video({ duration: '12.5' }), { index: 1, codec_type: 'audio', duration: '12.6' }),
      1,
    );
    assert.equal(info.duration, 12.6);
  });

  it('refuses files with nothing playable, and single-frame pictures', () => {
    assert.throws(() => classify(probe(), 1), rejectsWith('FH_ERR_NOT_MEDIA'));
    assert.throws(
      () => classify(probe({ index: 0, codec_type: 'subtitle' }), 1),
      rejectsWith('FH_ERR_NOT_MEDIA'),
    );
    const onlyCover = video({ codec_name: 'png', disposition: { attached_pic: 1 } });
    assert.throws(() => classify(probe(onlyCover), 1), rejectsWith('FH_ERR_NOT_MEDIA'));
    const oneJpeg = video({ codec_name: 'mjpeg', nb_frames: '1' });
    assert.throws(() => classify(probe(oneJpeg), 1), rejectsWith('FH_ERR_UNSUPPORTED_MEDIA'));
    const motionJpeg = video({ codec_name: 'mjpeg', nb_frames: '250' });
    assert.equal(classify(probe(motionJpeg), 1).kind, 'video');
  });
});
