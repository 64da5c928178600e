import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../shared/errors.ts';
import { resolveRange } from './overview.service.ts';

const NOW = Date.UTC(2025, 5, 15, 10, 37, 12);
const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('the overview’s range', () => {
  test('default: the last 24 h, in whole hours', () => {
    const r = resolveRange({}, NOW);
    assert.equal(r.interval, 'hour');
    assert.equal(iso(r.from), '2025-06-14T10:00:00.000Z');
    assert.equal(iso(r.to), '2025-06-15T11:00:00.000Z');
  });

  test('up to 72 h per hour; beyond, per UTC day, widened to whole days', () => {
    const three = resolveRange({ from: iso(NOW - 72 * HOUR), to: iso(NOW) }, NOW);
    assert.equal(three.interval, 'hour');
    const month = resolveRange({ from: iso(NOW - 30 * DAY), to: iso(NOW) }, NOW);
    assert.equal(month.interval, 'day');
    assert.equal(iso(month.from), '2025-05-16T00:00:00.000Z');
    assert.equal(iso(month.to), '2025-06-16T00:00:00.000Z');
    // An end on a boundary stays there.
    assert.equal(
      iso(resolveRange({ from: '2025-06-01T00:00:00Z', to: '2025-06-10T00:00:00Z' }, NOW).to),
      '2025-06-10T00:00:00.000Z',
    );
  });

  test('from after to, more than 13 months apart, or not a time: FH_ERR_VALIDATION', () => {
    const invalid = (q: { from?: string; to?: string }) =>
      assert.throws(
        () => resolveRange(q, NOW),
        (e: unknown) => e instanceof AppError && e.code === 'FH_ERR_VALIDATION',
      );
    invalid({ from: iso(NOW), to: iso(NOW - HOUR) });
    invalid({ from: iso(NOW), to: iso(NOW) });
    invalid({ from: '2024-05-14T00:00:00Z', to: '2025-06-15T00:00:00Z' });
    invalid({ from: 'soon' });
    // Exactly 13 months is allowed.
    assert.equal(
      resolveRange({ from: '2024-05-15T00:00:00Z', to: '2025-06-15T00:00:00Z' }, NOW).interval,
      'day',
    );
  });
});
