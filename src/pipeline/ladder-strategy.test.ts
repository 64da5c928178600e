import assert from 'node:assert/strict';
import { test } from 'node:test';
import { videoSource } from '../../test/fixtures/media-info.ts';
import { planLadder } from '../media/ladder.ts';
import {
  chooseStrategy,
  decodesFast,
  passesFor,
  ThroughputTracker,
  workPerMediaSecond,
} from './ladder-strategy.ts';

const plan = planLadder(videoSource(1920, 1080));

test('lowest-first: the lowest rung with the audio, then the other rungs without it', () => {
  const [first, second] = passesFor(plan, 'lowest-first');
  assert.deepEqual(
    first?.video.map((r) => r.name),
    ['240p'],
  );
  assert.equal(first?.audio?.name, 'audio');
  assert.deepEqual(
    second?.video.map((r) => r.name),
    ['1080p', '720p', '480p', '360p'],
  );
  assert.equal(second?.audio, null);
});

test('one pass for one-pass, for a single rung and for audio only', () => {
  assert.equal(passesFor(plan, 'one-pass').length, 1);
  assert.equal(passesFor(planLadder(videoSource(320, 240)), 'lowest-first').length, 1);
  const audioOnly = { ...plan, video: [] };
  assert.deepEqual(passesFor(audioOnly, 'lowest-first'), [audioOnly]);
});

test('auto picks one-pass only when the predicted speed makes it playable within 0.3 × the duration', () => {
  const minute = { duration: 60, segmentSeconds: 4 };
  assert.equal(chooseStrategy('auto', null, minute), 'lowest-first', 'no measurement yet: the safe choice');
  assert.equal(chooseStrategy('auto', 0.6, minute), 'lowest-first');
  assert.equal(chooseStrategy('auto', 1.2, minute), 'one-pass');
  assert.equal(chooseStrategy('auto', 0.9, minute), 'one-pass');
  assert.equal(
    chooseStrategy('auto', 0.9, { duration: 20, segmentSeconds: 4 }),
    'lowest-first',
    'a short clip at the same speed would be playable too late',
  );
  assert.equal(chooseStrategy('one-pass', 0.1, minute), 'one-pass');
  assert.equal(chooseStrategy('lowest-first', 5, minute), 'lowest-first');
});

test('only a pass of small rungs from a source with bits to spare decodes without the loop filter', () => {
  const [first, second] = passesFor(plan, 'lowest-first');
  assert.ok(first && second);
  // 1080p30, 20 s: 0.13 bit per pixel (the benchmark clip's 8 Mbit/s) and 0.06 (4 Mbit/s).
  const clean = { ...videoSource(1920, 1080), sizeBytes: 20_000_000 };
  const starved = { ...videoSource(1920, 1080), sizeBytes: 10_000_000 };
  assert.equal(decodesFast(first, plan, clean), true, '240p of 1080p');
  assert.equal(decodesFast(second, plan, clean), false, 'the big rungs');
  assert.equal(decodesFast(plan, plan, clean), false, 'one pass feeds every rung');
  assert.equal(decodesFast(first, plan, starved), false, 'deblocking matters at 0.06 bit per pixel');
  const small = planLadder(videoSource(640, 360));
  const [lowest] = passesFor(small, 'lowest-first');
  assert.ok(lowest);
  assert.equal(
    decodesFast(lowest, small, { ...videoSource(640, 360), sizeBytes: 10_000_000 }),
    false,
    '240p of 360p',
  );
});

test('throughput learned from passes predicts the speed of a bigger ladder', () => {
  const small = planLadder(videoSource(640, 360));
  const info = videoSource(640, 360);
  const t = new ThroughputTracker();
  assert.equal(t.predictSpeed(1), null);
  // 10 s of media in 5 s of wall time: speed 2 on this ladder.
  t.observe(workPerMediaSecond(small, info), 10, 5);
  assert.ok(Math.abs((t.predictSpeed(workPerMediaSecond(small, info)) ?? 0) - 2) < 1e-9);
  const big = workPerMediaSecond(plan, videoSource(1920, 1080));
  assert.ok((t.predictSpeed(big) ?? 9) < 0.5, 'a 1080p ladder is several times the work');
});
