import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type UsageCount, UsageMeter } from './usage-meter.ts';
import { billedOwner, resolutionClass } from './usage-records.ts';

const entry = (value: number, at: number, metric: UsageCount['metric'] = 'delivered_bytes') => ({
  owner: 'user:u1',
  subjectKind: 'asset' as const,
  subjectId: 'a1',
  metric,
  dimension: 'origin',
  value,
  at,
});
const T = Date.parse('2026-12-03T07:59:59.000Z');

test('the meter adds per hour, owner, subject, metric and dimension, and flushes what it holds', async () => {
  const written: UsageCount[][] = [];
  const meter = new UsageMeter({
    write: async (c) => {
      written.push(c);
    },
    onError: (e) => assert.fail(String(e)),
    flushSeconds: 60,
  });
  meter.add(entry(100, T));
  meter.add(entry(50, T));
  meter.add(entry(7, T + 1000)); // the next hour
  meter.add(entry(2.5, T, 'delivered_seconds'));
  meter.add(entry(0, T));
  meter.add(entry(-3, T));
  meter.add(entry(Number.NaN, T));
  assert.equal(meter.pending, 3);
  await meter.flush();
  assert.equal(meter.pending, 0);
  const rows = (written[0] ?? []).map((r) => [r.bucket, r.metric, r.value]).sort();
  assert.deepEqual(rows, [
    ['2026-12-03T07:00:00.000Z', 'delivered_bytes', 150],
    ['2026-12-03T07:00:00.000Z', 'delivered_seconds', 2.5],
    ['2026-12-03T08:00:00.000Z', 'delivered_bytes', 7],
  ]);
  assert.equal(written[0]?.[0]?.owner, 'user:u1');
  await meter.flush(); // nothing to write: no call
  assert.equal(written.length, 1);
});

test('a failed flush keeps its counts, added to what comes meanwhile, for the next flush', async () => {
  let fail = true;
  const written: UsageCount[][] = [];
  const errors: unknown[] = [];
  const meter = new UsageMeter({
    write: async (c) => {
      if (fail) throw new Error('database down');
      written.push(c);
    },
    onError: (e) => errors.push(e),
    flushSeconds: 60,
  });
  meter.add(entry(100, T));
  await meter.flush();
  assert.equal(errors.length, 1);
  assert.equal(meter.failures, 1);
  meter.add(entry(20, T));
  fail = false;
  await meter.stop();
  assert.deepEqual(
    written.flat().map((r) => r.value),
    [120],
  );
  assert.equal(meter.flushes, 1);
});

test('concurrent flushes write each count once', async () => {
  const written: number[] = [];
  const meter = new UsageMeter({
    write: async (c) => {
      await new Promise((r) => setTimeout(r, 20));
      for (const r of c) written.push(r.value);
    },
    onError: (e) => assert.fail(String(e)),
    flushSeconds: 60,
  });
  meter.add(entry(1, T));
  const a = meter.flush();
  meter.add(entry(2, T));
  const b = meter.flush();
  await Promise.all([a, b]);
  assert.deepEqual(written, [1, 2]);
});

test('resolution classes by the shorter side; no picture is audio', () => {
  assert.equal(resolutionClass(null, null), 'audio');
  assert.equal(resolutionClass(640, 360), 'sd');
  assert.equal(resolutionClass(1024, 576), 'sd');
  assert.equal(resolutionClass(1280, 720), 'hd');
  assert.equal(resolutionClass(1080, 1920), 'fhd');
  assert.equal(resolutionClass(3840, 2160), 'uhd');
});

test('billed owner: the creator; open-mode when none is recorded or the system made it', () => {
  assert.equal(billedOwner('user:u1'), 'user:u1');
  assert.equal(billedOwner('key:k1'), 'key:k1');
  assert.equal(billedOwner('open-mode'), 'open-mode');
  assert.equal(billedOwner(null), 'open-mode');
  assert.equal(billedOwner(undefined), 'open-mode');
  // A recording of a stream nobody created is made by `system:live`: nobody to bill.
  assert.equal(billedOwner('system:live'), 'open-mode');
  assert.equal(billedOwner('system:anything'), 'open-mode');
});
