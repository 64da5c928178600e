import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  effectiveLimits,
  encodingRefusal,
  formatAmount,
  formatMinutes,
  levelsReached,
  liveRefusal,
  noticesClear,
  noticesToSend,
  periodOf,
  refusalMessage,
  SUBJECT_PATTERN,
  storageRefusal,
} from './quota-rules.ts';

const row = (storage: number | null, minutes: number | null, live: number | null) => ({
  storage_bytes: storage,
  encoding_minutes_per_month: minutes,
  live_streams: live,
});

describe('quota rules', () => {
  test("a user's non-null values win over the role's; nulls inherit; no rows: no limits", () => {
    assert.deepEqual(effectiveLimits(row(5, null, null), row(10, 60, 2)), row(5, 60, 2));
    assert.deepEqual(effectiveLimits(undefined, row(10, 60, null)), row(10, 60, null));
    assert.deepEqual(effectiveLimits(row(0, null, 0), undefined), row(0, null, 0));
    assert.deepEqual(effectiveLimits(undefined, undefined), row(null, null, null));
    // PostgreSQL gives bigint columns as text.
    assert.deepEqual(
      effectiveLimits(
        { ...row(null, null, null), storage_bytes: '10000000000' as unknown as number },
        undefined,
      ),
      row(10_000_000_000, null, null),
    );
  });

  test('numbers read as people read them: GB with one decimal, minutes', () => {
    // Bytes: src/shared/bytes.ts's sentences.
    assert.equal(formatAmount('storage_bytes', 10_300_000_000), '10.3 GB');
    assert.equal(formatAmount('storage_bytes', 400_000), '0.4 MB');
    assert.equal(formatMinutes(90), '90 minutes');
    assert.equal(formatMinutes(12.46), '12.5 minutes');
    assert.equal(formatMinutes(1), '1 minute');
    assert.equal(formatMinutes(0), '0 minutes');
    assert.equal(formatMinutes(0.02), '1.2 seconds');
  });

  test("the refusal says the contract's sentence with the numbers", () => {
    const r = storageRefusal(10_000_000_000, 9_100_000_000, 1_200_000_000);
    assert.deepEqual(r, {
      quota: 'storage_bytes',
      limit: 10_000_000_000,
      used: 9_100_000_000,
      requested: 1_200_000_000,
    });
    assert.equal(
      refusalMessage(r as NonNullable<typeof r>),
      'This upload (1.2 GB) would take your storage to 10.3 GB; your quota is 10 GB.',
    );
    const usageAlone = storageRefusal(10_000_000_000, 10_000_000_000, null);
    assert.match(
      refusalMessage(usageAlone as NonNullable<typeof usageAlone>),
      /holds 10 GB; your quota is 10 GB/,
    );
    const minutes = encodingRefusal(60, 61.25);
    assert.match(
      refusalMessage(minutes as NonNullable<typeof minutes>),
      /61\.3 minutes .* 60 minutes a month/,
    );
    const live = liveRefusal(1, 1);
    assert.equal(
      refusalMessage(live as NonNullable<typeof live>),
      'One of your live streams is receiving a publish; your quota is 1 live stream at once.',
    );
  });

  test('storage: an upload may fill the quota exactly, not pass it; unknown sizes go on usage alone', () => {
    assert.equal(storageRefusal(null, 10 ** 12, 10 ** 12), null);
    assert.equal(storageRefusal(1000, 400, 600), null);
    assert.equal(storageRefusal(1000, 400, 601)?.requested, 601);
    assert.equal(storageRefusal(1000, 999, null), null);
    assert.equal(storageRefusal(1000, 1000, null)?.used, 1000);
    assert.equal(storageRefusal(0, 0, 1)?.limit, 0);
  });

  test('encoding minutes: refused once used up; live: one more than the limit is refused', () => {
    assert.equal(encodingRefusal(60, 59.9), null);
    assert.equal(encodingRefusal(60, 60)?.quota, 'encoding_minutes_per_month');
    assert.equal(encodingRefusal(null, 1e9), null);
    assert.equal(liveRefusal(2, 1), null);
    assert.deepEqual(liveRefusal(2, 2), { quota: 'live_streams', limit: 2, used: 2, requested: 1 });
    assert.equal(liveRefusal(0, 0)?.limit, 0);
  });

  test('thresholds: 80 and 100 are each told once; a jump tells the highest and records both', () => {
    assert.deepEqual(levelsReached('storage_bytes', 79, 100), []);
    assert.deepEqual(levelsReached('storage_bytes', 80, 100), [80]);
    assert.deepEqual(levelsReached('storage_bytes', 100, 100), [80, 100]);
    assert.deepEqual(levelsReached('encoding_minutes_per_month', 130, 100), [80, 100]);
    // Every allowed stream on air is not over the limit: 100 comes from a refused publish.
    assert.deepEqual(levelsReached('live_streams', 1, 1), [80]);
    assert.deepEqual(levelsReached('storage_bytes', 1, 0), [80, 100]);

    assert.deepEqual(noticesToSend([80], new Set()), { record: [80], tell: 80 });
    assert.deepEqual(noticesToSend([80], new Set([80])), { record: [], tell: null });
    assert.deepEqual(noticesToSend([80, 100], new Set([80])), { record: [100], tell: 100 });
    assert.deepEqual(noticesToSend([80, 100], new Set()), { record: [80, 100], tell: 100 });
    assert.deepEqual(noticesToSend([80, 100], new Set([80, 100])), { record: [], tell: null });
  });

  test('periods and subjects', () => {
    const now = Date.parse('2026-12-03T07:00:00Z');
    assert.equal(periodOf('encoding_minutes_per_month', now), '2026-12');
    assert.equal(periodOf('storage_bytes', now), 'current');
    assert.equal(periodOf('live_streams', now), 'current');
    for (const ok of ['user:abc123', 'role:admin', 'role:editor', 'role:viewer'])
      assert.ok(SUBJECT_PATTERN.test(ok), ok);
    for (const bad of ['user:', 'role:owner', 'key:abc', 'user:a/b', 'abc', 'user:a b'])
      assert.ok(!SUBJECT_PATTERN.test(bad), bad);
  });

  test('notices clear under 80 % of a limit, never under a limit of 0', () => {
    assert.equal(noticesClear(7, 10), true);
    assert.equal(noticesClear(8, 10), false);
    assert.equal(noticesClear(0, 1), true);
    assert.equal(noticesClear(0, 0), false);
    assert.equal(noticesClear(5, 0), false);
  });
});
