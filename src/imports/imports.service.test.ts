import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AssetsService } from '../assets/assets.service.ts';
import type { Db } from '../db/database.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { JobQueue } from '../queue/queue.ts';
import { LocalObjectStore } from '../storage/local-store.ts';
import { ObjectImporter } from './importer.ts';
import { type DropInOptions, Imports } from './imports.service.ts';

const OPTIONS: DropInOptions = {
  batchPrefix: 'imports/batches/',
  settleMs: 0,
  scanIntervalMs: 1000,
  hookOn: false,
};

function imports(db: Db, store: LocalObjectStore, options = OPTIONS): Imports {
  const queue = new JobQueue({ db });
  const assets = new AssetsService({ db, queue });
  return new Imports({ db, queue, store, importer: new ObjectImporter({ db, store, assets }), options });
}

test('which keys are drop-ins', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fh-dropin-'));
  const tdb = await openTestDatabase('sqlite');
  try {
    const i = imports(tdb.db, new LocalObjectStore(dir));
    for (const key of ['imports/a.mp4', 'imports/제주 여행/IMG 0001 (2).JPG', 'imports/batchesque/b.jpg'])
      assert.ok(i.isDropIn(key), key);
    for (const key of [
      'sources/x/original',
      'imports/batches/shoot/a.jpg',
      'imports/.DS_Store',
      'imports/cam/.hidden/a.mp4',
      'imports/big.mp4.a1b2c3.partial',
      'imports/back\\slash.mp4',
      'imports/tab\there.mp4',
    ])
      assert.ok(!i.isDropIn(key), key);
    assert.equal(i.dropInOn, true);
    assert.equal(
      imports(tdb.db, new LocalObjectStore(dir), { ...OPTIONS, scanIntervalMs: 0 }).dropInOn,
      false,
    );
  } finally {
    await tdb.close();
    await rm(dir, { recursive: true, force: true });
  }
});

for (const dialect of TEST_DIALECTS)
  describe(`scans on ${dialect}: every node asks, one scan is live at a time`, {
    skip: postgresSkip(dialect),
  }, () => {
    let tdb: TestDatabase;
    let dir: string;
    before(async () => {
      tdb = await openTestDatabase(dialect);
      dir = await mkdtemp(join(tmpdir(), 'fh-scan-'));
    });
    after(async () => {
      await tdb.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('three nodes asking every half second: one scan queued or running at a time', async () => {
      const store = new LocalObjectStore(dir);
      const nodes = [imports(tdb.db, store), imports(tdb.connect(), store), imports(tdb.connect(), store)];
      const queue = new JobQueue({ db: tdb.db });
      const live = () =>
        tdb.db
          .selectFrom('jobs')
          .select(['id', 'state'])
          .where('type', '=', 'imports.scan')
          .where('state', 'in', ['queued', 'running'])
          .execute();
      const timers = nodes.map((n) => n.startScanning((e) => assert.fail(String(e))));
      try {
        await sleep(600);
        assert.equal((await live()).length, 1);
        // Due a second after it was asked for: one worker takes it; the nodes keep asking meanwhile.
        await sleep(700);
        const [job] = await queue.claim(['imports.scan'], 5, 'worker-1', 60_000);
        assert.ok(job, 'the scan is due');
        assert.equal((await queue.claim(['imports.scan'], 5, 'worker-2', 60_000)).length, 0);
        await sleep(1100);
        assert.deepEqual(
          (await live()).map((j) => j.state),
          ['running'],
          'none queued beside the running one',
        );
        await queue.complete(job.id, 'worker-1');
        await sleep(1100);
        assert.deepEqual(
          (await live()).map((j) => j.state),
          ['queued'],
          'the next one, once it finished',
        );
      } finally {
        for (const t of timers) t.stop();
      }
    });
  });
