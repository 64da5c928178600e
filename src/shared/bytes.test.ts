import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes } from './bytes.ts';

test('sentences read GB with one decimal, and small amounts in MB, kB or bytes', () => {
  assert.equal(formatBytes(10_000_000_000), '10 GB');
  assert.equal(formatBytes(10_300_000_000), '10.3 GB');
  assert.equal(formatBytes(1_249_999_999), '1.2 GB');
  assert.equal(formatBytes(100_000_000), '0.1 GB');
  // Small quotas do not read "0 GB".
  assert.equal(formatBytes(50_000_000), '50 MB');
  assert.equal(formatBytes(400_000), '0.4 MB');
  assert.equal(formatBytes(2_500), '2.5 kB');
  assert.equal(formatBytes(1), '1 byte');
  assert.equal(formatBytes(0), '0 bytes');
});

test('columns (the CLI) take the largest unit, one decimal always', () => {
  assert.equal(formatBytes(512, 'column'), '512 B');
  assert.equal(formatBytes(1000, 'column'), '1.0 KB');
  assert.equal(formatBytes(10_300_000_000, 'column'), '10.3 GB');
  assert.equal(formatBytes(2e18, 'column'), '2000.0 PB');
});
