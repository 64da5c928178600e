import { type ListedObject, ObjectNotFoundError, type ObjectStore } from '../storage/object-store.ts';
import { type FileDigest, readLines, writeLines } from './archive-file.ts';
import { inventoryKey } from './archive-layout.ts';
import { poolObject } from './object-pool.ts';
import { mapOrdered } from './ordered-map.ts';

/** One line of `inventory.ndjson.gz`: an object of the store as the backup saw it. */
export interface InventoryEntry {
  key: string;
  size: number;
  sha256: string;
  /** The store's etag then: with key and size, what lets the next backup trust `sha256` unread. */
  etag: string;
  storage_class: string;
}

export interface InventoryResult {
  file: FileDigest;
  objects: number;
  bytes: number;
  /** Objects written into the pool by this backup, and their bytes. */
  copied: number;
  copiedBytes: number;
  /** Objects read to hash them (no usable entry in the previous inventory). */
  hashed: number;
  /** Objects listed but gone before they were read (deleted meanwhile): left out. */
  vanished: string[];
}

/**
 * Resumable uploads' staging on S3 (`tus/` in the media bucket, see uploads/staging.ts): not the
 * store's content. A restore drops the unfinished uploads it belongs to.
 */
export const UPLOAD_STAGING_PREFIX = 'tus/';

/** Objects read at once: enough to hide a round trip, few enough not to crowd the store's users. */
export const OBJECT_CONCURRENCY = 4;

/**
 * Lists every object of `source` (in key order, a page at a time), gives each its SHA-256 and,
 * unless `copy` is false, a copy in the pool; writes the inventory as it goes. `previous` is the
 * last complete backup's inventory of this target, in the same key order: walked alongside the
 * listing (a merge, so neither is held in memory), it supplies the hash of every object whose
 * key, size and etag are unchanged.
 */
export async function buildInventory(opts: {
  source: ObjectStore;
  target: ObjectStore;
  backupId: string;
  previous: AsyncIterable<InventoryEntry> | null;
  copy: boolean;
  onProgress?: (p: { objects: number; copiedBytes: number }) => void;
  signal?: AbortSignal;
}): Promise<InventoryResult> {
  const out = writeLines(opts.target, inventoryKey(opts.backupId));
  const result: Omit<InventoryResult, 'file'> = {
    objects: 0,
    bytes: 0,
    copied: 0,
    copiedBytes: 0,
    hashed: 0,
    vanished: [],
  };
  const known = previousHashes(opts.previous);
  const work = mapOrdered(
    withKnownHashes(opts.source.listDetailed(''), known),
    OBJECT_CONCURRENCY,
    async ({ object, knownHash }) => {
      opts.signal?.throwIfAborted();
      try {
        const pooled = await poolObject(
          opts.source,
          opts.target,
          { key: object.key, size: object.size, ...(knownHash ? { knownHash } : {}) },
          opts.copy,
        );
        return { object, pooled, read: !knownHash || pooled.copiedBytes > 0 };
      } catch (err) {
        if (err instanceof ObjectNotFoundError) return { object, pooled: null, read: false };
        throw err;
      }
    },
  );
  try {
    for await (const { object, pooled, read } of work) {
      if (!pooled) {
        result.vanished.push(object.key);
        continue;
      }
      const entry: InventoryEntry = {
        key: object.key,
        size: pooled.size,
        sha256: pooled.sha256,
        etag: object.etag,
        storage_class: object.storageClass,
      };
      await out.write(JSON.stringify(entry));
      result.objects++;
      result.bytes += pooled.size;
      if (read) result.hashed++;
      if (pooled.copiedBytes > 0) {
        result.copied++;
        result.copiedBytes += pooled.copiedBytes;
      }
      opts.onProgress?.({ objects: result.objects, copiedBytes: result.copiedBytes });
    }
    return { file: await out.close(), ...result };
  } catch (err) {
    await out.abort(err as Error);
    throw err;
  } finally {
    await known.return?.();
  }
}

export function readInventory(target: ObjectStore, backupId: string): AsyncIterable<InventoryEntry> {
  return parseLines(readLines(target, inventoryKey(backupId)));
}

async function* parseLines(lines: AsyncIterable<string>): AsyncIterable<InventoryEntry> {
  for await (const line of lines) yield JSON.parse(line) as InventoryEntry;
}

/** Key order of S3 listings (UTF-8 bytes); a store sorting otherwise only costs re-reads, never a wrong hash. */
const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * A cursor over the previous inventory: asked about each listed object in key order, it moves
 * forward to that key and answers with the entry's hash when size and etag still match.
 */
function previousHashes(previous: AsyncIterable<InventoryEntry> | null) {
  const it = previous?.[Symbol.asyncIterator]();
  let head: InventoryEntry | null | undefined;
  return {
    async hashOf(object: ListedObject): Promise<string | undefined> {
      if (!it) return undefined;
      for (;;) {
        if (head === undefined) {
          try {
            const next = await it.next();
            head = next.done ? null : next.value;
          } catch {
            // A damaged previous inventory only costs re-reading objects; it must not stop backups.
            head = null;
          }
        }
        if (head === null) return undefined;
        const order = compareKeys(head.key, object.key);
        if (order < 0) {
          head = undefined;
          continue;
        }
        if (order > 0) return undefined;
        const match = head.size === object.size && head.etag === object.etag;
        return match ? head.sha256 : undefined;
      }
    },
    return: () => it?.return?.().catch(() => undefined),
  };
}

async function* withKnownHashes(
  listing: AsyncIterable<ListedObject>,
  known: ReturnType<typeof previousHashes>,
): AsyncIterable<{ object: ListedObject; knownHash: string | undefined }> {
  for await (const object of listing) {
    if (object.key.startsWith(UPLOAD_STAGING_PREFIX)) continue;
    yield { object, knownHash: await known.hashOf(object) };
  }
}
