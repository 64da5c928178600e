import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { newId } from '../shared/ids.ts';
import { InvalidKeyError, ObjectNotFoundError, type ObjectStore } from './object-store.ts';

/** The contract every object-store adapter passes. Each adapter's test file calls this. */
export function objectStoreContract(name: string, makeStore: () => Promise<ObjectStore>): void {
  test(`${name}: put, stat, get, range get, overwrite`, async () => {
    const store = await makeStore();
    const info = await store.put('a/b/c.txt', 'hello world');
    assert.equal(info.size, 11);
    assert.equal(info.contentType, 'application/octet-stream');
    assert.equal(await text(await store.get('a/b/c.txt')), 'hello world');
    assert.equal(await text(await store.get('a/b/c.txt', { start: 6, end: 10 })), 'world');
    await store.put('a/b/c.txt', Readable.from(['bye']));
    assert.equal((await store.getBuffer('a/b/c.txt')).toString(), 'bye');
    assert.equal((await store.stat('a/b/c.txt'))?.size, 3);
    assert.equal(await store.stat('a/b/missing'), null);
    await assert.rejects(store.get('a/b/missing'), ObjectNotFoundError);
  });

  test(`${name}: listDetailed gives size, etag and class in key order`, async () => {
    const store = await makeStore();
    await store.put('d/b.txt', 'bb');
    await store.put('d/a/x.txt', 'x');
    await store.put('e/outside.txt', 'no');
    const listed = [];
    for await (const o of store.listDetailed('d/')) listed.push(o);
    assert.deepEqual(
      listed.map((o) => [o.key, o.size]),
      [
        ['d/a/x.txt', 1],
        ['d/b.txt', 2],
      ],
    );
    for (const o of listed) {
      assert.equal(o.etag, (await store.stat(o.key))?.etag);
      assert.ok(o.lastModified instanceof Date && o.storageClass.length > 0);
    }
  });

  test(`${name}: putFile, list, delete, deletePrefix`, async () => {
    const store = await makeStore();
    const file = join(tmpdir(), `fh-${newId(8)}`);
    await writeFile(file, 'x'.repeat(1000));
    await store.putFile('p/one.m3u8', file);
    await store.putFile('p/sub/two.m4s', file, { link: true });
    await writeFile(file, 'changed');
    assert.equal(
      (await store.stat('p/one.m3u8'))?.size,
      1000,
      'a stored copy does not change with its source',
    );
    await store.put('q/three', 'z');
    assert.equal((await store.stat('p/one.m3u8'))?.contentType, 'application/vnd.apple.mpegurl');
    assert.deepEqual(await store.list('p/'), ['p/one.m3u8', 'p/sub/two.m4s']);
    await store.delete('p/one.m3u8');
    assert.deepEqual(await store.list('p/'), ['p/sub/two.m4s']);
    assert.equal(await store.deletePrefix('p/'), 1);
    assert.deepEqual(await store.list('p/'), []);
    assert.deepEqual(await store.list('q/'), ['q/three']);
  });

  test(`${name}: copy makes an independent object; copying nothing is an error`, async () => {
    const store = await makeStore();
    await store.put('c/from.bin', 'original');
    const info = await store.copy('c/from.bin', 'c/to/seg.m4s');
    assert.equal(info.size, 8);
    assert.equal(info.contentType, 'video/iso.segment');
    await store.put('c/from.bin', 'replaced');
    assert.equal((await store.getBuffer('c/to/seg.m4s')).toString(), 'original');
    await store.delete('c/from.bin');
    assert.equal((await store.getBuffer('c/to/seg.m4s')).toString(), 'original');
    await assert.rejects(store.copy('c/missing', 'c/x'), ObjectNotFoundError);
    assert.equal(await store.stat('c/x'), null);
  });

  test(`${name}: keys cannot escape the root`, async () => {
    const store = await makeStore();
    for (const key of [
      '../x',
      'a/../../x',
      '/etc/passwd',
      'a//b',
      '',
      'a/./b',
      'a\\b',
      '.hidden',
      'a/\u0000b',
      'a/',
    ]) {
      await assert.rejects(store.put(key, 'x'), InvalidKeyError, key);
    }
  });

  test(`${name}: names as cameras and sync tools give them (spaces, brackets, any letters)`, async () => {
    const store = await makeStore();
    // (Not `+#&=?@;$,`: s3rver, the S3 test peer, decodes a copy's source with decodeURI, which
    // leaves those escaped. S3 and MinIO decode them.)
    const key = 'imports/제주 여행/IMG 0001 (2) 100%.JPG';
    await store.put(key, 'photo');
    assert.deepEqual(await store.list('imports/'), [key]);
    assert.equal((await store.stat(key))?.size, 5);
    await store.copy(key, 'sources/x/original');
    assert.equal((await store.getBuffer('sources/x/original')).toString(), 'photo');
    await store.delete(key);
    assert.equal(await store.stat(key), null);
  });

  test(`${name}: a failed write leaves no object behind`, async () => {
    const store = await makeStore();
    const failing = new Readable({
      read() {
        this.push('partial');
        this.destroy(new Error('client went away'));
      },
    });
    await assert.rejects(store.put('f/partial', failing));
    assert.equal(await store.stat('f/partial'), null);
  });

  test(`${name}: withLocalFile gives a readable path`, async () => {
    const store = await makeStore();
    await store.put('w/file', 'content');
    const out = await store.withLocalFile('w/file', async (path) => {
      const { readFile } = await import('node:fs/promises');
      return readFile(path, 'utf8');
    });
    assert.equal(out, 'content');
    await store.checkHealth();
  });

  test(`${name}: a presigned URL serves the object and its ranges, or there is none`, async () => {
    const store = await makeStore();
    await store.put('u/seg.m4s', 'segment bytes');
    const url = await store.presignedGetUrl('u/seg.m4s', 60);
    if (url === null) return; // this store serves through the api only
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.equal(await whole.text(), 'segment bytes');
    const part = await fetch(url, { headers: { range: 'bytes=8-12' } });
    assert.equal(part.status, 206);
    assert.equal(await part.text(), 'bytes');
    // Signed for the time asked. (s3rver, the test peer, does not check query signatures;
    // S3 and MinIO do.)
    const query = new URL(url).searchParams;
    assert.equal(query.get('X-Amz-Expires'), '60');
    assert.match(query.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
  });
}
