import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, unlinkSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { CachedObject, type ObjectMeta } from './cached-object.ts';

/**
 * The disk cache. One file per object, `{dir}/{ab}/{sha256(key)}.obj`: the body first (so a range
 * is read at its own offset), then the metadata as JSON, then its length and a magic word, so
 * the file says all there is to know about itself. A file is written under a temporary name
 * and renamed into place when complete: a crash leaves a `.tmp` (removed at start), never a
 * half object under a real name.
 *
 * The index (lru-cache, `maxSize` = the cap, sizes in file bytes) orders the objects by use and
 * deletes the file of the one it evicts (`dispose`). Bytes being written count too: `reserve`
 * evicts before a chunk is written, so the files on disk never add up to more than the cap
 * (the metadata trailer, a few hundred bytes, is reserved with the body's last chunk).
 * At start the index is rebuilt from the files, oldest first.
 */

const MAGIC = 0x46484531; // "FHE1"
const TRAILER = 8;
/** Room reserved for an object's metadata trailer before it is known. */
export const META_RESERVE = 4096;

export class DiskStore {
  readonly dir: string;
  readonly cap: number;
  readonly index: LRUCache<string, CachedObject>;
  #reserved = 0;
  #onEvict: (o: CachedObject) => void;

  constructor(dir: string, cap: number, onEvict: (o: CachedObject) => void = () => {}) {
    this.dir = dir;
    this.cap = cap;
    this.#onEvict = onEvict;
    mkdirSync(dir, { recursive: true });
    this.index = new LRUCache<string, CachedObject>({
      maxSize: cap,
      sizeCalculation: (o) => Math.max(1, o.fileSize),
      dispose: (o, _key, reason) => {
        // 'set': replaced by a newer file of the same key, already renamed over this one.
        if (reason === 'set' || !o.file) return;
        if (reason === 'evict') this.#onEvict(o);
        // At once, not later: the cap holds for what is on disk at every moment.
        try {
          unlinkSync(o.file);
        } catch {
          // gone already
        }
      },
    });
  }

  /** Bytes the cache's files take, and those being written now. */
  get bytes(): number {
    return this.index.calculatedSize + this.#reserved;
  }

  pathOf(key: string): string {
    const h = createHash('sha256').update(key).digest('hex');
    return join(this.dir, h.slice(0, 2), `${h}.obj`);
  }

  /**
   * Room for `n` more bytes being written: least recently used objects are evicted first. False
   * when it cannot fit (larger than the cap with everything else being written).
   */
  reserve(n: number): boolean {
    while (this.index.calculatedSize + this.#reserved + n > this.cap && this.index.size > 0) this.index.pop();
    if (this.index.calculatedSize + this.#reserved + n > this.cap) return false;
    this.#reserved += n;
    return true;
  }

  release(n: number): void {
    this.#reserved = Math.max(0, this.#reserved - n);
  }

  /** A writer for one object's file; nothing is on disk under its name until `commit`. */
  async writer(key: string): Promise<ObjectWriter> {
    const path = this.pathOf(key);
    await mkdir(join(path, '..'), { recursive: true });
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    return new ObjectWriter(this, path, tmp, await open(tmp, 'w'));
  }

  /** A whole object in one go (bodies already in memory). False when it did not fit. */
  async put(o: CachedObject, body: Buffer): Promise<boolean> {
    const w = await this.writer(o.meta.key);
    if (!(await w.write(body))) {
      await w.abort();
      return false;
    }
    return w.commit(o);
  }

  committed(o: CachedObject): void {
    this.index.set(o.meta.key, o);
  }

  /** Rebuilds the index from the files (oldest first, so recent ones are evicted last). */
  async load(): Promise<{ objects: number; bytes: number; removed: number }> {
    const found: Array<{ o: CachedObject; mtime: number }> = [];
    let removed = 0;
    for (const sub of await readdir(this.dir, { withFileTypes: true })) {
      if (!sub.isDirectory() || !/^[0-9a-f]{2}$/.test(sub.name)) continue;
      const subdir = join(this.dir, sub.name);
      for (const name of await readdir(subdir)) {
        const path = join(subdir, name);
        if (!name.endsWith('.obj')) {
          // A write that a crash or a kill interrupted.
          if (name.endsWith('.tmp')) {
            await unlink(path).catch(() => {});
            removed++;
          }
          continue;
        }
        const o = await readObjectFile(path).catch(() => null);
        if (!o) {
          await unlink(path).catch(() => {});
          removed++;
          continue;
        }
        found.push({ o: o.object, mtime: o.mtime });
      }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const { o } of found) this.index.set(o.meta.key, o);
    return { objects: this.index.size, bytes: this.index.calculatedSize, removed };
  }
}

export class ObjectWriter {
  readonly #store: DiskStore;
  readonly #path: string;
  readonly #tmp: string;
  readonly #fh: Awaited<ReturnType<typeof open>>;
  #written = 0;
  #reserved = 0;
  #closed = false;

  constructor(store: DiskStore, path: string, tmp: string, fh: Awaited<ReturnType<typeof open>>) {
    this.#store = store;
    this.#path = path;
    this.#tmp = tmp;
    this.#fh = fh;
  }

  get written(): number {
    return this.#written;
  }

  /** Appends body bytes; false when the cap cannot make room (the caller aborts). */
  async write(chunk: Buffer): Promise<boolean> {
    // The metadata trailer's room is reserved with the first chunk.
    const need = chunk.length + (this.#reserved === 0 ? META_RESERVE : 0);
    if (!this.#store.reserve(need)) return false;
    this.#reserved += need;
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.#fh.write(chunk, off, chunk.length - off, this.#written + off);
      off += bytesWritten;
    }
    this.#written += chunk.length;
    return true;
  }

  /** Writes the metadata, renames the file into place and enters it into the index. */
  async commit(o: CachedObject): Promise<boolean> {
    try {
      const meta = Buffer.from(JSON.stringify(o.meta));
      const trailer = Buffer.alloc(TRAILER);
      trailer.writeUInt32BE(meta.length, 0);
      trailer.writeUInt32BE(MAGIC, 4);
      // Metadata larger than the room kept for it (many long headers): reserve the rest.
      const missing = this.#written + meta.length + TRAILER - this.#reserved;
      if (missing > 0) {
        if (!this.#store.reserve(missing)) throw new Error('no room');
        this.#reserved += missing;
      }
      await this.#fh.write(Buffer.concat([meta, trailer]), 0, meta.length + TRAILER, this.#written);
      await this.#fh.close();
      this.#closed = true;
      await rename(this.#tmp, this.#path);
      o.file = this.#path;
      o.fileSize = this.#written + meta.length + TRAILER;
      this.#store.release(this.#reserved);
      this.#reserved = 0;
      this.#store.committed(o);
      return true;
    } catch {
      await this.abort();
      return false;
    }
  }

  async abort(): Promise<void> {
    if (!this.#closed) await this.#fh.close().catch(() => {});
    this.#closed = true;
    await unlink(this.#tmp).catch(() => {});
    this.#store.release(this.#reserved);
    this.#reserved = 0;
  }
}

/** An object file's metadata (its body stays on disk). */
export async function readObjectFile(path: string): Promise<{ object: CachedObject; mtime: number }> {
  const fh = await open(path, 'r');
  try {
    const { size, mtimeMs } = await fh.stat();
    if (size < TRAILER) throw new Error('too short');
    const trailer = Buffer.alloc(TRAILER);
    await fh.read(trailer, 0, TRAILER, size - TRAILER);
    if (trailer.readUInt32BE(4) !== MAGIC) throw new Error('not an object file');
    const metaLength = trailer.readUInt32BE(0);
    if (metaLength > size - TRAILER) throw new Error('bad metadata length');
    const metaBuf = Buffer.alloc(metaLength);
    await fh.read(metaBuf, 0, metaLength, size - TRAILER - metaLength);
    const meta = JSON.parse(metaBuf.toString('utf8')) as ObjectMeta;
    if (meta.v !== 1 || meta.size !== size - TRAILER - metaLength) throw new Error('inconsistent');
    const o = new CachedObject(meta, null);
    o.file = path;
    o.fileSize = size;
    return { object: o, mtime: mtimeMs };
  } finally {
    await fh.close();
  }
}

/** Total bytes of the files under a directory (what the cap is about), for tests and benches. */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      total += (await stat(join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
