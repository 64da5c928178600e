import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalObjectStore } from '../storage/local-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { HotObjects } from './hot-objects.ts';

let dir: string;
let store: LocalObjectStore;
/** The real store, counting what the tier asks of it. */
let counted: ObjectStore & { stats: number; reads: number };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fh-hot-'));
  store = new LocalObjectStore(dir);
  await store.init();
  counted = Object.assign(Object.create(store) as ObjectStore, {
    stats: 0,
    reads: 0,
    stat(key: string) {
      counted.stats++;
      return store.stat(key);
    },
    getBuffer(key: string) {
      counted.reads++;
      return store.getBuffer(key);
    },
  });
});
after(() => rm(dir, { recursive: true, force: true }));

test('an immutable object is read once, then answered from memory without asking the store', async () => {
  await store.put('a/seg_00001.m4s', Buffer.alloc(1000, 7));
  const hot = new HotObjects(counted, { maxBytes: 1024 * 1024 });
  counted.stats = counted.reads = 0;
  const first = await hot.read('a/seg_00001.m4s', true);
  const again = await hot.read('a/seg_00001.m4s', true);
  assert.equal(first?.body.length, 1000);
  assert.equal(again, first);
  assert.deepEqual([counted.stats, counted.reads], [1, 1]);
  assert.deepEqual(hot.stats(), { hits: 1, misses: 1, bytes: 1000 + 256, objects: 1 });
});

test('a changing object is revalidated: a new version (new ETag) is read again', async () => {
  const hot = new HotObjects(counted, { maxBytes: 1024 * 1024 });
  await store.put('a/index.m3u8', '#EXTM3U\n');
  assert.equal((await hot.read('a/index.m3u8', false))?.body.toString(), '#EXTM3U\n');
  await store.put('a/index.m3u8', '#EXTM3U\n#EXT-X-ENDLIST\n');
  // Same second, different size: the ETag changes; make the mtime differ too, as time passes.
  await utimes(join(dir, 'a/index.m3u8'), new Date(), new Date(Date.now() + 5000));
  assert.equal((await hot.read('a/index.m3u8', false))?.body.toString(), '#EXTM3U\n#EXT-X-ENDLIST\n');
  await store.delete('a/index.m3u8');
  assert.equal(await hot.read('a/index.m3u8', false), undefined, 'gone from the store, gone from the tier');
});

test('concurrent misses share one read; an object too big for the tier is left to streaming', async () => {
  await store.put('b/seg_00002.m4s', Buffer.alloc(50_000, 1));
  await store.put('b/download.mp4', Buffer.alloc(300_000, 2));
  const hot = new HotObjects(counted, { maxBytes: 1024 * 1024 });
  counted.reads = 0;
  const all = await Promise.all(Array.from({ length: 20 }, () => hot.read('b/seg_00002.m4s', true)));
  assert.equal(counted.reads, 1);
  assert.ok(all.every((o) => o === all[0]));
  assert.equal(await hot.read('b/download.mp4', false), null, 'above an eighth of the cap');
  assert.equal(counted.reads, 1);
});

test('past the byte cap the least recently used objects go', async () => {
  const hot = new HotObjects(counted, { maxBytes: 100_000 });
  for (let i = 0; i < 10; i++) await store.put(`c/seg_0000${i}.m4s`, Buffer.alloc(10_000, i));
  for (let i = 0; i < 10; i++) await hot.read(`c/seg_0000${i}.m4s`, true);
  const { bytes, objects } = hot.stats();
  assert.ok(bytes <= 100_000, `${bytes} bytes held`);
  assert.ok(objects < 10 && objects >= 8, `${objects} objects held`);
  counted.reads = 0;
  await hot.read('c/seg_00009.m4s', true);
  assert.equal(counted.reads, 0, 'the most recent is still held');
  await hot.read('c/seg_00000.m4s', true);
  assert.equal(counted.reads, 1, 'the oldest was dropped');
});
