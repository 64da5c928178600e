import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type ByteRange,
  type ListedObject,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
} from './object-store.ts';

/** How objects of the cold store show in a listing's storage class: `cold:` and its own class. */
export const COLD_CLASS_PREFIX = 'cold:';

/**
 * The main store with a second, colder one behind it (FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_URL).
 * Writes go to the main store; a read the main store misses is answered by the cold one; a
 * deletion removes the key from both. `demote` moves one object: copied, checked (size and
 * SHA-256 read back), then removed from the main store. Every role reads through this, so an
 * asset whose objects went cold still plays, makes downloads and thumbnails.
 *
 * A hit in the main store costs what it did without a cold store; only misses (cold objects,
 * and objects that exist nowhere) cost a second look-up.
 */
export class TieredObjectStore implements ObjectStore {
  readonly hot: ObjectStore;
  readonly cold: ObjectStore;
  readonly listMultipartUploads?: ObjectStore['listMultipartUploads'];
  readonly abortMultipartUpload?: ObjectStore['abortMultipartUpload'];
  readonly applyLifecycleRules?: ObjectStore['applyLifecycleRules'];
  readonly keyFromBucket?: ObjectStore['keyFromBucket'];

  constructor(hot: ObjectStore, cold: ObjectStore) {
    this.hot = hot;
    this.cold = cold;
    // What only the main store's service has (multipart uploads, bucket rules, notifications):
    // offered when it offers them. Storage classes are not: a cold tier is a class or a store.
    if (hot.listMultipartUploads) this.listMultipartUploads = () => hot.listMultipartUploads?.() ?? empty();
    if (hot.abortMultipartUpload)
      this.abortMultipartUpload = (key, uploadId) => hot.abortMultipartUpload?.(key, uploadId) ?? done();
    if (hot.applyLifecycleRules)
      this.applyLifecycleRules = (rules) => hot.applyLifecycleRules?.(rules) ?? done();
    if (hot.keyFromBucket)
      this.keyFromBucket = (bucket, bucketKey) => hot.keyFromBucket?.(bucket, bucketKey) ?? null;
  }

  put(key: string, body: Readable | Buffer | string): Promise<ObjectInfo> {
    return this.hot.put(key, body);
  }

  putFile(key: string, path: string, opts?: { link?: boolean }): Promise<ObjectInfo> {
    return this.hot.putFile(key, path, opts);
  }

  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    if (await this.hot.stat(fromKey)) return this.hot.copy(fromKey, toKey);
    // A cold object copied is a new object: it lands in the main store, like any write.
    return this.hot.put(toKey, await this.cold.get(fromKey));
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      return await this.hot.get(key, range);
    } catch (e) {
      if (!(e instanceof ObjectNotFoundError)) throw e;
      return this.cold.get(key, range);
    }
  }

  async presignedGetUrl(key: string, expiresInSeconds: number): Promise<string | null> {
    // A URL of the main store for a cold object would answer 404: look first.
    if (await this.hot.stat(key)) return this.hot.presignedGetUrl(key, expiresInSeconds);
    return (await this.cold.stat(key)) ? this.cold.presignedGetUrl(key, expiresInSeconds) : null;
  }

  async getBuffer(key: string): Promise<Buffer> {
    try {
      return await this.hot.getBuffer(key);
    } catch (e) {
      if (!(e instanceof ObjectNotFoundError)) throw e;
      return this.cold.getBuffer(key);
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    return (await this.hot.stat(key)) ?? this.cold.stat(key);
  }

  async delete(key: string): Promise<void> {
    await Promise.all([this.hot.delete(key), this.cold.delete(key)]);
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = new Set([...(await this.hot.list(prefix)), ...(await this.cold.list(prefix))]);
    await Promise.all([this.hot.deletePrefix(prefix), this.cold.deletePrefix(prefix)]);
    return keys.size;
  }

  async list(prefix: string): Promise<string[]> {
    const [hot, cold] = await Promise.all([this.hot.list(prefix), this.cold.list(prefix)]);
    return [...new Set([...hot, ...cold])].sort();
  }

  /** Both listings merged in key order; a key in both is the main store's (it shadows the other). */
  async *listDetailed(prefix: string): AsyncIterable<ListedObject> {
    const hot = this.hot.listDetailed(prefix)[Symbol.asyncIterator]();
    const cold = this.cold.listDetailed(prefix)[Symbol.asyncIterator]();
    let h = await hot.next();
    let c = await cold.next();
    while (!h.done || !c.done) {
      if (!h.done && (c.done || h.value.key <= c.value.key)) {
        if (!c.done && c.value.key === h.value.key) c = await cold.next();
        yield h.value;
        h = await hot.next();
      } else if (!c.done) {
        yield { ...c.value, storageClass: `${COLD_CLASS_PREFIX}${c.value.storageClass}` };
        c = await cold.next();
      }
    }
  }

  async withLocalFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T> {
    // Looked up first: a not-found thrown by `fn` itself must not send it to the other store.
    if (await this.hot.stat(key)) return this.hot.withLocalFile(key, fn);
    return this.cold.withLocalFile(key, fn);
  }

  async checkHealth(): Promise<void> {
    await Promise.all([this.hot.checkHealth(), this.cold.checkHealth()]);
  }

  /**
   * Moves one object from the main store to the cold one: copied while hashed, its size and
   * SHA-256 read back from the cold store, then removed from the main store. Idempotent: an
   * object no longer in the main store (moved by an earlier run) is left as it is (`moved`
   * false). An object rewritten in the main store during the copy stays there, and the move
   * fails (the next run takes it up again).
   */
  async demote(key: string): Promise<{ moved: boolean; bytes: number }> {
    const before = await this.hot.stat(key);
    if (!before) return { moved: false, bytes: 0 };
    const sent = createHash('sha256');
    const source = await this.hot.get(key);
    async function* hashed() {
      for await (const chunk of source) {
        sent.update(chunk as Buffer);
        yield chunk as Buffer;
      }
    }
    await this.cold.put(key, Readable.from(hashed()));
    const expected = sent.digest('hex');
    const stored = await this.cold.stat(key);
    if (stored?.size !== before.size)
      throw new Error(`cold copy of ${key} has ${stored?.size ?? 'no'} bytes, expected ${before.size}`);
    const readBack = createHash('sha256');
    for await (const chunk of await this.cold.get(key)) readBack.update(chunk as Buffer);
    if (readBack.digest('hex') !== expected) throw new Error(`cold copy of ${key} differs from the original`);
    const after = await this.hot.stat(key);
    if (after?.etag !== before.etag) throw new Error(`${key} changed while it was copied to the cold store`);
    await this.hot.delete(key);
    return { moved: true, bytes: before.size };
  }
}

/** The store the configuration names in STORAGE_URL, under any cold tier in front of it. */
export function mainStoreOf(store: ObjectStore): ObjectStore {
  return store instanceof TieredObjectStore ? store.hot : store;
}

async function* empty<T>(): AsyncIterable<T> {}
async function done(): Promise<void> {}
