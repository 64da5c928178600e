import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assetRow } from '../../test/helpers/asset-row.ts';
import type { Db } from '../db/database.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { LocalObjectStore } from '../storage/local-store.ts';
import { firstWalkDelay } from './schedule.ts';
import { walkStorage } from './storage-walk.ts';
import { inKeyOrder, usageRepo } from './usage.repo.ts';
import { UsageService } from './usage.service.ts';
import type { UsageCount } from './usage-meter.ts';

const H7 = '2026-12-03T07:00:00.000Z';
const H8 = '2026-12-03T08:00:00.000Z';

async function asset(db: Db, id: string, createdBy: string | null, title = id) {
  await db
    .insertInto('assets')
    .values(assetRow(id, { title, created_by: createdBy }))
    .execute();
  await db
    .insertInto('playback_ids')
    .values({ id: `pb${id}pb${id}`, asset_id: id, policy: 'public', created_at: '2026-12-01T00:00:00.000Z' })
    .execute();
}

const count = (o: Partial<UsageCount> & Pick<UsageCount, 'metric' | 'value'>): UsageCount => ({
  bucket: H7,
  owner: 'user:u1',
  subject_kind: 'asset',
  subject_id: 'a1',
  dimension: 'origin',
  ...o,
});

for (const dialect of TEST_DIALECTS) {
  describe(`usage repository (${dialect})`, { skip: postgresSkip(dialect) }, () => {
    let t: TestDatabase;
    let dir: string;
    before(async () => {
      t = await openTestDatabase(dialect);
      dir = await mkdtemp(join(tmpdir(), 'fh-usage-'));
      await asset(t.db, 'a1', 'user:u1', 'First, "one"');
      await asset(t.db, 'a2', 'key:k1');
      await asset(t.db, 'a3', null);
    });
    after(async () => {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('flushes add to the same row (value = value + excluded.value), from any number of writers', async () => {
      // Two writers (SQLite serializes them; PostgreSQL runs them at once).
      const other = t.connect();
      const writes = [
        () => usageRepo.add(t.db, [count({ metric: 'delivered_bytes', value: 100 })]),
        () => usageRepo.add(other, [count({ metric: 'delivered_bytes', value: 23 })]),
      ];
      if (dialect === 'postgres') await Promise.all(writes.map((w) => w()));
      else for (const w of writes) await w();
      await usageRepo.add(t.db, [
        count({ metric: 'delivered_bytes', value: 0.5 }),
        count({ metric: 'delivered_bytes', value: 7, bucket: H8 }),
        count({ metric: 'encoding_seconds', value: 10, dimension: 'sd', subject_id: 'a2', owner: 'key:k1' }),
      ]);
      const rows = await t.db
        .selectFrom('usage_records')
        .select(['bucket', 'metric', 'value'])
        .where('metric', '=', 'delivered_bytes')
        .orderBy('bucket')
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.bucket, Number(r.value)]),
        [
          [H7, 123.5],
          [H8, 7],
        ],
      );
    });

    test('titles and e-mails of more ids than one statement may bind (group_by=asset of a big library)', async () => {
      // SQLite binds at most 32,766 parameters, PostgreSQL 65,535: one IN list of every id fails.
      const many = Array.from({ length: 66_000 }, (_, i) => `x${i}`);
      const titles = await usageRepo.titles(t.db, [...many, 'a1'], many);
      assert.equal(titles.size, 1);
      assert.equal(titles.get('a1'), 'First, "one"');
      assert.equal((await usageRepo.emails(t.db, many)).size, 0);
    });

    test('reports group by day, owner and subject; a viewer sees only their own', async () => {
      const usage = new UsageService({ db: t.db, now: () => Date.parse('2026-12-03T09:10:00Z') });
      const byDay = await usage.report({}, null);
      assert.equal(byDay.data.length, 1);
      assert.equal(byDay.data[0]?.day, '2026-12-03');
      assert.equal(byDay.totals.delivered_bytes.origin, 130.5);
      assert.equal(byDay.totals.encoding_minutes.sd, 10 / 60);
      assert.equal(byDay.from, '2026-12-01T00:00:00.000Z');
      assert.equal(byDay.to, '2026-12-03T10:00:00.000Z');

      const byUser = await usage.report({ groupBy: 'user' }, null);
      assert.deepEqual(
        byUser.data.map((r) => [r.owner, r.email, r.delivered_bytes.total, r.encoding_minutes.total]),
        [
          ['key:k1', null, 0, 10 / 60],
          ['user:u1', null, 130.5, 0],
        ],
      );
      const byAsset = await usage.report({ groupBy: 'asset', from: '2026-12-03T08:00:00Z' }, 'user:u1');
      assert.deepEqual(
        byAsset.data.map((r) => [r.subject_kind, r.subject_id, r.title, r.owner, r.delivered_bytes.origin]),
        [['asset', 'a1', 'First, "one"', 'user:u1', 7]],
      );
      await assert.rejects(usage.report({ owner: 'key:k1' }, 'user:u1'), /only your own/);
      const theirs = await usage.report({ owner: 'key:k1', groupBy: 'asset' }, null);
      assert.deepEqual(
        theirs.data.map((r) => r.subject_id),
        ['a2'],
      );
    });

    test('an edge report counts once per id, as `edge`, for the subject of each playback id', async () => {
      const usage = new UsageService({ db: t.db, now: () => Date.parse('2026-12-03T07:30:00Z') });
      const report = {
        id: 'report-0001',
        edge: 'edge-1',
        entries: [
          { playback_id: 'pba1pba1', bytes: 1000, seconds: 4 },
          { playback_id: 'pba3pba3', bytes: 10, seconds: 0 },
          { playback_id: 'nosuchid', bytes: 5, seconds: 1 },
        ],
      };
      assert.deepEqual(await usage.edgeReport(report), { accepted: 2, unknown: 1 });
      assert.deepEqual(await usage.edgeReport(report), { accepted: 2, unknown: 1 });
      const rows = await t.db
        .selectFrom('usage_records')
        .select(['owner', 'subject_id', 'metric', 'value'])
        .where('dimension', '=', 'edge')
        .orderBy('subject_id')
        .orderBy('metric')
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.owner, r.subject_id, r.metric, Number(r.value)]),
        [
          ['user:u1', 'a1', 'delivered_bytes', 1000],
          ['user:u1', 'a1', 'delivered_seconds', 4],
          ['open-mode', 'a3', 'delivered_bytes', 10],
        ],
      );
      // Old ids are forgotten after a week.
      const later = new UsageService({ db: t.db, now: () => Date.parse('2026-12-11T07:30:00Z') });
      assert.equal(await later.pruneEdgeReports(), 1);
    });

    test('storage walks: levels per asset and category, byte-seconds of the previous level, gone assets removed', async () => {
      const store = new LocalObjectStore(join(dir, 'store'));
      await store.init();
      await store.put('sources/a1/original', Buffer.alloc(1000));
      await store.put('hls/a1/360p/seg_00000.m4s', Buffer.alloc(300));
      await store.put('hls/a1/master.m3u8', Buffer.alloc(20));
      await store.put('images/a2/poster.jpg', Buffer.alloc(50));
      await store.put('sources/orphan/original', Buffer.alloc(999)); // no asset: billed to nobody
      let now = Date.parse('2026-12-03T07:50:00Z');
      const first = await walkStorage({ db: t.db, store, now: () => now });
      assert.equal(first.subjects, 3);
      const levels = await usageRepo.storageLevels(t.db);
      assert.deepEqual(
        levels.map((l) => [l.asset_id, l.category, l.owner, Number(l.bytes), l.objects]).sort(),
        [
          ['a1', 'renditions', 'user:u1', 320, 2],
          ['a1', 'source', 'user:u1', 1000, 1],
          ['a2', 'images', 'key:k1', 50, 1],
        ],
      );
      await store.delete('images/a2/poster.jpg');
      now += 20 * 60_000; // 08:10: 10 minutes in hour 7, 10 in hour 8
      const second = await walkStorage({ db: t.db, store, now: () => now });
      assert.equal(second.gone, 1);
      const rows = await t.db
        .selectFrom('usage_records')
        .select(['bucket', 'subject_id', 'dimension', 'value'])
        .where('metric', '=', 'stored_byte_seconds')
        .orderBy('subject_id')
        .orderBy('dimension')
        .orderBy('bucket')
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.bucket, r.subject_id, r.dimension, Number(r.value)]),
        [
          [H7, 'a1', 'renditions', 320 * 600],
          [H8, 'a1', 'renditions', 320 * 600],
          [H7, 'a1', 'source', 1000 * 600],
          [H8, 'a1', 'source', 1000 * 600],
          [H7, 'a2', 'images', 50 * 600],
          [H8, 'a2', 'images', 50 * 600],
        ],
      );
      assert.deepEqual((await usageRepo.storageLevels(t.db)).map((l) => l.asset_id).sort(), ['a1', 'a1']);
    });

    test('a worker starting asks for a walk at once only when none sampled within the interval', async () => {
      const every = 15 * 60_000;
      const fresh = await openTestDatabase(dialect);
      try {
        assert.equal(await firstWalkDelay(fresh.db, every, Date.parse('2026-12-03T08:00:00Z')), 0);
      } finally {
        await fresh.close();
      }
      // The storage walks test sampled at 08:10.
      assert.equal(await firstWalkDelay(t.db, every, Date.parse('2026-12-03T08:15:00Z')), 10 * 60_000);
      assert.equal(await firstWalkDelay(t.db, every, Date.parse('2026-12-03T08:25:00Z')), 0);
    });

    test('two storage walks at once: the one that read the levels before the other recorded writes nothing', async () => {
      const store = new LocalObjectStore(join(dir, 'store'));
      const stored = async () =>
        Number(
          (
            await t.db
              .selectFrom('usage_records')
              .select((eb) => eb.fn.sum<number | string>('value').as('v'))
              .where('metric', '=', 'stored_byte_seconds')
              .executeTakeFirstOrThrow()
          ).v,
        );
      const before = await stored();
      // Walk A read the levels (its database phase) and lost its lease; walk B runs meanwhile.
      const seenByA = await usageRepo.storageLevels(t.db);
      const b = await walkStorage({ db: t.db, store, now: () => Date.parse('2026-12-03T08:20:00Z') });
      assert.equal(b.recorded, true);
      const afterB = await stored();
      assert.equal(afterB - before, 1320 * 600); // 08:10 → 08:20, a1's 1,320 bytes
      // A integrated from the same sampled_at as B: recording it would count 08:10 → 08:20 twice.
      const levelsA = seenByA.map((l) => ({ ...l, sampled_at: '2026-12-03T08:21:00.000Z' }));
      const countA: UsageCount = {
        ...count({ metric: 'stored_byte_seconds', value: 1320 * 660 }),
        bucket: H8,
        dimension: 'source',
      };
      assert.equal(
        await usageRepo.recordWalk(t.db, {
          integrated: seenByA,
          counts: [countA],
          levels: levelsA,
          gone: [],
        }),
        false,
      );
      assert.equal(await stored(), afterB);
      assert.deepEqual(
        (await usageRepo.storageLevels(t.db)).map((l) => l.sampled_at),
        ['2026-12-03T08:20:00.000Z', '2026-12-03T08:20:00.000Z'],
      );
      // A walk whose signal fires before its commit writes nothing either.
      const current = await usageRepo.storageLevels(t.db);
      const lost = new AbortController();
      lost.abort(new Error('lease lost'));
      await assert.rejects(
        usageRepo.recordWalk(t.db, {
          integrated: current,
          counts: [countA],
          levels: levelsA,
          gone: [],
          signal: lost.signal,
        }),
        /lease lost/,
      );
      assert.equal(await stored(), afterB);
      assert.equal(
        await usageRepo.recordWalk(t.db, {
          integrated: current,
          counts: [countA],
          levels: levelsA,
          gone: [],
        }),
        true,
      );
      assert.equal(await stored(), afterB + 1320 * 660);
    });
  });
}

test('counts are written in primary-key order, so writers at once lock rows in one order (no deadlock)', () => {
  const rows = [
    count({ bucket: H8, metric: 'delivered_bytes', value: 1 }),
    count({ owner: 'user:u2', metric: 'delivered_bytes', value: 2 }),
    count({ subject_id: 'a0', metric: 'delivered_bytes', value: 3 }),
    count({ metric: 'delivered_bytes', dimension: 'edge', value: 4 }),
    count({ metric: 'delivered_bytes', value: 5 }),
    count({ subject_kind: 'live_stream', metric: 'delivered_bytes', value: 6 }),
    count({ metric: 'encoding_seconds', dimension: 'hd', value: 7 }),
  ];
  assert.deepEqual(
    inKeyOrder(rows).map((r) => r.value),
    [3, 4, 5, 7, 6, 2, 1],
  );
  // Any arrival order gives the same order.
  assert.deepEqual(inKeyOrder([...rows].reverse()), inKeyOrder(rows));
});
