import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalObjectStore } from '../storage/local-store.ts';
import type { ListedObject } from '../storage/object-store.ts';
import { inventoryKey, POOL_PREFIX, POOL_TMP_PREFIX, poolKey } from './archive-layout.ts';
import { buildInventory, type InventoryEntry, readInventory } from './object-inventory.ts';
import { BUFFERED_OBJECT_BYTES } from './object-pool.ts';

let dir: string;
let source: LocalObjectStore;
let target: LocalObjectStore;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fh-inventory-'));
  source = new LocalObjectStore(join(dir, 'source'));
  target = new LocalObjectStore(join(dir, 'target'));
  await source.init();
  await target.init();
  for (let i = 0; i < 30; i++)
    await source.put(`hls/a${String(i).padStart(2, '0')}/seg.m4s`, `segment ${i} `.repeat(i + 1));
});
after(() => rm(dir, { recursive: true, force: true }));

const all = async (id: string) => {
  const out: InventoryEntry[] = [];
  for await (const e of readInventory(target, id)) out.push(e);
  return out;
};
const poolSize = async () => (await target.list(POOL_PREFIX)).length;

test('the first backup reads and copies every object; the next one neither, when nothing changed', async () => {
  const first = await buildInventory({ source, target, backupId: 'b1', previous: null, copy: true });
  assert.equal(first.objects, 30);
  assert.equal(first.hashed, 30);
  assert.equal(first.copied, 30);
  assert.equal(await poolSize(), 30);
  const entries = await all('b1');
  assert.deepEqual(
    entries.map((e) => e.key),
    [...entries.map((e) => e.key)].sort(),
    'in key order',
  );
  for (const e of entries) {
    assert.equal(e.sha256, sha((await source.getBuffer(e.key)).toString()));
    assert.equal(
      (await target.getBuffer(poolKey(e.sha256))).toString(),
      (await source.getBuffer(e.key)).toString(),
    );
  }

  const second = await buildInventory({
    source,
    target,
    backupId: 'b2',
    previous: readInventory(target, 'b1'),
    copy: true,
  });
  assert.deepEqual(
    { objects: second.objects, hashed: second.hashed, copied: second.copied },
    { objects: 30, hashed: 0, copied: 0 },
  );
  assert.deepEqual(await all('b2'), entries);
});

test('a changed object is read again; a copy of content the pool has is not copied; a deleted one drops out', async () => {
  await source.put('hls/a05/seg.m4s', 'rewritten with other bytes');
  await source.put('hls/zz/copy.m4s', (await source.getBuffer('hls/a07/seg.m4s')).toString());
  await source.delete('hls/a09/seg.m4s');
  const run = await buildInventory({
    source,
    target,
    backupId: 'b3',
    previous: readInventory(target, 'b2'),
    copy: true,
  });
  assert.deepEqual(
    { objects: run.objects, hashed: run.hashed, copied: run.copied },
    { objects: 30, hashed: 2, copied: 1 },
  );
  const entries = await all('b3');
  assert.equal(entries.find((e) => e.key === 'hls/a05/seg.m4s')?.sha256, sha('rewritten with other bytes'));
  assert.equal(
    entries.find((e) => e.key === 'hls/zz/copy.m4s')?.sha256,
    entries.find((e) => e.key === 'hls/a07/seg.m4s')?.sha256,
  );
  assert.equal(
    entries.some((e) => e.key === 'hls/a09/seg.m4s'),
    false,
  );
  assert.equal(await poolSize(), 31);
});

test('objects: none writes every hash and copies nothing', async () => {
  await source.put('hls/new/one.m4s', 'never copied');
  const run = await buildInventory({
    source,
    target,
    backupId: 'b4',
    previous: readInventory(target, 'b3'),
    copy: false,
  });
  assert.deepEqual(
    { objects: run.objects, hashed: run.hashed, copied: run.copied },
    { objects: 31, hashed: 1, copied: 0 },
  );
  assert.equal((await all('b4')).find((e) => e.key === 'hls/new/one.m4s')?.sha256, sha('never copied'));
  assert.equal(await target.stat(poolKey(sha('never copied'))), null);
});

test('an object deleted between the listing and its copy is left out and reported', async () => {
  /** A store whose object goes away after the listing names it: another process deleting it. */
  class DeletedMeanwhile extends LocalObjectStore {
    override async *listDetailed(prefix: string): AsyncIterable<ListedObject> {
      for await (const o of super.listDetailed(prefix)) {
        if (o.key === 'hls/a03/seg.m4s') await this.delete(o.key);
        yield o;
      }
    }
  }
  const racing = new DeletedMeanwhile(join(dir, 'source'));
  const run = await buildInventory({ source: racing, target, backupId: 'b5', previous: null, copy: true });
  assert.deepEqual(run.vanished, ['hls/a03/seg.m4s']);
  assert.equal(run.objects, 30);
});

test('an object written while the first pass runs, behind its listing, is found by the second and pooled in key order', async () => {
  /** A transcode writing a segment (before the listing's position) while the backup lists. */
  let listings = 0;
  class WrittenMeanwhile extends LocalObjectStore {
    override async *listDetailed(prefix: string): AsyncIterable<ListedObject> {
      const pass = ++listings;
      for await (const o of super.listDetailed(prefix)) {
        if (pass === 1 && o.key === 'hls/a20/seg.m4s') await this.put('hls/a05/late.m4s', 'written late');
        yield o;
      }
    }
  }
  const racing = new WrittenMeanwhile(join(dir, 'source'));
  const run = await buildInventory({ source: racing, target, backupId: 'b8', previous: null, copy: true });
  const entries = await all('b8');
  const late = entries.find((e) => e.key === 'hls/a05/late.m4s');
  assert.equal(late?.sha256, sha('written late'));
  assert.ok(await target.stat(poolKey(sha('written late'))), 'pooled');
  const keys = entries.map((e) => e.key);
  assert.deepEqual(
    keys,
    [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
  );
  assert.equal(run.objects, entries.length);
  assert.equal(listings, 2);
  await source.delete('hls/a05/late.m4s');
});

test('an object larger than what is read into memory goes through a temporary key to its hash', async () => {
  const big = Buffer.alloc(BUFFERED_OBJECT_BYTES + 1234, 'large original ');
  await source.put('sources/big/source', big);
  const run = await buildInventory({ source, target, backupId: 'b6', previous: null, copy: true });
  const entry = (await all('b6')).find((e) => e.key === 'sources/big/source');
  assert.equal(entry?.sha256, createHash('sha256').update(big).digest('hex'));
  assert.ok(run.copied >= 1);
  assert.deepEqual(await target.getBuffer(poolKey(entry?.sha256 ?? '')), big);
  assert.deepEqual(await target.list(POOL_TMP_PREFIX), [], 'no temporary copy left');
});

test('a damaged previous inventory costs re-reading the objects, never the backup', async () => {
  await target.put(inventoryKey('broken'), 'this is not gzip');
  const run = await buildInventory({
    source,
    target,
    backupId: 'b7',
    previous: readInventory(target, 'broken'),
    copy: true,
  });
  assert.equal(run.hashed, run.objects);
  assert.equal(run.copied, 0, 'the pool had them all');
});
