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
interface InventoryOptions {
  source: ObjectStore;
  target: ObjectStore;
  backupId: string;
  previous: AsyncIterable<InventoryEntry> | null;
  copy: boolean;
  onProgress?: (p: { objects: number; copiedBytes: number }) => void;
  signal?: AbortSignal;
}

/**
 * The inventory in two passes. The first lists the store once and pools what it lists. Objects
 * written meanwhile are missing from that listing, yet an object it pooled later may name them
 * (a playlist of a transcode still running, copied after the listing passed its segments). The
 * second pass lists again and pools every key the first did not see, so whatever a pooled
 * object names is in the backup too: it was written before that object was read, so before the
 * second listing began. Those late objects are few (written during the backup); the inventory is
 * then rewritten once with them in key order.
 */
export async function buildInventory(opts: InventoryOptions): Promise<InventoryResult> {
  const first = await firstPass(opts);
  const late = await lateObjects(opts);
  if (late.length === 0) return first;
  const lateKey = `${inventoryKey(opts.backupId)}.late`;
  const pooled: InventoryEntry[] = [];
  let copied = 0;
  let copiedBytes = 0;
  for (const object of late) {
    opts.signal?.throwIfAborted();
    try {
      const p = await poolObject(opts.source, opts.target, { key: object.key, size: object.size }, opts.copy);
      pooled.push({
        key: object.key,
        size: p.size,
        sha256: p.sha256,
        etag: object.etag,
        storage_class: object.storageClass,
      });
      if (p.copiedBytes > 0) {
        copied++;
        copiedBytes += p.copiedBytes;
      }
    } catch (err) {
      if (!(err instanceof ObjectNotFoundError)) throw err;
    }
  }
  // Merged into a file of its own, then put in the inventory's place (a copy within the target).
  const out = writeLines(opts.target, lateKey);
  try {
    const queue = [...pooled];
    for await (const entry of readInventory(opts.target, opts.backupId)) {
      for (let next = queue[0]; next && compareKeys(next.key, entry.key) < 0; next = queue[0]) {
        await out.write(JSON.stringify(next));
        queue.shift();
      }
      await out.write(JSON.stringify(entry));
    }
    for (const rest of queue) await out.write(JSON.stringify(rest));
  } catch (err) {
    await out.abort(err as Error);
    throw err;
  }
  const file = await out.close();
  await opts.target.copy(lateKey, inventoryKey(opts.backupId));
  await opts.target.delete(lateKey);
  return {
    ...first,
    file,
    objects: first.objects + pooled.length,
    bytes: first.bytes + pooled.reduce((n, e) => n + e.size, 0),
    copied: first.copied + copied,
    copiedBytes: first.copiedBytes + copiedBytes,
    hashed: first.hashed + pooled.length,
  };
}

/** The store's objects (staging aside) the first pass's inventory does not hold, in key order. */
async function lateObjects(opts: InventoryOptions): Promise<ListedObject[]> {
  const written = readInventory(opts.target, opts.backupId)[Symbol.asyncIterator]();
  let head = await written.next();
  const late: ListedObject[] = [];
  for await (const object of opts.source.listDetailed('')) {
    if (object.key.startsWith(UPLOAD_STAGING_PREFIX)) continue;
    while (!head.done && compareKeys(head.value.key, object.key) < 0) head = await written.next();
    if (head.done || head.value.key !== object.key) late.push(object);
  }
  await written.return?.();
  return late;
}

async function firstPass(opts: InventoryOptions): Promise<InventoryResult> {
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
