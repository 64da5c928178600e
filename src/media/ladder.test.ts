import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { videoSource } from '../../test/fixtures/media-info.ts';
import { h264Level, planLadder } from './ladder.ts';
import type { MediaInfo } from './types.ts';

const sizes = (info: MediaInfo, opts?: { maxShortSide?: number }) =>
  planLadder(info, opts).video.map((r) => `${r.name} ${r.width}x${r.height}`);

describe('planLadder', () => {
  it('plans five rungs for 1080p30 landscape, with bitrates, levels and CODECS', () => {
    const plan = planLadder(videoSource(1920, 1080));
    assert.deepEqual(
      plan.video.map((r) => [
        r.name,
        r.width,
        r.height,
        r.bitrate,
        r.maxrate,
        r.bufsize,
        r.level,
        r.codecs,
        r.fps,
      ]),
      [
        ['1080p', 1920, 1080, 5_000_000, 5_000_000, 10_000_000, '4.0', 'avc1.640028', 30],
        ['720p', 1280, 720, 2_800_000, 2_800_000, 5_600_000, '3.1', 'avc1.64001f', 30],
        ['480p', 854, 480, 1_400_000, 1_400_000, 2_800_000, '3.1', 'avc1.64001f', 30],
        ['360p', 640, 360, 800_000, 800_000, 1_600_000, '3.0', 'avc1.64001e', 30],
        ['240p', 426, 240, 400_000, 400_000, 800_000, '3.0', 'avc1.64001e', 30],
      ],
    );
    assert.equal(plan.video[0]?.bandwidth, Math.round((5_000_000 + 128_000) * 1.1));
    assert.equal(plan.video[0]?.profile, 'high');
    assert.deepEqual(plan.audio, {
      name: 'audio',
      codec: 'aac',
      bitrate: 128_000,
      channels: 2,
      sampleRate: 48000,
      codecs: 'mp4a.40.2',
    });
    assert.equal(plan.fpsCap, null);
    assert.equal(plan.segmentSeconds, 4);
  });

  it('stands the rungs up for a rotated portrait phone clip (display 1080x1920)', () => {
    const phone = videoSource(1080, 1920, { codedWidth: 1920, codedHeight: 1080, rotation: 90 });
    assert.deepEqual(sizes(phone), [
      '1080p 1080x1920',
      '720p 720x1280',
      '480p 480x854',
      '360p 360x640',
      '240p 240x426',
    ]);
  });

  it('keeps 4K at 59.94 fps with 1.5× bitrates and 60 fps levels', () => {
    const plan = planLadder(videoSource(3840, 2160, { fps: 59.94 }));
    assert.deepEqual(
      plan.video.map((r) => [r.name, r.bitrate / 1000, r.level]),
      [
        ['2160p', 21000, '5.2'],
        ['1440p', 12000, '5.1'],
        ['1080p', 7500, '4.2'],
        ['720p', 4200, '3.2'],
        ['480p', 2100, '3.1'],
        ['360p', 1200, '3.1'],
        ['240p', 600, '3.0'],
      ],
    );
    assert.equal(plan.fpsCap, null);
    assert.ok(plan.video.every((r) => r.fps === 59.94));
  });

  it('caps 120 fps at 60', () => {
    const plan = planLadder(videoSource(1280, 720, { fps: 120 }));
    assert.equal(plan.fpsCap, 60);
    assert.ok(plan.video.every((r) => r.fps === 60));
  });

  it('fits the top rung of 5760x2880 360° video into 4096 and drops nothing else', () => {
    const vr = { ...videoSource(5760, 2880), is360: true, projection: 'equirectangular' };
    assert.deepEqual(sizes(vr), [
      '2048p 4096x2048',
      '1440p 2880x1440',
      '1080p 2160x1080',
      '720p 1440x720',
      '480p 960x480',
      '360p 720x360',
      '240p 480x240',
    ]);
    const top = planLadder(vr).video[0];
    assert.equal(top?.level, '5.1');
    // Bitrate from the 2160 row, scaled by pixels: 14000k × (4096×2048)/(3840×2160).
    assert.equal(top?.bitrate, 14_159_000);
  });

  it('drops lower rungs that are still wider than 4096 (a very wide panorama)', () => {
    assert.deepEqual(sizes(videoSource(12000, 1000)), ['342p 4096x342', '240p 2880x240']);
  });

  it('encodes a source smaller than 240 at its own size', () => {
    const plan = planLadder(videoSource(200, 150));
    assert.deepEqual(sizes(videoSource(200, 150)), ['150p 200x150']);
    assert.equal(plan.video[0]?.bitrate, 117_000); // 400k × (200×150) / (426×240)
  });

  it('rounds odd sizes to even', () => {
    assert.deepEqual(sizes(videoSource(321, 241)), ['240p 320x240']);
    assert.deepEqual(sizes(videoSource(641, 361)), ['360p 640x360', '240p 426x240']);
    assert.deepEqual(sizes(videoSource(175, 99)), ['98p 174x98']);
  });

  it('never upscales and honours maxShortSide', () => {
    assert.deepEqual(sizes(videoSource(1280, 719)), ['480p 854x480', '360p 640x360', '240p 428x240']);
    assert.deepEqual(sizes(videoSource(1920, 1080), { maxShortSide: 720 }), [
      '720p 1280x720',
      '480p 854x480',
      '360p 640x360',
      '240p 426x240',
    ]);
  });

  it('plans audio only for an audio source, and no audio rung for a silent video', () => {
    const song: MediaInfo = {
      kind: 'audio',
      container: 'mp3',
      duration: 200,
      sizeBytes: 4_000_000,
      is360: false,
      audio: { codec: 'mp3', streamIndex: 0, channels: 2, sampleRate: 44100 },
    };
    const plan = planLadder(song);
    assert.deepEqual(plan.video, []);
    assert.equal(plan.audio?.codecs, 'mp4a.40.2');
    assert.equal(plan.fpsCap, null);

    const silent = planLadder(videoSource(640, 360, {}, false));
    assert.equal(silent.audio, null);
    assert.equal(silent.video[0]?.bandwidth, Math.round(800_000 * 1.1));
  });
});

describe('h264Level', () => {
  it('picks the lowest level whose frame size, rate and bitrate fit', () => {
    assert.equal(h264Level(1280, 720, 30, 2_800_000, 5_600_000).name, '3.1');
    assert.equal(h264Level(1920, 1080, 30, 5_000_000, 10_000_000).name, '4.0');
    assert.equal(h264Level(1920, 1080, 30, 30_000_000, 60_000_000).name, '4.1'); // bitrate-bound
    assert.equal(h264Level(1920, 1080, 60, 7_500_000, 15_000_000).name, '4.2');
    assert.equal(h264Level(3840, 2160, 30, 14_000_000, 28_000_000).name, '5.1');
    assert.equal(h264Level(4096, 342, 30, 1_000_000, 2_000_000).name, '4.0'); // 256 MB wide
  });
});
