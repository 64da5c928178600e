import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { LocalObjectStore } from '../storage/local-store.ts';
import { checksumFrom, ResumableSha256 } from './resumable-sha256.ts';

const bytes = randomBytes(3 * 1024 * 1024 + 17);
const expected = createHash('sha256').update(bytes).digest('hex');

describe('ResumableSha256', () => {
  test('saved after any byte and taken up by a new instance, it gives node:crypto’s digest', async () => {
    for (const cut of [0, 1, 63, 64, 65, 1_000_003, bytes.length]) {
      const a = await ResumableSha256.start();
      a.update(bytes.subarray(0, cut));
      const saved = a.save();
      assert.equal(saved.bytes, cut);
      const b = await ResumableSha256.resume(JSON.parse(JSON.stringify(saved)));
      assert.ok(b);
      await b.updateFrom(Readable.from([bytes.subarray(cut)]));
      assert.equal(b.bytes, bytes.length);
      assert.equal(b.hex(), expected, `cut at ${cut}`);
    }
  });

  test('a state it cannot read back is refused, not taken for a new hash', async () => {
    assert.equal(
      await ResumableSha256.resume({ state: Buffer.from('not a state').toString('base64'), bytes: 5 }),
      null,
    );
  });
});

describe('checksumFrom (a real local store)', () => {
  let dir: string;
  let store: LocalObjectStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-sum-'));
    store = new LocalObjectStore(dir);
    await store.init();
    await store.put('sources/x/original', bytes);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const savedAt = async (n: number) => {
    const h = await ResumableSha256.start();
    h.update(bytes.subarray(0, n));
    return h.save();
  };

  test('completes a state that is behind the stored bytes from the object (what a crash leaves)', async () => {
    assert.equal(
      await checksumFrom(await savedAt(1_234_567), store, 'sources/x/original', bytes.length),
      expected,
    );
    assert.equal(
      await checksumFrom(await savedAt(bytes.length), store, 'sources/x/original', bytes.length),
      expected,
    );
  });

  test('reads the whole object when there is no usable state (none saved, unreadable, or past the end)', async () => {
    const key = 'sources/x/original';
    assert.equal(await checksumFrom(null, store, key, bytes.length), expected);
    assert.equal(await checksumFrom({ state: 'AAAA', bytes: 10 }, store, key, bytes.length), expected);
    const beyond = { ...(await savedAt(100)), bytes: bytes.length + 1 };
    assert.equal(await checksumFrom(beyond, store, key, bytes.length), expected);
  });

  test('an object shorter than the upload is an error, never a wrong checksum', async () => {
    await assert.rejects(checksumFrom(await savedAt(10), store, 'sources/x/original', bytes.length + 5));
    await assert.rejects(checksumFrom(null, store, 'sources/x/original', bytes.length + 5));
  });
});
