import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../shared/errors.ts';
import {
  avcCodecString,
  canCopySource,
  h264Level,
  type LiveSource,
  planLiveLadder,
  scaledSize,
} from './live-ladder.ts';

const src = (over: Partial<LiveSource> = {}): LiveSource => ({
  width: 1920,
  height: 1080,
  fps: 30,
  videoBitrate: 6_000_000,
  keyframeIntervalMs: 2000,
  hasAudio: true,
  videoCodec: 'h264',
  audioCodec: 'aac',
  ...over,
});
const opts = { maxRungs: 3, segmentSeconds: 2 };
const shape = (r: { name: string; width: number; height: number; copy: boolean }) =>
  `${r.name}:${r.width}x${r.height}${r.copy ? ':copy' : ''}`;

describe('planLiveLadder', () => {
  it('copies a 1080p source with 2 s keyframes as the top rung and encodes 720p and 360p under it', () => {
    const rungs = planLiveLadder(src({ videoCodecString: 'avc1.640028' }), opts);
    assert.deepEqual(rungs.map(shape), ['1080p:1920x1080:copy', '720p:1280x720', '360p:640x360']);
    const [top, mid, low] = rungs;
    assert.equal(top?.codecs, 'avc1.640028,mp4a.40.2');
    assert.equal(top?.videoBitrate, 6_000_000);
    assert.equal(mid?.codecs, 'avc1.64001f,mp4a.40.2');
    assert.equal(mid?.videoBitrate, 3_000_000);
    assert.equal(low?.codecs, 'avc1.64001e,mp4a.40.2');
    // AAC in: copied into every rung
    assert.ok(rungs.every((r) => r.audioCopy && r.audioBitrate === 128_000));
    assert.equal(mid?.bandwidth, Math.round((3_000_000 + 128_000) * 1.1));
  });

  it('encodes the top rung when the keyframe interval is unknown, too long or irregular', () => {
    for (const over of [
      { keyframeIntervalMs: null },
      { keyframeIntervalMs: 4000 },
      { keyframesRegular: false },
    ]) {
      const rungs = planLiveLadder(src(over), opts);
      assert.deepEqual(
        rungs.map(shape),
        ['1080p:1920x1080', '720p:1280x720', '360p:640x360'],
        JSON.stringify(over),
      );
      assert.equal(rungs[0]?.codecs, 'avc1.640028,mp4a.40.2');
    }
    // a keyframe every 1 s fits a 2 s segment; FLV rounding a few ms over still does
    assert.equal(canCopySource(src({ keyframeIntervalMs: 1000 }), 2), true);
    assert.equal(canCopySource(src({ keyframeIntervalMs: 2033 }), 2), true);
    assert.equal(canCopySource(src({ keyframeIntervalMs: 2100 }), 2), false);
    assert.equal(canCopySource(src({ videoCodec: 'hevc' }), 2), false);
  });

  it('respects maxRungs and never upscales', () => {
    assert.deepEqual(planLiveLadder(src(), { maxRungs: 2, segmentSeconds: 2 }).map(shape), [
      '1080p:1920x1080:copy',
      '720p:1280x720',
    ]);
    assert.deepEqual(planLiveLadder(src(), { maxRungs: 1, segmentSeconds: 2 }).map(shape), [
      '1080p:1920x1080:copy',
    ]);
    assert.deepEqual(planLiveLadder(src({ width: 1280, height: 720 }), opts).map(shape), [
      '720p:1280x720:copy',
      '480p:854x480',
      '360p:640x360',
    ]);
    assert.deepEqual(
      planLiveLadder(src({ width: 640, height: 360, keyframeIntervalMs: null }), opts).map(shape),
      ['360p:640x360', '240p:426x240'],
    );
  });

  it('brings an encoded source above 1080p down to 1080p, and keeps a portrait source standing', () => {
    assert.deepEqual(
      planLiveLadder(src({ width: 3840, height: 2160, keyframeIntervalMs: null }), opts).map(shape),
      ['1080p:1920x1080', '720p:1280x720', '360p:640x360'],
    );
    assert.deepEqual(planLiveLadder(src({ width: 1080, height: 1920 }), opts).map(shape), [
      '1080p:1080x1920:copy',
      '720p:720x1280',
      '360p:360x640',
    ]);
  });

  it('encodes non-AAC audio to AAC and leaves out audio when there is none', () => {
    const mp3 = planLiveLadder(src({ audioCodec: 'mp3' }), opts);
    assert.ok(
      mp3.every((r) => !r.audioCopy && r.audioBitrate === 128_000 && r.codecs.endsWith(',mp4a.40.2')),
    );
    const silent = planLiveLadder(src({ hasAudio: false, audioCodec: null }), opts);
    assert.ok(silent.every((r) => r.audioBitrate === 0 && !r.codecs.includes('mp4a')));
    const he = planLiveLadder(src({ audioCodecString: 'mp4a.40.5' }), opts);
    assert.ok(he.every((r) => r.codecs.endsWith(',mp4a.40.5')));
  });

  it('keeps odd sources even and refuses a source without a size', () => {
    assert.deepEqual(scaledSize(1366, 768, 360), { width: 640, height: 360 });
    assert.deepEqual(scaledSize(1000, 562, 360), { width: 640, height: 360 });
    assert.throws(
      () => planLiveLadder(src({ width: 0, height: 0 }), opts),
      (e) => e instanceof AppError && e.code === 'FH_ERR_UNSUPPORTED_MEDIA',
    );
  });

  it('names the H.264 level that holds the size and rate', () => {
    assert.equal(h264Level(1920, 1080, 30), 40);
    assert.equal(h264Level(1920, 1080, 60), 42);
    assert.equal(h264Level(1280, 720, 30), 31);
    assert.equal(h264Level(1280, 720, 60), 32);
    assert.equal(h264Level(640, 360, 30), 30);
    assert.equal(h264Level(426, 240, 30), 21);
    assert.equal(avcCodecString(854, 480, 30), 'avc1.64001f'); // 48600 MB/s: over 3.0's 40500
  });
});
