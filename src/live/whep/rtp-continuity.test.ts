import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpContinuity } from './rtp-continuity.ts';

describe('RtpContinuity', () => {
  it('passes the first source through, then continues sequence and clock across a new source', () => {
    const c = new RtpContinuity(90_000);
    assert.deepEqual(c.map(0xaaaa, 100, 5000, 0), { seq: 100, ts: 5000 });
    assert.deepEqual(c.map(0xaaaa, 101, 8000, 33), { seq: 101, ts: 8000 });
    assert.equal(c.isNewSource(0xaaaa), false);
    // ffmpeg restarted: new SSRC, random bases, 2 s later. One sequence step; the clock moves 2 s.
    assert.equal(c.isNewSource(0xbbbb), true);
    assert.deepEqual(c.map(0xbbbb, 40_000, 1_000_000, 2033), { seq: 102, ts: 8000 + 180_000 });
    assert.deepEqual(c.map(0xbbbb, 40_001, 1_003_000, 2066), { seq: 103, ts: 8000 + 183_000 });
  });

  it('wraps sequence numbers and timestamps, and a late packet of the old order does not move the base', () => {
    const c = new RtpContinuity(48_000);
    c.map(1, 65_534, 0xffff_ff00, 0);
    assert.deepEqual(c.map(1, 65_535, 0xffff_ffff, 20), { seq: 65_535, ts: 0xffff_ffff });
    assert.deepEqual(c.map(1, 0, 959, 40), { seq: 0, ts: 959 });
    // Reordered: an older packet maps with the same offsets and leaves "the last sent" alone.
    assert.deepEqual(c.map(1, 65_535, 0xffff_ffff, 41), { seq: 65_535, ts: 0xffff_ffff });
    // New source 1 s after the newest (seq 0 at 40 ms): seq 1, clock + 48000 ticks.
    assert.deepEqual(c.map(2, 7, 123, 1040), { seq: 1, ts: 959 + 48_000 });
  });

  it('a new source straight after the last packet still moves the clock by one tick', () => {
    const c = new RtpContinuity(90_000);
    c.map(1, 10, 1000, 500);
    assert.deepEqual(c.map(2, 999, 77, 500), { seq: 11, ts: 1001 });
  });
});
