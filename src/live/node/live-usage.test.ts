import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UsageEntry } from '../../usage/usage-records.ts';
import { LiveUsageClock } from './live-usage.ts';

test('live input and each encoded rung count the seconds a broadcaster is on, in ticks and at the end', () => {
  const entries: UsageEntry[] = [];
  let now = 1_000_000;
  const clock = new LiveUsageClock({
    usage: { add: (e) => entries.push(e) },
    owner: 'user:u',
    streamId: 's1',
    now: () => now,
  });
  const sum = (metric: string, dimension?: string) =>
    entries
      .filter((e) => e.metric === metric && (dimension === undefined || e.dimension === dimension))
      .reduce((n, e) => n + e.value, 0);
  clock.tick(); // not started: nothing
  clock.start([
    { width: 1920, height: 1080, copy: true }, // copied: not encoded
    { width: 1280, height: 720, copy: false },
    { width: 640, height: 360, copy: false },
  ]);
  now += 5000;
  clock.tick();
  assert.equal(sum('live_input_seconds'), 5);
  now += 2500;
  // The ladder loses its 720p rung: what ran so far counts with it.
  clock.start([
    { width: 1920, height: 1080, copy: true },
    { width: 640, height: 360, copy: false },
  ]);
  now += 2500;
  clock.stop();
  now += 60_000; // disconnected: nothing counts
  clock.tick();
  assert.equal(sum('live_input_seconds'), 10);
  assert.equal(sum('encoding_seconds', 'hd'), 7.5);
  assert.equal(sum('encoding_seconds', 'sd'), 10);
  assert.equal(sum('encoding_seconds', 'fhd'), 0);
  assert.ok(
    entries.every((e) => e.owner === 'user:u' && e.subjectKind === 'live_stream' && e.subjectId === 's1'),
  );
});

test('input read before the ladder started counts, up to a few seconds (a clock not starting at 0 is not believed)', () => {
  const entries: UsageEntry[] = [];
  let now = 1_000_000;
  const clock = () =>
    new LiveUsageClock({ usage: { add: (e) => entries.push(e) }, owner: 'o', streamId: 's', now: () => now });
  const a = clock();
  a.start([{ width: 640, height: 360, copy: false }], 1800);
  now += 1000;
  a.stop();
  const b = clock();
  b.start([], 3_600_000);
  now += 1000;
  b.stop();
  const input = entries.filter((e) => e.metric === 'live_input_seconds').map((e) => e.value);
  assert.deepEqual(input, [2.8, 6]);
  // Encoding ran only once the ladder did.
  assert.deepEqual(
    entries.filter((e) => e.metric === 'encoding_seconds').map((e) => e.value),
    [1],
  );
});
