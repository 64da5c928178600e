import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../shared/errors.ts';
import { ReportRateLimit } from './report-rate-limit.ts';

test('a minute’s worth per address, refilled over the minute; 429 with retry_after', () => {
  let now = 1_000_000;
  const limit = new ReportRateLimit({ perMinute: 60, now: () => now });
  for (let i = 0; i < 60; i++) limit.take('203.0.113.7');
  let refusal: unknown;
  try {
    limit.take('203.0.113.7');
  } catch (err) {
    refusal = err;
  }
  assert.ok(refusal instanceof AppError);
  assert.equal(refusal.code, 'FH_ERR_RATE_LIMITED');
  assert.equal(refusal.status, 429);
  assert.deepEqual(refusal.details, { retry_after: 1, limit: 60 });
  // Another address is not limited by this one.
  limit.take('203.0.113.8');
  // A second later one more request passes, not two.
  now += 1000;
  limit.take('203.0.113.7');
  assert.throws(() => limit.take('203.0.113.7'), AppError);
});

test('an IPv6 client is limited by its /64', () => {
  const limit = new ReportRateLimit({ perMinute: 2, now: () => 0 });
  limit.take('2001:db8:1:2::1');
  limit.take('2001:db8:1:2:ffff::9');
  assert.throws(() => limit.take('2001:db8:1:2:abcd::1'), /Too many reports/);
  limit.take('2001:db8:1:3::1');
});

test('memory stays bounded: the oldest addresses are let go', () => {
  const limit = new ReportRateLimit({ perMinute: 1, maxAddresses: 100, now: () => 0 });
  limit.take('198.51.100.1');
  assert.throws(() => limit.take('198.51.100.1'));
  for (let i = 0; i < 100; i++) limit.take(`203.0.113.${i}`);
  // Pushed out: a fresh bucket.
  limit.take('198.51.100.1');
});

test('retry_after grows with the wait for the next token', () => {
  const limit = new ReportRateLimit({ perMinute: 6, now: () => 0 });
  for (let i = 0; i < 6; i++) limit.take('192.0.2.1');
  assert.throws(
    () => limit.take('192.0.2.1'),
    (err: AppError) => (err.details as { retry_after: number }).retry_after === 10,
  );
});
