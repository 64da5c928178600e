import assert from 'node:assert/strict';
import { test } from 'node:test';
import { qualityScore, smoothnessScore, startupScore, successScore, viewScores } from './scores.ts';

const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);

test('success: 100 played, 0 failed (even after playing), 50 left before the first frame, else none', () => {
  assert.equal(successScore({ started: true, failed: false, exitedBeforeStart: false }), 100);
  assert.equal(successScore({ started: true, failed: true, exitedBeforeStart: false }), 0);
  assert.equal(successScore({ started: false, failed: true, exitedBeforeStart: false }), 0);
  assert.equal(successScore({ started: false, failed: false, exitedBeforeStart: true }), 50);
  assert.equal(successScore({ started: false, failed: false, exitedBeforeStart: false }), null);
});

test('startup: 100 up to 1 s, linear to 0 at 10 s', () => {
  assert.equal(startupScore(0), 100);
  assert.equal(startupScore(1000), 100);
  close(startupScore(5500), 50);
  close(startupScore(2800), 80);
  assert.equal(startupScore(10_000), 0);
  assert.equal(startupScore(60_000), 0);
});

test('smoothness: 20 % stalled or 4 stalls a minute is 0; both parts multiply', () => {
  assert.equal(smoothnessScore(60_000, 0, 0), 100);
  assert.equal(smoothnessScore(60_000, 12_000, 1), 0);
  assert.equal(smoothnessScore(60_000, 100, 4), 0);
  // 5 % stalled (×0.75), 1 a minute (×0.75).
  close(smoothnessScore(60_000, 3000, 1), 100 * 0.75 * 0.75);
  assert.equal(smoothnessScore(0, 0, 0), 100);
});

test('quality: upscaled share × (max upscale − 1), capped; downscaling costs nothing', () => {
  assert.equal(qualityScore(60_000, 0, null), 100);
  assert.equal(qualityScore(60_000, 60_000, 2), 0);
  assert.equal(qualityScore(60_000, 60_000, 3), 0);
  close(qualityScore(60_000, 30_000, 1.5), 100 * (1 - 0.5 * 0.5));
  assert.equal(qualityScore(60_000, 0, 0.5), 100);
});

test('the score: success × the cube root of the product of the three others / 100', () => {
  const s = viewScores({
    started: true,
    failed: false,
    exitedBeforeStart: false,
    startupMs: 2800,
    watchMs: 60_000,
    playingMs: 60_000,
    rebufferCount: 1,
    rebufferMs: 3000,
    upscaledMs: 30_000,
    maxUpscale: 1.5,
  });
  close(s.score, Math.cbrt(80 * 56.25 * 75));
  const never = viewScores({
    started: false,
    failed: false,
    exitedBeforeStart: true,
    startupMs: null,
    watchMs: 5000,
    playingMs: 0,
    rebufferCount: 0,
    rebufferMs: 0,
    upscaledMs: 0,
    maxUpscale: null,
  });
  assert.deepEqual(never, { success: 50, startup: null, smoothness: null, quality: null, score: 50 });
});
