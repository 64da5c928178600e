import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addConcatenatedCounts,
  addValue,
  bucketCount,
  bucketIndex,
  emptyCounts,
  mergeCounts,
  parseCounts,
  percentile,
  REBUFFER_PERCENTAGE,
  SCORE,
  STARTUP_MS,
} from './histograms.ts';

describe('QoE histograms (docs/qoe.md buckets)', () => {
  test('bucket counts are the contract’s: 11 startup, 10 score, 7 rebuffer', () => {
    assert.equal(bucketCount(STARTUP_MS), 11);
    assert.equal(bucketCount(SCORE), 10);
    assert.equal(bucketCount(REBUFFER_PERCENTAGE), 7);
  });

  test('startup buckets are ≤ bounds, the last one open', () => {
    assert.equal(bucketIndex(STARTUP_MS, 0), 0);
    assert.equal(bucketIndex(STARTUP_MS, 250), 0);
    assert.equal(bucketIndex(STARTUP_MS, 251), 1);
    assert.equal(bucketIndex(STARTUP_MS, 1000), 3);
    assert.equal(bucketIndex(STARTUP_MS, 1001), 4);
    assert.equal(bucketIndex(STARTUP_MS, 13000), 9);
    assert.equal(bucketIndex(STARTUP_MS, 13001), 10);
    assert.equal(bucketIndex(STARTUP_MS, 600_000), 10);
  });

  test('score buckets are < bounds, the last one ≤ 100', () => {
    assert.equal(bucketIndex(SCORE, 0), 0);
    assert.equal(bucketIndex(SCORE, 9.99), 0);
    assert.equal(bucketIndex(SCORE, 10), 1);
    assert.equal(bucketIndex(SCORE, 50), 5);
    assert.equal(bucketIndex(SCORE, 89.9), 8);
    assert.equal(bucketIndex(SCORE, 90), 9);
    assert.equal(bucketIndex(SCORE, 100), 9);
  });

  test('rebuffer buckets: exactly 0, then ≤ 1 %, … > 20 %', () => {
    assert.equal(bucketIndex(REBUFFER_PERCENTAGE, 0), 0);
    assert.equal(bucketIndex(REBUFFER_PERCENTAGE, 0.0001), 1);
    assert.equal(bucketIndex(REBUFFER_PERCENTAGE, 0.01), 1);
    assert.equal(bucketIndex(REBUFFER_PERCENTAGE, 0.03), 3);
    assert.equal(bucketIndex(REBUFFER_PERCENTAGE, 0.2), 5);
    assert.equal(bucketIndex(REBUFFER_PERCENTAGE, 0.21), 6);
    assert.equal(bucketIndex(REBUFFER_PERCENTAGE, 1), 6);
  });

  test('add and merge count arrays', () => {
    const a = emptyCounts(STARTUP_MS);
    addValue(STARTUP_MS, a, 100);
    addValue(STARTUP_MS, a, 700);
    addValue(STARTUP_MS, a, 700);
    const b = emptyCounts(STARTUP_MS);
    addValue(STARTUP_MS, b, 20_000);
    assert.deepEqual(mergeCounts(a, b), [1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]);
    // A shorter array adds as zeros beyond its end.
    assert.deepEqual(mergeCounts([1, 2, 3], [1]), [2, 2, 3]);
  });

  test('stored JSON parses to the right length; junk counts as empty', () => {
    assert.deepEqual(parseCounts(SCORE, '[1,2,3]'), [1, 2, 3, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(parseCounts(SCORE, 'not json'), emptyCounts(SCORE));
    assert.deepEqual(parseCounts(SCORE, '{"a":1}'), emptyCounts(SCORE));
    assert.deepEqual(parseCounts(SCORE, '[1,"x",-3,null]'), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  test('percentile interpolates linearly inside its bucket', () => {
    // One value in ≤250: the median is the middle of [0, 250].
    const one = emptyCounts(STARTUP_MS);
    addValue(STARTUP_MS, one, 100);
    assert.equal(percentile(STARTUP_MS, one, 0.5), 125);
    // 4 values: 1 in [0,250], 3 in (750,1000]. Rank 2 (median) is the first of three in (750,1000]:
    // 750 + 250 × (2 − 1) / 3.
    const four = [1, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0];
    assert.equal(percentile(STARTUP_MS, four, 0.5), 750 + (250 * 1) / 3);
    // p95: rank 3.8 → 750 + 250 × 2.8 / 3.
    assert.equal(percentile(STARTUP_MS, four, 0.95), 750 + (250 * 2.8) / 3);
    // Rank exactly at a bucket's end stays in that bucket: 1 of 2 → the top of [0,250].
    assert.equal(percentile(STARTUP_MS, [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5), 250);
    // q = 0: the lower edge of the first non-empty bucket.
    assert.equal(percentile(STARTUP_MS, [0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0], 0), 500);
  });

  test('the open last bucket gives its lower bound; the closed score bucket interpolates to 100', () => {
    assert.equal(percentile(STARTUP_MS, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4], 0.5), 13000);
    assert.equal(percentile(REBUFFER_PERCENTAGE, [0, 0, 0, 0, 0, 0, 2], 0.95), 0.2);
    assert.equal(percentile(SCORE, [0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 1), 100);
    assert.equal(percentile(SCORE, [0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 0.5), 95);
    // The zero bucket of rebuffering is [0, 0].
    assert.equal(percentile(REBUFFER_PERCENTAGE, [3, 0, 0, 0, 0, 0, 0], 0.5), 0);
  });

  test('nothing counted: null', () => {
    assert.equal(percentile(STARTUP_MS, emptyCounts(STARTUP_MS), 0.5), null);
  });

  test('count arrays concatenated by the database add up like parsed ones', () => {
    const counts = emptyCounts(REBUFFER_PERCENTAGE);
    addConcatenatedCounts(counts, '[1,0,2,0,0,0,10][0,3,0,0,0,0,1][][7]');
    assert.deepEqual(counts, [8, 3, 2, 0, 0, 0, 11]);
    // Longer arrays than the buckets and stray text are ignored, not misplaced.
    assert.deepEqual(addConcatenatedCounts([0, 0], '[1,2,3]x[4]'), [5, 2]);
    assert.deepEqual(addConcatenatedCounts([0, 0], ''), [0, 0]);
  });
});
