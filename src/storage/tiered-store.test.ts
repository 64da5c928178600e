import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { startS3 } from '../../test/helpers/s3.ts';
import { LocalObjectStore } from './local-store.ts';
import { objectStoreContract } from './object-store.contract.ts';
import { type ObjectInfo, ObjectNotFoundError } from './object-store.ts';
import { parseS3Url, S3ObjectStore } from './s3-store.ts';
import { COLD_CLASS_PREFIX, mainStoreOf, TieredObjectStore } from './tiered-store.ts';

async function folder(): Promise<LocalObjectStore> {
  const store = new LocalObjectStore(await mkdtemp(join(tmpdir(), 'fh-tier-')));
  await store.init();
  return store;
}

/** Every write is moved to the cold store at once: the contract then runs on the fallback reads. */
class AllColdStore extends TieredObjectStore {
  override async put(key: string, body: Readable | Buffer | string): Promise<ObjectInfo> {
    await super.put(key, body);
    await this.demote(key);
    return (await this.stat(key)) as ObjectInfo;
  }

  override async putFile(key: string, path: string, opts?: { link?: boolean }): Promise<ObjectInfo> {
    await super.putFile(key, path, opts);
    await this.demote(key);
    return (await this.stat(key)) as ObjectInfo;
  }
}

objectStoreContract('tiered (folder over folder), objects in the main store', async () => {
  return new TieredObjectStore(await folder(), await folder());
});

objectStoreContract('tiered (folder over folder), every object in the cold store', async () => {
  return new AllColdStore(await folder(), await folder());
});

describe('tiered store over S3 (s3rver) with a folder as cold store', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let n = 0;
  before(async () => {
    s3 = await startS3();
  });
  after(() => s3.stop());
  const bucket = () => {
    const location = parseS3Url(s3.url);
    return new S3ObjectStore({ ...location, prefix: `${location.prefix}/tier${++n}` });
  };

  test('reads fall back to the cold store; presigned URLs point where the object is', async () => {
    const hot = bucket();
    const cold = await folder();
    const store = new TieredObjectStore(hot, cold);
    await store.put('hls/a/seg_00001.m4s', 'segment one');
    await store.put('hls/a/seg_00002.m4s', 'segment two');
    assert.deepEqual(await store.demote('hls/a/seg_00002.m4s'), { moved: true, bytes: 11 });
    assert.equal(await hot.stat('hls/a/seg_00002.m4s'), null, 'gone from the main store');
    assert.equal(await text(await store.get('hls/a/seg_00002.m4s')), 'segment two');
    assert.equal(await text(await store.get('hls/a/seg_00002.m4s', { start: 8, end: 10 })), 'two');
    const hotUrl = await store.presignedGetUrl('hls/a/seg_00001.m4s', 60);
    assert.ok(hotUrl?.startsWith(s3.endpoint), 'a hot object: the bucket URL');
    assert.equal(await store.presignedGetUrl('hls/a/seg_00002.m4s', 60), null, 'a cold folder has no URLs');
    // Multipart uploads and bucket rules are the main store's.
    assert.equal(typeof store.listMultipartUploads, 'function');
    assert.equal(mainStoreOf(store), hot);
  });
});

test('demote copies, checks and removes; again it does nothing; a bad copy leaves the original in place', async () => {
  const hot = await folder();
  const cold = await folder();
  const store = new TieredObjectStore(hot, cold);
  await store.put('hls/x/index.m3u8', '#EXTM3U\n');
  assert.deepEqual(await store.demote('hls/x/index.m3u8'), { moved: true, bytes: 8 });
  assert.deepEqual(await store.demote('hls/x/index.m3u8'), { moved: false, bytes: 0 });
  assert.equal((await cold.getBuffer('hls/x/index.m3u8')).toString(), '#EXTM3U\n');
  assert.equal(await hot.stat('hls/x/index.m3u8'), null);

  // The cold store loses a byte on the way: the original stays where it was.
  const lossy = new TieredObjectStore(hot, {
    ...cold,
    put: (key: string) => cold.put(key, 'short'),
    stat: (key: string) => cold.stat(key),
    get: (key: string) => cold.get(key),
  } as unknown as LocalObjectStore);
  await store.put('hls/x/seg_00001.m4s', 'bytes that matter');
  await assert.rejects(lossy.demote('hls/x/seg_00001.m4s'), /bytes, expected 17/);
  assert.equal((await hot.getBuffer('hls/x/seg_00001.m4s')).toString(), 'bytes that matter');
  // Same size, other bytes: the read-back hash tells.
  const corrupting = new TieredObjectStore(hot, {
    ...cold,
    put: (key: string) => cold.put(key, 'bytes that MATTER'),
    stat: (key: string) => cold.stat(key),
    get: (key: string) => cold.get(key),
  } as unknown as LocalObjectStore);
  await assert.rejects(corrupting.demote('hls/x/seg_00001.m4s'), /differs/);
  assert.ok(await hot.stat('hls/x/seg_00001.m4s'));
});

test('listings merge both stores in key order; the main store shadows a key in both; deletion removes both', async () => {
  const hot = await folder();
  const cold = await folder();
  const store = new TieredObjectStore(hot, cold);
  await hot.put('p/b', 'hot b');
  await hot.put('p/d', 'd');
  await cold.put('p/a', 'aa');
  await cold.put('p/b', 'cold b, older');
  await cold.put('p/c', 'ccc');
  const listed = [];
  for await (const o of store.listDetailed('p/')) listed.push([o.key, o.size, o.storageClass]);
  assert.deepEqual(listed, [
    ['p/a', 2, `${COLD_CLASS_PREFIX}local`],
    ['p/b', 5, 'local'],
    ['p/c', 3, `${COLD_CLASS_PREFIX}local`],
    ['p/d', 1, 'local'],
  ]);
  assert.deepEqual(await store.list('p/'), ['p/a', 'p/b', 'p/c', 'p/d']);
  assert.equal((await store.getBuffer('p/b')).toString(), 'hot b');
  await store.delete('p/b');
  assert.equal(await store.stat('p/b'), null, 'the older cold copy does not come back');
  assert.equal(await store.deletePrefix('p/'), 3);
  assert.deepEqual(await cold.list('p/'), []);
  await assert.rejects(store.get('p/a'), ObjectNotFoundError);
});

test('withLocalFile reads a cold object; an error inside the callback is not retried on the cold store', async () => {
  const hot = await folder();
  const cold = await folder();
  const store = new TieredObjectStore(hot, cold);
  const file = join(tmpdir(), `fh-tier-${process.pid}`);
  await writeFile(file, 'source');
  await store.putFile('sources/s/original', file);
  await store.demote('sources/s/original');
  assert.equal(
    await store.withLocalFile('sources/s/original', async (p) =>
      (await import('node:fs/promises')).readFile(p, 'utf8'),
    ),
    'source',
  );
  let calls = 0;
  await store.put('sources/t/original', 'x');
  await assert.rejects(
    store.withLocalFile('sources/t/original', async () => {
      calls++;
      throw new ObjectNotFoundError('other/key');
    }),
    ObjectNotFoundError,
  );
  assert.equal(calls, 1);
});
