import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HealthInputs, HealthTracker, healthWarnings } from './stream-health.ts';

const healthy: HealthInputs = {
  keyframeIntervalMs: 2000,
  keyframesRegular: true,
  speed: 1.01,
  droppedFrames: 0,
  latencySeconds: 0.3,
  hasAudio: true,
  fps: 30,
  bitrateBps: 4_500_000,
  maxBitrateBps: 20_000_000,
  width: 1920,
  height: 1080,
  droppedRenditions: [],
  lowLatency: true,
};
const codes = (h: Partial<HealthInputs>) => healthWarnings({ ...healthy, ...h }).map((w) => w.code);

describe('healthWarnings', () => {
  it('says nothing about a healthy stream', () => {
    assert.deepEqual(codes({}), []);
  });

  it('tells the host which OBS setting to change for a long keyframe interval', () => {
    const [w] = healthWarnings({ ...healthy, keyframeIntervalMs: 8000 });
    assert.equal(w?.code, 'keyframe_interval');
    assert.match(w?.message ?? '', /Keyframe interval 8 s: set it to 2 s in OBS/);
    assert.deepEqual(codes({ keyframeIntervalMs: 2400 }), [], 'a little over 2 s is rounding, not a problem');
    assert.deepEqual(codes({ keyframesRegular: false }), ['keyframes_irregular']);
  });

  it('flags what makes viewers fall behind or see a poor picture', () => {
    assert.deepEqual(codes({ speed: 0.8 }), ['slow_transcode']);
    assert.deepEqual(codes({ droppedRenditions: ['720p'] }), ['renditions_dropped']);
    assert.deepEqual(codes({ bitrateBps: 17_000_000 }), ['bitrate_near_limit']);
    assert.deepEqual(codes({ bitrateBps: 800_000 }), ['bitrate_low']);
    assert.deepEqual(codes({ fps: 12, bitrateBps: 4_500_000 }), ['low_fps']);
    assert.deepEqual(codes({ droppedFrames: 4 }), ['frames_dropped']);
    assert.deepEqual(codes({ latencySeconds: 2 }), ['high_latency']);
    assert.deepEqual(codes({ latencySeconds: 2, lowLatency: false }), [], 'standard latency allows more');
    assert.deepEqual(codes({ hasAudio: false }), ['no_audio']);
    assert.equal(codes({ bitrateBps: 0 })[0], 'no_data');
  });
});

describe('healthWarnings params', () => {
  const one = (h: Partial<HealthInputs>, code: string) => {
    const w = healthWarnings({ ...healthy, ...h }).find((x) => x.code === code);
    assert.ok(w, `no ${code} warning`);
    return w;
  };
  /** Each param that is a number shows in the English message as that number. */
  const numbersIn = (w: { code: string; message: string; params: Record<string, unknown> }) => {
    for (const [name, v] of Object.entries(w.params))
      if (typeof v === 'number')
        assert.ok(w.message.includes(String(v)), `${w.code}: ${name}=${v} not in "${w.message}"`);
  };

  it('gives the values each message is built from', () => {
    const cases: [Partial<HealthInputs>, string, Record<string, unknown>][] = [
      [{ bitrateBps: 0 }, 'no_data', {}],
      [{ speed: 0.8134 }, 'slow_transcode', { speed: 0.81 }],
      [
        { droppedRenditions: ['720p', '480p'] },
        'renditions_dropped',
        { renditions: ['720p', '480p'], count: 2 },
      ],
      [{ keyframeIntervalMs: 8040 }, 'keyframe_interval', { keyframe_seconds: 8, wanted_seconds: 2 }],
      [{ keyframesRegular: false }, 'keyframes_irregular', { wanted_seconds: 2 }],
      [{ bitrateBps: 17_200_400 }, 'bitrate_near_limit', { bitrate_kbps: 17200, max_kbps: 20000 }],
      [
        { bitrateBps: 800_000, fps: 29.97 },
        'bitrate_low',
        { bitrate_kbps: 800, width: 1920, height: 1080, fps: 30 },
      ],
      [{ fps: 12.4 }, 'low_fps', { fps: 12 }],
      [{ droppedFrames: 4 }, 'frames_dropped', { dropped_frames: 4 }],
      [{ latencySeconds: 2.26 }, 'high_latency', { latency_seconds: 2.3, late_after_seconds: 1.5 }],
      [{ hasAudio: false }, 'no_audio', {}],
    ];
    for (const [inputs, code, params] of cases) {
      const w = one(inputs, code);
      assert.deepEqual(w.params, params, code);
      numbersIn(w);
    }
    assert.match(one({ speed: 0.8134 }, 'slow_transcode').message, /\(0\.81×\)/);
    assert.match(one({ droppedRenditions: ['720p', '480p'] }, 'renditions_dropped').message, /720p, 480p/);
    assert.match(one({ latencySeconds: 2.26 }, 'high_latency').message, /published 2\.3 s .* under 1\.5 s/);
  });
});

describe('HealthTracker', () => {
  it('places output on the input clock and keeps the median of recent fragments', () => {
    const t = new HealthTracker();
    assert.equal(t.latencySeconds, null);
    // ffmpeg's input began at publisher time 10 s; a fragment ending at 5 s of output is input
    // time 15 s; the newest input is at 15.4 s: it was published 0.4 s behind.
    t.fragment(15_400, 10_000, 5);
    t.fragment(15_900, 10_000, 5.333);
    t.fragment(16_100, 10_000, 5.666);
    assert.equal(t.latencySeconds, 0.43);
    t.fragment(null, 10_000, 6);
    t.fragment(9_000, 10_000, 6); // clocks that do not line up are ignored
    assert.equal(t.latencySeconds, 0.43);
  });

  it('adds dropped frames across ffmpeg runs', () => {
    const t = new HealthTracker();
    t.progress({ speed: 1, dropFrames: 3 });
    t.progress({ speed: 0.9, dropFrames: 5 });
    t.newRun();
    t.progress({ speed: null, dropFrames: 2 });
    assert.equal(t.droppedFrames, 7);
    assert.equal(t.speed, null);
  });
});
