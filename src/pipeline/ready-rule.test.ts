import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lagSeconds, type ReadyInput, SpeedMeter, safeToStart, secondsUntilSafe } from './ready-rule.ts';

const at = (o: Partial<ReadyInput>): ReadyInput => ({
  duration: 60,
  published: 4,
  encoded: 4.5,
  speed: 2,
  segmentSeconds: 4,
  ...o,
});

test('an encoder faster than realtime: ready once the next segment will be there in time', () => {
  // The second segment ends at 8 s: published (8 − 4.5) / 2 + 3 = 4.75 s from now, needed at 4 s.
  assert.equal(safeToStart(at({})), false);
  // From 6 s encoded it is published within 4 s: a viewer reaching it never waits.
  assert.equal(safeToStart(at({ encoded: 6 })), true);
  assert.equal(
    safeToStart(at({ speed: 8, encoded: 4 })),
    true,
    'a fast encoder: the first segment is enough',
  );
  assert.equal(safeToStart(at({ published: 0, encoded: 3.9, speed: 10 })), false, 'nothing to play yet');
  assert.equal(safeToStart(at({ speed: null })), false, 'pace unknown');
});

test('an encoder slower than realtime: ready once it finishes before a viewer reaches the end', () => {
  // At 0.8× the rest (60 − E) takes (60 − E) / 0.8 s; a viewer needs the last segment at 56 s.
  const ok = (E: number) => safeToStart(at({ published: E, encoded: E, speed: 0.8 }));
  const threshold = 60 - 0.8 * (56 - lagSeconds(4));
  assert.equal(ok(Math.floor(threshold)), false);
  assert.equal(ok(Math.ceil(threshold)), true);
  assert.equal(safeToStart(at({ published: 60, encoded: 60, speed: 0.1 })), true, 'complete');
});

test('time until playable: what auto weighs for a one-pass encode', () => {
  // Realtime or faster: the second segment comes in time from the start.
  assert.ok(secondsUntilSafe(60, 2, 4) <= 4);
  // 0.9× on a minute: within 0.3 × 60 s (16 s published after 17.8 s); 0.75×: not.
  assert.ok(secondsUntilSafe(60, 0.9, 4) <= 18, String(secondsUntilSafe(60, 0.9, 4)));
  assert.ok(secondsUntilSafe(60, 0.75, 4) > 18);
  // A short clip needs more: at 0.9× a 20 s clip is playable only after 0.4 of it.
  assert.ok(secondsUntilSafe(20, 0.9, 4) > 6);
});

test('the speed follows the last seconds, never above the average since the start', () => {
  const m = new SpeedMeter(0, 3000);
  assert.equal(m.speed, null, 'nothing yet');
  m.add(0.5, 500);
  assert.equal(m.speed, null, 'under a second');
  // 2× realtime for 4 s…
  for (let t = 1000; t <= 4000; t += 500) m.add(t / 500, t);
  assert.equal(m.speed, 2);
  // …then a second encoder starts beside it and it drops to 1×: the window sees it within seconds.
  for (let t = 4500; t <= 8000; t += 500) m.add(8 + (t - 4000) / 1000, t);
  assert.equal(m.encoded, 12);
  assert.ok(Math.abs((m.speed ?? 0) - 1) < 1e-9, String(m.speed));
  // A burst after a slow start does not count above the average.
  const late = new SpeedMeter(0, 3000);
  late.add(1, 4000);
  late.add(5, 5000);
  assert.equal(late.speed, 1);
});
