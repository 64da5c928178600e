import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressBlocks } from '../../media/run-ffmpeg.ts';
import { WindowedSpeed } from './live-progress.ts';

describe('progressBlocks', () => {
  it('reassembles lines across chunks and reports one block per progress= line', () => {
    const blocks: unknown[] = [];
    const feed = progressBlocks((b) => blocks.push(b));
    feed('frame=30\nfps=29.9\nout_time_us=1000');
    feed('000\nspeed=0.98x\nprogress=continue\nout_time_us=N/A\nspeed=N/A\ndrop_frames=3\nprogress=end\n');
    assert.deepEqual(blocks, [
      { outTimeSeconds: 1, fps: 29.9, speed: 0.98, dropFrames: null, end: false },
      { outTimeSeconds: null, fps: 29.9, speed: null, dropFrames: 3, end: true },
    ]);
  });

  it('keeps a line without an end bounded', () => {
    const feed = progressBlocks(() => {});
    for (let i = 0; i < 100; i++) feed('x'.repeat(100_000));
  });
});

describe('WindowedSpeed', () => {
  it('measures the last window only, so a slowdown shows at once', () => {
    const w = new WindowedSpeed(3000);
    let speed: number | null = null;
    // 60 s at real time, then 5 s at half speed
    for (let t = 0; t <= 60_000; t += 500) speed = w.add(t, t / 1000);
    assert.ok(speed !== null && Math.abs(speed - 1) < 1e-9);
    let media = 60;
    for (let t = 60_500; t <= 65_000; t += 500) {
      media += 0.25;
      speed = w.add(t, media);
    }
    assert.ok(speed !== null && Math.abs(speed - 0.5) < 0.01, String(speed));
  });
});
