import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { videoSource } from '../../test/fixtures/media-info.ts';
import { assetsRepo } from '../assets/assets.repo.ts';
import type { Db } from '../db/database.ts';
import type { AssetRow, Mp4Support } from '../db/schema.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { planLadder } from '../media/ladder.ts';
import { renditionRows } from '../pipeline/renditions.ts';
import { JobQueue } from '../queue/queue.ts';
import type { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { isoNow } from '../shared/time.ts';
import { downloadsRepo } from './downloads.repo.ts';
import { readyDownload, syncDownloads } from './downloads.service.ts';

/** An asset whose ladder is planned from a width × height source, every rendition `status`. */
async function seedAsset(db: Db, width: number, height: number, status: 'processing' | 'ready') {
  const id = newId();
  const now = isoNow();
  await assetsRepo.insert(db, {
    id,
    status: 'processing',
    kind: 'video',
    title: null,
    source_key: `sources/${id}/original`,
    source_filename: null,
    source_size: 1,
    source_sha256: null,
    duration: 10,
    width,
    height,
    is_360: 0,
    progress: 0,
    media_info: null,
    errors: '[]',
    created_at: now,
    updated_at: now,
    created_by: null,
  });
  const rows = renditionRows(planLadder(videoSource(width, height)), now).map((r) => ({ ...r, status }));
  await assetsRepo.replaceRenditions(db, id, rows);
  return id;
}

const jobs = (db: Db, type: string) =>
  db.selectFrom('jobs').select(['payload']).where('type', '=', type).orderBy('created_at').execute();
const rows = async (db: Db, id: string) =>
  (await downloadsRepo.forAssets(db, [id])).map((r) => [r.name, r.status, r.object_key]);

for (const dialect of TEST_DIALECTS) {
  describe(`downloads service on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let t: TestDatabase;
    let queue: JobQueue;
    before(async () => {
      t = await openTestDatabase(dialect);
      queue = new JobQueue({ db: t.db });
    });
    after(() => t.close());

    const set = (id: string, mp4: Mp4Support) =>
      t.db.transaction().execute(async (trx) => {
        await assetsRepo.update(trx, id, { mp4_support: mp4 });
        await syncDownloads(trx, queue, id, { retryErrored: true });
      });

    test('queues the wanted download once, replaces it when the choice changes, removes it when turned off', async () => {
      const id = await seedAsset(t.db, 2560, 1440, 'processing');
      await set(id, 'standard');
      assert.deepEqual(await rows(t.db, id), [], 'the rung is not there yet');
      await assetsRepo.updateRenditions(t.db, id, { status: 'ready' });
      await t.db.transaction().execute((trx) => syncDownloads(trx, queue, id));
      await t.db.transaction().execute((trx) => syncDownloads(trx, queue, id)); // a second pass landing
      assert.deepEqual(await rows(t.db, id), [['1440p.mp4', 'preparing', null]]);
      const made = (await jobs(t.db, 'make-download')).filter((j) => j.payload.includes(id));
      assert.deepEqual(
        made.map((j) => JSON.parse(j.payload)),
        [{ assetId: id, name: '1440p.mp4' }],
      );

      assert.equal(
        await downloadsRepo.markReady(t.db, id, '1440p.mp4', `downloads/${id}/1440p-a.mp4`, 10),
        true,
      );
      await set(id, 'capped-1080p');
      assert.deepEqual(await rows(t.db, id), [['1080p.mp4', 'preparing', null]]);
      const removals = (await jobs(t.db, 'remove-download-objects')).map((j) => JSON.parse(j.payload));
      assert.deepEqual(removals.at(-1), { keys: [`downloads/${id}/1440p-a.mp4`] });
      // A job that made the 1440p file late finds its row gone: it must not take it.
      assert.equal(
        await downloadsRepo.markReady(t.db, id, '1440p.mp4', `downloads/${id}/1440p-b.mp4`, 10),
        false,
      );

      await downloadsRepo.markErrored(t.db, id, '1080p.mp4');
      await t.db.transaction().execute((trx) => syncDownloads(trx, queue, id));
      assert.deepEqual(await rows(t.db, id), [['1080p.mp4', 'errored', null]], 'not retried by itself');
      await set(id, 'capped-1080p');
      assert.deepEqual(await rows(t.db, id), [['1080p.mp4', 'preparing', null]], 'retried when asked');

      await set(id, 'none');
      assert.deepEqual(await rows(t.db, id), []);
    });

    test('readyDownload says why there is none: not offered (404), not made yet (409), failed, other type', async () => {
      const id = await seedAsset(t.db, 640, 360, 'ready');
      const code = async (ext: 'mp4' | 'm4a', over: Partial<AssetRow> = {}) => {
        const asset = { ...(await assetsRepo.get(t.db, id)), ...over } as AssetRow;
        return readyDownload(t.db, asset, ext).then(
          (r) => r.object_key,
          (e: AppError) => `${e.status} ${e.code}${/m4a|mp4\./.test(e.message) ? ` (${e.message})` : ''}`,
        );
      };
      assert.equal(await code('mp4'), '404 FH_ERR_DOWNLOAD_NOT_AVAILABLE');
      await set(id, 'standard');
      assert.equal(await code('mp4'), '409 FH_ERR_DOWNLOAD_NOT_READY');
      assert.equal(await code('mp4', { kind: 'image' }), '404 FH_ERR_DOWNLOAD_NOT_AVAILABLE');
      assert.equal(
        await code('mp4', { kind: 'audio' }),
        '404 FH_ERR_DOWNLOAD_NOT_AVAILABLE (This asset is audio only: its download is download.m4a.)',
      );
      assert.equal(
        await code('m4a'),
        '404 FH_ERR_DOWNLOAD_NOT_AVAILABLE (This asset has video: its download is download.mp4.)',
      );
      await downloadsRepo.markReady(t.db, id, '360p.mp4', `downloads/${id}/360p-a.mp4`, 99);
      assert.equal(await code('mp4'), `downloads/${id}/360p-a.mp4`);
      const other = await seedAsset(t.db, 640, 360, 'ready');
      await set(other, 'standard');
      await downloadsRepo.markErrored(t.db, other, '360p.mp4');
      const failed = await readyDownload(t.db, (await assetsRepo.get(t.db, other)) as AssetRow, 'mp4').catch(
        (e: AppError) => e,
      );
      assert.match(
        `${(failed as AppError).code} ${(failed as AppError).message}`,
        /NOT_AVAILABLE .*failed.*again/,
      );
    });
  });
}

test('a PATCH and a rung landing at the same moment still queue the download (PostgreSQL, READ COMMITTED)', {
  skip: postgresSkip('postgres'),
}, async () => {
  const t = await openTestDatabase('postgres');
  try {
    const queue = new JobQueue({ db: t.db });
    const id = await seedAsset(t.db, 640, 360, 'processing');
    // The PATCH's transaction: mp4_support set, renditions not ready yet as it sees them.
    let synced!: () => void;
    let commit!: () => void;
    const patchSynced = new Promise<void>((r) => (synced = r));
    const mayCommit = new Promise<void>((r) => (commit = r));
    const patching = t.db.transaction().execute(async (trx) => {
      await assetsRepo.update(trx, id, { mp4_support: 'standard' });
      await syncDownloads(trx, queue, id);
      synced();
      await mayCommit;
    });
    await patchSynced;
    // Meanwhile the last pass lands and syncs before the PATCH commits: it must wait for it,
    // or it would read mp4_support 'none' while the PATCH read the renditions as not ready.
    await assetsRepo.updateRenditions(t.db, id, { status: 'ready' });
    const landing = t.db.transaction().execute((trx) => syncDownloads(trx, queue, id));
    await sleep(300);
    commit();
    await Promise.all([patching, landing]);
    assert.deepEqual(await rows(t.db, id), [['360p.mp4', 'preparing', null]]);
    assert.equal((await jobs(t.db, 'make-download')).length, 1);
  } finally {
    await t.close();
  }
});
