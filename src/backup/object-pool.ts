import { pipeline } from 'node:stream/promises';
import { newId } from '../shared/ids.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { digestingStream } from './archive-file.ts';
import { POOL_TMP_PREFIX, poolKey } from './archive-layout.ts';

/**
 * The content-addressed pool of a target (`objects/sha256/{2 hex}/{sha256}`): each distinct
 * object once, whichever backups name it.
 */
export interface PooledObject {
  sha256: string;
  size: number;
  /** Bytes this call wrote into the pool (0 when it had the object already). */
  copiedBytes: number;
}

/**
 * Makes sure the pool holds the object at `key` of `source` and returns its hash. A `knownHash`
 * (from the previous inventory: same key, size and etag) spares reading it when the pool has
 * it, or when nothing is to be copied. Otherwise the object is read once, hashed on its way
 * into a temporary key, then moved to its hash's key (or dropped, when the pool had it).
 */
export async function poolObject(
  source: ObjectStore,
  target: ObjectStore,
  object: { key: string; size: number; knownHash?: string },
  copy: boolean,
): Promise<PooledObject> {
  const { knownHash } = object;
  if (knownHash) {
    if (!copy) return { sha256: knownHash, size: object.size, copiedBytes: 0 };
    const pooled = await target.stat(poolKey(knownHash));
    if (pooled?.size === object.size) return { sha256: knownHash, size: object.size, copiedBytes: 0 };
  }
  const { stream, digest } = digestingStream();
  const body = await source.get(object.key);
  if (!copy) {
    await pipeline(body, stream, async (s: AsyncIterable<Buffer>) => {
      for await (const _ of s);
    });
    return { ...toPooled(digest()), copiedBytes: 0 };
  }
  const tmp = `${POOL_TMP_PREFIX}${newId()}`;
  try {
    const reading = pipeline(body, stream);
    try {
      await target.put(tmp, stream);
      await reading;
    } catch (err) {
      stream.destroy(err as Error);
      await reading.catch(() => {});
      throw err;
    }
    const { sha256, size } = digest();
    const final = poolKey(sha256);
    const existing = await target.stat(final);
    if (existing?.size === size) return { sha256, size, copiedBytes: 0 };
    await target.copy(tmp, final);
    return { sha256, size, copiedBytes: size };
  } finally {
    await target.delete(tmp).catch(() => {});
  }
}

const toPooled = (d: { sha256: string; size: number }) => ({ sha256: d.sha256, size: d.size });
