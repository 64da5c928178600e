// The admin usage and quota tabs' plain parts (web/src/admin/usage-data.ts): the periods they ask
// GET /v1/usage for, the numbers' words, and the quota form's checks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  daysBetween,
  fmtGbHours,
  fmtMinutes,
  fmtQuota,
  limitInputs,
  parseLimits,
  periodQuery,
  type QuotaRow,
  quotaUses,
} from '../web/src/admin/usage-data.ts';
import { formatBytes } from '../web/src/i18n/format.ts';
import { getLocale, overwriteGetLocale } from '../web/src/i18n/generated/runtime.js';

// The words come from the catalogue in the page's language; Node has no page (no localStorage
// nor browser languages), so the tests say which language they read: English, and Korean below.
let language: 'en' | 'ko' = 'en';
overwriteGetLocale(() => language);
const inKorean = <T>(read: () => T): T => {
  language = 'ko';
  try {
    return read();
  } finally {
    language = 'en';
  }
};

const NOW = Date.parse('2026-12-03T07:40:00Z');
const query = (r: ReturnType<typeof periodQuery>) => ('query' in r ? r.query.toString() : r.error);

describe('usage periods', () => {
  test('presets: this month and the last 30 days end now (no `to`: the server says now); last month is closed', () => {
    assert.equal(query(periodQuery('this-month', { from: '', to: '' }, NOW)), 'from=2026-12-01');
    assert.equal(
      query(periodQuery('last-month', { from: '', to: '' }, NOW)),
      'from=2026-11-01&to=2026-12-01',
    );
    assert.equal(query(periodQuery('last-30-days', { from: '', to: '' }, NOW)), 'from=2026-11-04');
    // January: last month is in the year before.
    assert.equal(
      query(periodQuery('last-month', { from: '', to: '' }, Date.parse('2027-01-15T00:00:00Z'))),
      'from=2026-12-01&to=2027-01-01',
    );
  });

  test('a custom period includes its last day; one that ends today leaves `to` to the server', () => {
    assert.equal(
      query(periodQuery('custom', { from: '2026-11-10', to: '2026-11-20' }, NOW)),
      'from=2026-11-10&to=2026-11-21',
    );
    assert.equal(
      query(periodQuery('custom', { from: '2026-11-10', to: '2026-12-03' }, NOW)),
      'from=2026-11-10',
    );
  });

  test('a custom period that cannot be asked for says why', () => {
    assert.equal(
      query(periodQuery('custom', { from: '2026-11-20', to: '2026-11-10' }, NOW)),
      'The last day comes before the first.',
    );
    assert.equal(
      query(periodQuery('custom', { from: '', to: '2026-11-10' }, NOW)),
      'Choose the first day of the period.',
    );
    assert.equal(
      query(periodQuery('custom', { from: '2025-01-01', to: '2026-12-01' }, NOW)),
      'A period can be at most 400 days.',
    );
    assert.match(query(periodQuery('custom', { from: '2027-01-01', to: '2027-01-02' }, NOW)), /future/);
    // The same checks in Korean.
    assert.equal(
      inKorean(() => query(periodQuery('custom', { from: '2026-11-20', to: '2026-11-10' }, NOW))),
      '마지막 날이 첫날보다 앞섭니다.',
    );
    assert.equal(
      inKorean(() => query(periodQuery('custom', { from: '2025-01-01', to: '2026-12-01' }, NOW))),
      '기간은 최대 400일까지 지정할 수 있습니다.',
    );
    assert.equal(getLocale(), 'en');
  });

  test('the charts have every day of the period, `to` excluded', () => {
    assert.deepEqual(daysBetween('2026-11-29T00:00:00.000Z', '2026-12-02T08:00:00.000Z'), [
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
    assert.deepEqual(daysBetween('2026-11-01T00:00:00.000Z', '2026-11-03T00:00:00.000Z'), [
      '2026-11-01',
      '2026-11-02',
    ]);
  });
});

test('numbers in decimal units, with as many digits as they need', () => {
  assert.equal(formatBytes(0, 'en-US'), '0 B');
  assert.equal(formatBytes(999, 'en-US'), '999 B');
  assert.equal(formatBytes(1_234_567, 'en-US'), '1.2 MB');
  assert.equal(formatBytes(2_500_000_000, 'en-US'), '2.5 GB');
  assert.equal(fmtMinutes(1.25, 'en-US'), '1.3 min');
  assert.equal(fmtMinutes(0.0123, 'en-US'), '0.012 min');
  assert.equal(fmtGbHours(1234.56, 'en-US'), '1,234.6 GB-h');
  assert.equal(fmtGbHours(1234.56, 'ko-KR'), '1,234.6 GB·시간');
  assert.equal(fmtMinutes(90, 'ko-KR'), '90분');
  assert.equal(fmtQuota('live_streams', 1, 'en-US'), '1 stream');
  assert.equal(fmtQuota('live_streams', 1200, 'en-US'), '1,200 streams');
  assert.equal(fmtQuota('live_streams', 3, 'ko-KR'), '스트림 3개');
  assert.equal(formatBytes(1_500_000, 'de-DE'), '1,5 MB');
  // The one formatter of every page (Storage, Backups, uploads too): decimal, TB past 10¹².
  assert.equal(formatBytes(500, 'en-US'), '500 B');
  assert.equal(formatBytes(1_000_000_000_000, 'en-US'), '1 TB');
});

describe('the quota form', () => {
  test('GB become bytes, empty fields no limit, commas are decimal points', () => {
    assert.deepEqual(
      parseLimits({ storage_bytes: '2,5', encoding_minutes_per_month: '', live_streams: '3' }),
      {
        limits: { storage_bytes: 2_500_000_000, encoding_minutes_per_month: null, live_streams: 3 },
      },
    );
    assert.deepEqual(
      limitInputs({ storage_bytes: 2_500_000_000, encoding_minutes_per_month: 90, live_streams: null }),
      {
        storage_bytes: '2.5',
        encoding_minutes_per_month: '90',
        live_streams: '',
      },
    );
  });

  test('what cannot be a limit is refused, field by field, in words', () => {
    const r = parseLimits({ storage_bytes: '-1', encoding_minutes_per_month: 'lots', live_streams: '1.5' });
    assert.deepEqual(r.errors, {
      storage_bytes: 'Write a number of GB, 0 or more (or leave it empty).',
      encoding_minutes_per_month: 'Write a number of minutes, 0 or more (or leave it empty).',
      live_streams: 'Write a whole number of streams.',
    });
    assert.equal(
      parseLimits({ storage_bytes: '9000001', encoding_minutes_per_month: '', live_streams: '' }).errors
        ?.storage_bytes,
      'At most 9,000,000 GB.',
    );
    assert.match(
      parseLimits({ storage_bytes: ' ', encoding_minutes_per_month: '', live_streams: '' }).errors?.form ??
        '',
      /at least one limit/,
    );
    assert.deepEqual(
      inKorean(
        () =>
          parseLimits({ storage_bytes: '9000001', encoding_minutes_per_month: '', live_streams: '1.5' })
            .errors,
      ),
      {
        storage_bytes: '최대 9,000,000GB까지 입력할 수 있습니다.',
        live_streams: '정수를 입력하세요 (단위: 개).',
      },
    );
  });

  test("a user's empty limit is their role's; use is a share of the limit in effect", () => {
    const row: QuotaRow = {
      subject: 'user:u1',
      storage_bytes: 1e9,
      encoding_minutes_per_month: null,
      live_streams: null,
      updated_at: '2026-12-03T07:00:00.000Z',
      updated_by: 'user:admin',
      email: 'a@example.com',
      usage: { storage_bytes: 9e8, encoding_minutes_per_month: 30, live_streams: 0 },
      users: null,
    };
    const uses = quotaUses(row, { storage_bytes: 5e9, encoding_minutes_per_month: 20, live_streams: null });
    assert.deepEqual(
      uses.map((u) => [u.quota, u.limit, u.percent, u.fromRole]),
      [
        ['storage_bytes', 1e9, 90, false],
        ['encoding_minutes_per_month', 20, 150, true],
        ['live_streams', null, null, false],
      ],
    );
  });
});
