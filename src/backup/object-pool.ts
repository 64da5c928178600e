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
 * Objects up to this size are read into memory (at most OBJECT_CONCURRENCY at once) and written
 * once, straight to their hash's key: one PUT instead of PUT + COPY + DELETE, and no read of an
 * object just written (which some S3 peers, s3rver among them, answer before the bytes are on
 * disk). Larger ones go through a temporary key.
 */
export const BUFFERED_OBJECT_BYTES = 8 * 1024 * 1024;

/**
 * Makes sure the pool holds the object at `key` of `source` and returns its hash. A `knownHash`
 * (from the previous inventory: same key, size and etag) spares reading it when the pool has
 * it, or when nothing is to be copied. Otherwise the object is read once and hashed on its way
 * into the pool (for a large one: into a temporary key, then to its hash's key, or dropped when
 * the pool had it).
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
  if (!copy || object.size <= BUFFERED_OBJECT_BYTES) {
    const chunks: Buffer[] = [];
    await pipeline(body, stream, async (s: AsyncIterable<Buffer>) => {
      for await (const chunk of s) if (copy) chunks.push(chunk);
    });
    const { sha256, size } = digest();
    if (!copy) return { sha256, size, copiedBytes: 0 };
    const final = poolKey(sha256);
    if ((await target.stat(final))?.size === size) return { sha256, size, copiedBytes: 0 };
    await target.put(final, Buffer.concat(chunks));
    return { sha256, size, copiedBytes: size };
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
