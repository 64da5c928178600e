import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../db/database.ts';
import type { AssetKind, AssetStatus } from '../db/schema.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { lifecycleRepo } from './lifecycle.repo.ts';

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
    .values({
      id,
      status: o.status ?? 'ready',
      kind: o.kind ?? 'video',
      title: id,
      source_key: `sources/${id}/original`,
      source_filename: null,
      source_size: 100,
      source_sha256: null,
      duration: 10,
      width: 320,
      height: 240,
      is_360: 0,
      progress: 1,
      media_info: null,
      errors: '[]',
      created_at: ago(100),
      updated_at: ago(0),
      created_by: null,
      last_viewed_at: o.lastViewed ?? null,
      deleted_at: o.deleted ?? null,
      source_dropped_at: o.dropped ?? null,
      storage_tier: o.tier ?? 'hot',
    })
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
