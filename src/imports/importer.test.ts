import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startS3 } from '../../test/helpers/s3.ts';
import { AssetsService } from '../assets/assets.service.ts';
import type { Db } from '../db/database.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { JobQueue } from '../queue/queue.ts';
import { LocalObjectStore } from '../storage/local-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { parseS3Url, S3ObjectStore } from '../storage/s3-store.ts';
import { ObjectImporter } from './importer.ts';

const WHO = { actor: 'test', credential: null, ip: null };

/** What one node has: its own database connections, queue, assets service and importer. */
function node(db: Db, store: ObjectStore): ObjectImporter {
  const queue = new JobQueue({ db });
  return new ObjectImporter({ db, store, assets: new AssetsService({ db, queue }) });
}

let discarded = 0;
/** The store, counting removals of sources/ copies: what a loser of the claim does. */
function counting(store: ObjectStore): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'deletePrefix')
        return (prefix: string) => {
          if (prefix.startsWith('sources/')) discarded++;
          return target.deletePrefix(prefix);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const STORES = ['local folder', 'S3 (s3rver)'] as const;

for (const dialect of TEST_DIALECTS)
  for (const storeKind of STORES)
    describe(`one object, one asset: ${dialect}, ${storeKind}`, { skip: postgresSkip(dialect) }, () => {
      let tdb: TestDatabase;
      let store: ObjectStore;
      let dir: string;
      let s3: Awaited<ReturnType<typeof startS3>> | null = null;
      let nodes: ObjectImporter[];

      before(async () => {
        tdb = await openTestDatabase(dialect);
        dir = await mkdtemp(join(tmpdir(), 'fh-importer-'));
        if (storeKind === 'local folder') {
          const local = new LocalObjectStore(dir);
          await local.init();
          store = local;
        } else {
          s3 = await startS3();
          store = new S3ObjectStore(parseS3Url(s3.url));
        }
        // Two "nodes" on their own connections (a pool each on PostgreSQL), each counting the
        // copies it throws away (a lost claim).
        nodes = [node(tdb.db, counting(store)), node(tdb.connect(), counting(store))];
      });
      after(async () => {
        await tdb.close();
        await s3?.stop();
        await rm(dir, { recursive: true, force: true });
      });

      const assetCount = async () =>
        Number(
          (
            await tdb.db
              .selectFrom('assets')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );

      test('eight importers racing on two nodes for one object: one asset, no leftover copies', async (t) => {
        await store.put('imports/tour/day one.mp4', Buffer.alloc(50_000, 1));
        discarded = 0;
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (nodes[i % 2] as ObjectImporter).importObject('imports/tour/day one.mp4', {
              via: i % 2 ? 'hook' : 'scan',
              who: WHO,
              remove: true,
            }),
          ),
        );
        const ids = new Set(results.flatMap((r) => ('assetId' in r ? [r.assetId] : [])));
        assert.equal(ids.size, 1, JSON.stringify(results));
        assert.equal(results.filter((r) => r.status === 'created').length, 1);
        // The race was real: copies were made before any claim committed, and the ledger's key
        // turned all but one away.
        t.diagnostic(`${discarded} of 8 lost the claim after copying`);
        assert.ok(discarded > 0, 'no importer reached the claim: the race did not happen');
        assert.equal(await assetCount(), 1);
        const [id] = ids;
        const ledger = await tdb.db.selectFrom('imported_objects').selectAll().execute();
        assert.deepEqual(
          ledger.map((r) => [r.object_key, r.asset_id]),
          [['imports/tour/day one.mp4', id]],
        );
        const asset = await tdb.db.selectFrom('assets').selectAll().executeTakeFirstOrThrow();
        assert.deepEqual(
          [asset.source_filename, asset.title, asset.source_size],
          ['day one.mp4', 'day one', 50_000],
        );
        assert.deepEqual(
          await store.list('sources/'),
          [`sources/${id}/original`],
          "the losers' copies are gone",
        );
        assert.deepEqual(await store.list('imports/'), [], 'the object left imports/');
        const probes = await tdb.db.selectFrom('jobs').select('type').where('type', '=', 'probe').execute();
        assert.equal(probes.length, 1, 'one probe job');
      });

      test('a batch leaves its object; a drop-in of the same version later reuses the asset and removes it', async () => {
        await store.put('imports/batches/a.jpg', 'photo a');
        const first = await (nodes[0] as ObjectImporter).importObject('imports/batches/a.jpg', {
          via: 'batch',
          who: WHO,
          remove: false,
        });
        assert.equal(first.status, 'created');
        const again = await (nodes[1] as ObjectImporter).importObject('imports/batches/a.jpg', {
          via: 'batch',
          who: WHO,
          remove: false,
        });
        assert.deepEqual(again, { status: 'existing', assetId: 'assetId' in first ? first.assetId : '' });
        assert.ok(await store.stat('imports/batches/a.jpg'), 'a batch leaves it');
        const dropIn = await (nodes[0] as ObjectImporter).importObject('imports/batches/a.jpg', {
          via: 'scan',
          who: WHO,
          remove: true,
        });
        assert.equal(dropIn.status, 'existing');
        assert.equal(await store.stat('imports/batches/a.jpg'), null);
      });

      test('a new version of a key is a new asset; the same bytes again after their asset was deleted too', async () => {
        const importer = nodes[0] as ObjectImporter;
        const opts = { via: 'hook' as const, who: WHO, remove: false };
        await store.put('imports/v.bin', 'version one');
        const one = await importer.importObject('imports/v.bin', opts);
        await store.put('imports/v.bin', 'version two, longer');
        const two = await importer.importObject('imports/v.bin', opts);
        assert.equal(two.status, 'created');
        assert.notDeepEqual(one, two);
        // Deleted (rows first, as AssetsService.delete does): the ledger's claim is stale now.
        const assets = new AssetsService({ db: tdb.db, queue: new JobQueue({ db: tdb.db }) });
        await assets.delete('assetId' in two ? two.assetId : '', WHO);
        const three = await importer.importObject('imports/v.bin', opts);
        assert.equal(three.status, 'created');
        // Moved to the trash, as good as deleted: the same bytes again become an asset again.
        const trash = new AssetsService({ db: tdb.db, queue: new JobQueue({ db: tdb.db }), trashDays: 30 });
        await trash.delete('assetId' in three ? three.assetId : '', WHO);
        const four = await importer.importObject('imports/v.bin', opts);
        assert.equal(four.status, 'created');
        assert.notDeepEqual(four, three);
        assert.equal((await importer.importObject('imports/v.bin', opts)).status, 'existing');
      });

      test('gone, or still being written: nothing to import yet', async () => {
        const importer = nodes[0] as ObjectImporter;
        assert.deepEqual(
          await importer.importObject('imports/nothing.mp4', { via: 'scan', who: WHO, remove: true }),
          {
            status: 'gone',
          },
        );
        await store.put('imports/fresh.mp4', 'being copied');
        const opts = { via: 'scan' as const, who: WHO, remove: true, settledMs: 60_000 };
        assert.deepEqual(await importer.importObject('imports/fresh.mp4', opts), { status: 'unsettled' });
        if (store instanceof LocalObjectStore) {
          const old = new Date(Date.now() - 120_000);
          await utimes(store.pathFor('imports/fresh.mp4'), old, old);
          assert.equal((await importer.importObject('imports/fresh.mp4', opts)).status, 'created');
        }
      });
    });
