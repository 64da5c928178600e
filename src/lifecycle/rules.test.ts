import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LastViewedRecorder } from './last-viewed.ts';
import {
  type AssetFacts,
  assetOfKey,
  DAY_MS,
  dropOriginalDueAt,
  HOUR_MS,
  horizon,
  isDue,
  type LifecycleRules,
  moveColdDueAt,
  type NextAction,
  purgeTrashDueAt,
  rulesFromConfig,
  soonestFirst,
  uploadExpiresAt,
} from './rules.ts';
import { CachedStorageReport, type StorageReport } from './storage-report.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const rules: LifecycleRules = {
  dropOriginalDays: 30,
  coldDays: 90,
  coldStorageClass: 'STANDARD_IA',
  coldStorageUrl: null,
  unfinishedUploadDays: 7,
  trashDays: 30,
};

const asset = (over: Partial<AssetFacts> = {}): AssetFacts => ({
  id: 'a1',
  kind: 'video',
  status: 'ready',
  deletedAt: null,
  sourceDroppedAt: null,
  storageTier: 'hot',
  lastViewedAt: null,
  readyAt: iso(T0),
  ...over,
});

test('drop original: due N days after the ladder is ready, not a minute before', () => {
  const due = dropOriginalDueAt(asset(), rules);
  assert.equal(due, T0 + 30 * DAY_MS);
  assert.equal(isDue(due, T0 + 30 * DAY_MS - 60_000), false);
  assert.equal(isDue(due, T0 + 30 * DAY_MS), true);
});

test('drop original: never for photos, unfinished ladders, trashed, unready or already dropped assets, nor without the setting', () => {
  for (const over of [
    { kind: 'image' as const },
    { kind: null },
    { readyAt: null },
    { status: 'processing' as const },
    { deletedAt: iso(T0) },
    { sourceDroppedAt: iso(T0) },
  ])
    assert.equal(dropOriginalDueAt(asset(over), rules), null, JSON.stringify(over));
  assert.equal(dropOriginalDueAt(asset(), { ...rules, dropOriginalDays: null }), null);
  assert.equal(
    dropOriginalDueAt(asset({ kind: 'audio' }), rules),
    T0 + 30 * DAY_MS,
    'audio has a ladder too',
  );
});

test('cold tier: N days after the last view, or after ready when never viewed; a view resets the clock', () => {
  assert.equal(moveColdDueAt(asset(), rules), T0 + 90 * DAY_MS);
  const viewed = asset({ lastViewedAt: iso(T0 + 40 * DAY_MS) });
  assert.equal(moveColdDueAt(viewed, rules), T0 + 130 * DAY_MS);
  assert.equal(isDue(moveColdDueAt(viewed, rules), T0 + 100 * DAY_MS), false);
  assert.equal(moveColdDueAt(asset({ storageTier: 'cold' }), rules), null, 'cold already');
  assert.equal(moveColdDueAt(asset({ kind: 'image' }), rules), null);
  assert.equal(moveColdDueAt(asset(), { ...rules, coldDays: null }), null);
  assert.equal(
    moveColdDueAt(asset(), { ...rules, coldStorageClass: null, coldStorageUrl: null }),
    null,
    'no tier to go to',
  );
  assert.equal(
    moveColdDueAt(asset(), { ...rules, coldStorageClass: null, coldStorageUrl: 'file:/cold' }),
    T0 + 90 * DAY_MS,
  );
});

test('trash and unfinished uploads', () => {
  assert.equal(purgeTrashDueAt(iso(T0), rules), T0 + 30 * DAY_MS);
  assert.equal(purgeTrashDueAt(iso(T0), { ...rules, trashDays: 0 }), null, 'no trash: deleted at once');
  assert.equal(uploadExpiresAt(iso(T0), rules), T0 + 7 * DAY_MS);
  assert.equal(uploadExpiresAt(new Date(T0), { ...rules, unfinishedUploadDays: 1 }), T0 + DAY_MS);
  assert.equal(horizon(7, T0 + 7 * DAY_MS), iso(T0));
});

test('settings become rules', () => {
  assert.deepEqual(
    rulesFromConfig({
      lifecycleDropOriginalDays: undefined,
      lifecycleColdDays: 10,
      lifecycleColdStorageClass: undefined,
      lifecycleColdStorageUrl: 'file:/srv/cold',
      lifecycleUnfinishedUploadDays: 7,
      trashDays: 30,
    }),
    {
      dropOriginalDays: null,
      coldDays: 10,
      coldStorageClass: null,
      coldStorageUrl: 'file:/srv/cold',
      unfinishedUploadDays: 7,
      trashDays: 30,
    },
  );
});

test('keys name their asset in the asset folders only; posters stay hot', () => {
  assert.deepEqual(assetOfKey('hls/abc/720p/seg_00001.m4s'), { folder: 'hls', assetId: 'abc' });
  assert.deepEqual(assetOfKey('images/abc/poster.jpg'), { folder: 'images', assetId: 'abc' });
  assert.equal(assetOfKey('imports/abc/x.mp4'), null);
  assert.equal(assetOfKey('tus/abc'), null);
  assert.equal(assetOfKey('hls/abc'), null);
  assert.equal(assetOfKey('constructor/abc/x'), null); // own folders only, not Object's
});

test('next actions: soonest first, overdue at the top, bounded', () => {
  const at = (days: number) => iso(T0 + days * DAY_MS);
  const actions: NextAction[] = [
    { action: 'move-cold', asset_id: 'b', bytes: 1, due_at: at(5) },
    { action: 'drop-original', asset_id: 'a', bytes: 1, due_at: at(-2) },
    { action: 'expire-upload', upload_id: 'u', bytes: 0, due_at: at(1) },
    { action: 'purge-trash', asset_id: 'c', bytes: 1, due_at: at(1) },
  ];
  assert.deepEqual(
    soonestFirst(actions, 3).map((a) => a.action),
    ['drop-original', 'expire-upload', 'purge-trash'],
  );
});

test('views: one write an hour per asset, off the caller’s turn; a failed write is tried again', async () => {
  let now = T0;
  const writes: [string, string][] = [];
  let fail = false;
  const errors: unknown[] = [];
  const views = new LastViewedRecorder({
    write: async (id, at) => {
      if (fail) throw new Error('database away');
      writes.push([id, at]);
    },
    onError: (e) => errors.push(e),
    now: () => now,
  });
  views.viewed('a');
  assert.equal(writes.length, 0, 'nothing written during the request');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(writes, [['a', iso(T0)]]);
  now += HOUR_MS - 1;
  views.viewed('a');
  views.viewed('b');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    writes.map(([id]) => id),
    ['a', 'b'],
  );
  now += 1;
  views.viewed('a');
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.length, 3, 'an hour later: written again');
  fail = true;
  now += HOUR_MS;
  views.viewed('c');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1, 'logged, not thrown');
  fail = false;
  views.viewed('c');
  await new Promise((r) => setImmediate(r));
  assert.equal(writes.at(-1)?.[0], 'c', 'the failed view is written on the next request');
  now += 2 * HOUR_MS;
  views.viewed('d');
  assert.equal(views.size, 1, 'entries older than an hour are forgotten');
});

test('the storage report is measured once a minute; later requests never wait for a walk', async () => {
  let now = T0;
  let walks = 0;
  let release: () => void = () => {};
  const report = (n: number) => ({ measuredAt: iso(now), next: [{ n }] }) as unknown as StorageReport;
  const cached = new CachedStorageReport({
    measure: async () => {
      walks++;
      const n = walks;
      if (n > 1) await new Promise<void>((r) => (release = r));
      return report(n);
    },
    onError: () => {},
    now: () => now,
  });
  const [a, b] = await Promise.all([cached.get(), cached.get()]);
  assert.equal(walks, 1, 'concurrent first requests share one walk');
  assert.equal(a, b);
  now += 59_999;
  assert.equal(await cached.get(), a);
  now += 1;
  assert.equal(await cached.get(), a, 'stale: answered at once, measured behind');
  assert.equal(walks, 2);
  release();
  await new Promise((r) => setImmediate(r));
  assert.notEqual(await cached.get(), a);
  assert.equal(walks, 2);
});
