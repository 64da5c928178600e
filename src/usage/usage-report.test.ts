import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppError } from '../shared/errors.ts';
import { categoryOfKey, integrateLevel } from './storage-walk.ts';
import { usageCsv, usageCsvFilename } from './usage.presenter.ts';
import { parseTime, usageRange } from './usage.service.ts';
import { addSum, csvField, emptyFigures, figureColumns } from './usage-report.ts';

test('figures: minutes from seconds, GB-hours from byte-seconds, totals per figure', () => {
  const f = emptyFigures();
  addSum(f, { metric: 'encoding_seconds', dimension: 'sd', value: 90 });
  addSum(f, { metric: 'encoding_seconds', dimension: 'hd', value: 30 });
  addSum(f, { metric: 'stored_byte_seconds', dimension: 'source', value: 3.6e12 });
  addSum(f, { metric: 'delivered_bytes', dimension: 'edge', value: 10 });
  addSum(f, { metric: 'delivered_seconds', dimension: 'origin', value: 6 });
  addSum(f, { metric: 'live_input_seconds', dimension: '', value: 120 });
  addSum(f, { metric: 'delivered_bytes', dimension: 'elsewhere', value: 99 }); // not a reported path
  assert.deepEqual(f.encoding_minutes, { audio: 0, sd: 1.5, hd: 0.5, fhd: 0, uhd: 0, total: 2 });
  assert.equal(f.stored_gb_hours.source, 1);
  assert.equal(f.stored_gb_hours.total, 1);
  assert.deepEqual(f.delivered_bytes, { origin: 0, edge: 10, total: 10 });
  assert.deepEqual(f.delivered_minutes, { origin: 0.1, edge: 0, total: 0.1 });
  assert.equal(f.live_input_minutes, 2);
});

test('CSV fields: quoted when needed, formulas defused, numbers as they are', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvField(null), '');
  assert.equal(csvField(0.1 + 0.2), '0.30000000000000004');
  assert.equal(csvField(-1), '-1');
});

test('the CSV has the group columns, then the flattened figures, one line per row', () => {
  const f = emptyFigures();
  addSum(f, { metric: 'encoding_seconds', dimension: 'fhd', value: 60 });
  const csv = usageCsv({
    data: [{ subject_kind: 'asset', subject_id: 'a1', title: 'My, "clip"', owner: 'user:u', ...f }],
    from: '2026-12-01T00:00:00.000Z',
    to: '2026-12-03T08:00:00.000Z',
    group_by: 'asset',
    totals: f,
  });
  const [head, line, end] = csv.split('\r\n');
  assert.equal(head, ['subject_kind', 'subject_id', 'title', 'owner', ...figureColumns()].join(','));
  assert.ok(head?.includes('encoding_minutes_sd'));
  assert.ok(line?.startsWith('asset,a1,"My, ""clip""",user:u,0,0,0,1,0,1,'));
  assert.equal(end, '');
  assert.equal(
    usageCsvFilename({ from: '2026-12-01T00:00:00.000Z', to: '2026-12-03T08:00:00.000Z', group_by: 'day' }),
    'usage-2026-12-01T00Z-2026-12-03T08Z-day.csv',
  );
});

test('ranges: rounded outwards to hours, this month by default, at most 400 days, bad times refused', () => {
  const now = Date.parse('2026-12-03T07:25:00.000Z');
  assert.deepEqual(usageRange({}, now), {
    from: Date.parse('2026-12-01T00:00:00Z'),
    to: Date.parse('2026-12-03T08:00:00Z'),
  });
  assert.deepEqual(usageRange({ from: '2026-11-02T10:30:00Z', to: '2026-11-03' }, now), {
    from: Date.parse('2026-11-02T10:00:00Z'),
    to: Date.parse('2026-11-03T00:00:00Z'),
  });
  assert.throws(
    () => usageRange({ from: 'yesterday' }, now),
    (e: AppError) => e.code === 'FH_ERR_VALIDATION',
  );
  assert.throws(() => usageRange({ from: '2025-01-01', to: '2026-12-01' }, now), /400 days/);
  assert.throws(() => usageRange({ from: '2026-12-02', to: '2026-12-01' }, now), /after/);
  assert.doesNotThrow(() => usageRange({ from: '2025-11-01', to: '2026-12-01' }, now));
});

test('times: a UTC date or an ISO-8601 time with Z or an offset; anything else refused', () => {
  const at = (v: string) => parseTime('from', v);
  assert.equal(at('2026-12-03'), Date.parse('2026-12-03T00:00:00Z'));
  assert.equal(at('2026-12-03T10:00Z'), Date.parse('2026-12-03T10:00:00Z'));
  assert.equal(at('2026-12-03T10:00:30Z'), Date.parse('2026-12-03T10:00:30Z'));
  assert.equal(at('2026-12-03T10:00:30.250Z'), Date.parse('2026-12-03T10:00:30.250Z'));
  assert.equal(at('2026-12-03T10:00:00+02:00'), Date.parse('2026-12-03T08:00:00Z'));
  assert.equal(at('2026-12-03T10:00:00-0530'), Date.parse('2026-12-03T15:30:00Z'));
  for (const bad of [
    '2026-12-03T10:00', // no zone: would be the server's local time
    '2026-12-03T10:00:00',
    'December 3, 2026',
    '2026-12-03 10:00:00Z',
    '12/03/2026',
    '2026-02-30',
    '2026-13-01T00:00:00Z',
    '2026-12-03T24:00:00Z',
    '2026-12-3',
    '',
  ])
    assert.throws(
      () => at(bad),
      (e: AppError) =>
        e.code === 'FH_ERR_VALIDATION' && e.message.includes('`from` must be') && e.message.includes(bad),
      bad,
    );
});

test('a level held across hours is split at each hour boundary', () => {
  const from = Date.parse('2026-12-03T06:30:00Z');
  const to = Date.parse('2026-12-03T08:15:00Z');
  const level = {
    owner: 'o',
    subjectKind: 'asset' as const,
    subjectId: 'a',
    category: 'source',
    bytes: 1000,
  };
  const parts = integrateLevel(level, from, to);
  assert.deepEqual(
    parts.map((p) => [p.bucket, p.value]),
    [
      ['2026-12-03T06:00:00.000Z', 1000 * 1800],
      ['2026-12-03T07:00:00.000Z', 1000 * 3600],
      ['2026-12-03T08:00:00.000Z', 1000 * 900],
    ],
  );
  assert.equal(
    parts.reduce((n, p) => n + p.value, 0),
    (1000 * (to - from)) / 1000,
  );
  assert.deepEqual(integrateLevel(level, to, to), []);
  assert.deepEqual(integrateLevel({ ...level, bytes: 0 }, from, to), []);
});

test('keys to storage categories: the folder, and the id after it', () => {
  assert.deepEqual(categoryOfKey('hls/abc/720p/seg_00001.m4s'), { category: 'renditions', id: 'abc' });
  assert.deepEqual(categoryOfKey('sources/abc/original'), { category: 'source', id: 'abc' });
  assert.deepEqual(categoryOfKey('live/b1/720p/seg_1.m4s'), { category: 'live', id: 'b1' });
  assert.equal(categoryOfKey('tus/abc'), null);
  assert.equal(categoryOfKey('hls/abc'), null);
  assert.equal(categoryOfKey('imports/abc/x.mp4'), null);
  assert.equal(categoryOfKey('constructor/abc/x'), null); // own folders only, not Object's
});
