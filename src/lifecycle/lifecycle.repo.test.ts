import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assetRow } from '../../test/helpers/asset-row.ts';
import type { Db } from '../db/database.ts';
import type { AssetKind, AssetStatus } from '../db/schema.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { LocalObjectStore } from '../storage/local-store.ts';
import { TieredObjectStore } from '../storage/tiered-store.ts';
import { SecondStoreTier } from './cold-tier.ts';
import { lifecycleRepo } from './lifecycle.repo.ts';
import { applyLifecycleRules } from './lifecycle.service.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();

async function asset(
  db: Db,
  id: string,
  o: {
    kind?: AssetKind;
    status?: AssetStatus;
    renditions?: [string, 'ready' | 'processing', string][];
    lastViewed?: string;
    deleted?: string;
    dropped?: string;
    tier?: 'hot' | 'cold';
  },
) {
  await db
    .insertInto('assets')
    .values(
      assetRow(id, {
        status: o.status ?? 'ready',
        kind: o.kind ?? 'video',
        created_at: ago(100),
        updated_at: ago(0),
        last_viewed_at: o.lastViewed ?? null,
        deleted_at: o.deleted ?? null,
        source_dropped_at: o.dropped ?? null,
        storage_tier: o.tier ?? 'hot',
      }),
    )
    .execute();
  for (const [i, [name, status, at]] of (o.renditions ?? []).entries())
    await db
      .insertInto('renditions')
      .values({
        asset_id: id,
        name,
        type: name === 'audio' ? 'audio' : 'video',
        position: i,
        width: 320,
        height: 240,
        bandwidth: 1000,
        average_bandwidth: null,
        codecs: 'avc1',
        frame_rate: 25,
        status,
        created_at: at,
        updated_at: at,
      })
      .execute();
}

for (const dialect of TEST_DIALECTS) {
  describe(`lifecycle repository (${dialect})`, { skip: postgresSkip(dialect) }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(dialect);
      const db = t.db;
      // Ready since the last rung: 10 days (rungs 12 and 10 days old).
      await asset(db, 'old', {
        renditions: [
          ['240p', 'ready', ago(12)],
          ['audio', 'ready', ago(10)],
        ],
      });
      await asset(db, 'recent', { renditions: [['240p', 'ready', ago(2)]] });
      await asset(db, 'viewed', { renditions: [['240p', 'ready', ago(20)]], lastViewed: ago(1) });
      await asset(db, 'audio', { kind: 'audio', renditions: [['audio', 'ready', ago(5)]] });
      await asset(db, 'unfinished', {
        renditions: [
          ['240p', 'ready', ago(30)],
          ['480p', 'processing', ago(30)],
        ],
      });
      await asset(db, 'photo', { kind: 'image' });
      await asset(db, 'trashed', { renditions: [['240p', 'ready', ago(40)]], deleted: ago(3) });
      await asset(db, 'dropped', {
        renditions: [['240p', 'ready', ago(40)]],
        dropped: ago(30),
        tier: 'cold',
      });
      await asset(db, 'errored', { status: 'errored', renditions: [['240p', 'ready', ago(40)]] });
    });
    after(() => t.close());

    test('originals: finished ladders of videos and audio, longest ready first, up to a time', async () => {
      const all = await lifecycleRepo.finishedLadders(t.db, 'drop-original', 10);
      assert.deepEqual(
        all.map((a) => [a.id, a.readyAt]),
        [
          ['viewed', ago(20)],
          ['old', ago(10)],
          ['audio', ago(5)],
          ['recent', ago(2)],
        ],
      );
      const due = await lifecycleRepo.finishedLadders(t.db, 'drop-original', 10, ago(5));
      assert.deepEqual(
        due.map((a) => a.id),
        ['viewed', 'old', 'audio'],
      );
      assert.deepEqual(
        (await lifecycleRepo.finishedLadders(t.db, 'drop-original', 2)).map((a) => a.id),
        ['viewed', 'old'],
        'bounded',
      );
    });

    test('cold tier: by the last view, or the ready time; cold ones are left out', async () => {
      const all = await lifecycleRepo.finishedLadders(t.db, 'move-cold', 10);
      assert.deepEqual(
        all.map((a) => a.id),
        ['old', 'audio', 'recent', 'viewed'],
      );
      assert.deepEqual(
        (await lifecycleRepo.finishedLadders(t.db, 'move-cold', 10, ago(3))).map((a) => a.id),
        ['old', 'audio'],
      );
      assert.equal(all.find((a) => a.id === 'viewed')?.lastViewedAt, ago(1));
    });

    test('marks are written once; the trash is listed oldest first', async () => {
      assert.equal(await lifecycleRepo.markSourceDropped(t.db, 'old', ago(0)), true);
      assert.equal(await lifecycleRepo.markSourceDropped(t.db, 'old', ago(0)), false);
      assert.equal(await lifecycleRepo.markCold(t.db, 'old', ago(0)), true);
      assert.equal(await lifecycleRepo.markCold(t.db, 'old', ago(0)), false);
      assert.equal(await lifecycleRepo.markCold(t.db, 'trashed', ago(0)), false, 'not a trashed asset');
      assert.deepEqual(
        (await lifecycleRepo.finishedLadders(t.db, 'move-cold', 10)).map((a) => a.id),
        ['audio', 'recent', 'viewed'],
      );
      assert.deepEqual(
        (await lifecycleRepo.trashed(t.db)).map((r) => ({ ...r })),
        [{ id: 'trashed', deleted_at: ago(3) }],
      );
    });
  });
}

describe('applyLifecycleRules on real folders (SQLite)', () => {
  test('one asset that cannot move does not hold back the others; a second run has nothing left', async () => {
    const t = await openTestDatabase('sqlite');
    const root = await mkdtemp(join(tmpdir(), 'fh-lifecycle-run-'));
    try {
      const hot = new LocalObjectStore(join(root, 'hot'));
      const coldStore = new LocalObjectStore(join(root, 'cold'));
      await hot.init();
      await coldStore.init();
      const store = new TieredObjectStore(hot, coldStore);
      for (const id of ['blocked', 'fine']) {
        await asset(t.db, id, {
          renditions: [['240p', 'ready', new Date(Date.now() - 5 * DAY).toISOString()]],
        });
        await store.put(`hls/${id}/master.m3u8`, '#EXTM3U\n');
        await store.put(`hls/${id}/240p/seg_00001.m4s`, 'segment');
        await store.put(`sources/${id}/original`, 'original bytes');
        await store.put(`images/${id}/poster.jpg`, 'jpeg');
      }
      // A file where the cold store needs a folder: copying `blocked` there fails for real.
      await mkdir(join(root, 'cold', 'hls'), { recursive: true });
      await writeFile(join(root, 'cold', 'hls', 'blocked'), 'in the way');
      const counted: [string, number, number][] = [];
      const logs: string[] = [];
      const deps = {
        db: t.db,
        store,
        rules: {
          dropOriginalDays: 3,
          coldDays: 2,
          coldStorageClass: null,
          coldStorageUrl: 'file:cold',
          unfinishedUploadDays: 7,
          trashDays: 30,
        },
        cold: new SecondStoreTier(store, 'file:cold'),
        count: (action: string, objects: number, bytes: number) => counted.push([action, objects, bytes]),
        log: {
          info: (_o: object, m?: string) => logs.push(m ?? ''),
          warn: (_o: object, m?: string) => logs.push(m ?? ''),
        },
      };
      const first = await applyLifecycleRules(deps);
      assert.deepEqual(first.dropped, { assets: 2, objects: 2, bytes: 28 });
      assert.deepEqual(first.cold, { assets: 1, objects: 2, bytes: 15 });
      assert.deepEqual(
        first.failed.map((f) => f.assetId),
        ['blocked'],
      );
      assert.ok(logs.includes('lifecycle: an asset could not be handled'));
      assert.deepEqual(await coldStore.list('hls/fine/'), [
        'hls/fine/240p/seg_00001.m4s',
        'hls/fine/master.m3u8',
      ]);
      assert.deepEqual(await hot.list('hls/fine/'), []);
      assert.deepEqual(await hot.list('images/fine/'), ['images/fine/poster.jpg']);
      assert.ok((await hot.list('hls/blocked/')).length > 0, 'what could not move stays hot and readable');
      const tiers = await t.db.selectFrom('assets').select(['id', 'storage_tier']).orderBy('id').execute();
      assert.deepEqual(
        tiers.map((r) => [r.id, r.storage_tier]),
        [
          ['blocked', 'hot'],
          ['fine', 'cold'],
        ],
      );
      // Unblocked, the next run takes up what is left, and only that.
      await rm(join(root, 'cold', 'hls', 'blocked'));
      const second = await applyLifecycleRules(deps);
      assert.deepEqual(second.dropped, { assets: 0, objects: 0, bytes: 0 });
      assert.deepEqual(second.cold, { assets: 1, objects: 2, bytes: 15 });
      assert.deepEqual(second.failed, []);
      const third = await applyLifecycleRules(deps);
      assert.deepEqual([third.dropped.assets, third.cold.assets, third.failed.length], [0, 0, 0]);
      assert.deepEqual(counted, [
        ['drop-original', 1, 14],
        ['drop-original', 1, 14],
        ['move-cold', 1, 7],
        ['move-cold', 1, 8],
        ['move-cold', 1, 7],
        ['move-cold', 1, 8],
      ]);
    } finally {
      await t.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('the time budget stops a run between assets, and says there is more', async () => {
    const t = await openTestDatabase('sqlite');
    const root = await mkdtemp(join(tmpdir(), 'fh-lifecycle-budget-'));
    try {
      const store = new LocalObjectStore(root);
      await store.init();
      for (const id of ['a1', 'a2', 'a3']) {
        await asset(t.db, id, {
          renditions: [['240p', 'ready', new Date(Date.now() - 5 * DAY).toISOString()]],
        });
        await store.put(`sources/${id}/original`, 'x');
      }
      let clock = Date.now();
      const run = await applyLifecycleRules(
        {
          db: t.db,
          store,
          rules: {
            dropOriginalDays: 1,
            coldDays: null,
            coldStorageClass: null,
            coldStorageUrl: null,
            unfinishedUploadDays: 7,
            trashDays: 30,
          },
          cold: null,
          count: () => {},
          log: { info: () => {}, warn: () => {} },
          // Each look at the clock is a minute later: the 3-minute budget ends after the first asset.
          now: () => (clock += 60_000),
        },
        { budgetMs: 3 * 60_000 },
      );
      assert.equal(run.dropped.assets, 1);
      assert.equal(run.more, true);
      assert.equal((await store.list('sources/')).length, 2);
    } finally {
      await t.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  test('a running backup holds the rules back (nothing dropped, more to do); once it is over they run', async () => {
    const t = await openTestDatabase('sqlite');
    const root = await mkdtemp(join(tmpdir(), 'fh-lifecycle-backup-'));
    try {
      const store = new LocalObjectStore(root);
      await store.init();
      await asset(t.db, 'b1', {
        renditions: [['240p', 'ready', new Date(Date.now() - 5 * DAY).toISOString()]],
      });
      await store.put('sources/b1/original', 'x');
      const now = new Date().toISOString();
      await t.db
        .insertInto('backups')
        .values({
          id: 'bk1',
          trigger: 'cli',
          target: '/backups',
          status: 'running',
          objects_mode: 'all',
          node: 'n',
          started_at: now,
          heartbeat_at: now,
        })
        .execute();
      const deps = {
        db: t.db,
        store,
        rules: {
          dropOriginalDays: 1,
          coldDays: null,
          coldStorageClass: null,
          coldStorageUrl: null,
          unfinishedUploadDays: 7,
          trashDays: 30,
        },
        cold: null,
        count: () => {},
        log: { info: () => {}, warn: () => {} },
      };
      const held = await applyLifecycleRules(deps);
      assert.equal(held.dropped.assets, 0);
      assert.equal(held.more, true);
      assert.deepEqual(await store.list('sources/'), ['sources/b1/original']);

      await t.db.updateTable('backups').set({ status: 'succeeded' }).where('id', '=', 'bk1').execute();
      const after = await applyLifecycleRules(deps);
      assert.equal(after.dropped.assets, 1);
      assert.deepEqual(await store.list('sources/'), []);
    } finally {
      await t.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
