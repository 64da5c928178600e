import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { newId } from '../shared/ids.ts';
import {
  assertValidKey,
  type ByteRange,
  contentTypeFor,
  type ListedObject,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
} from './object-store.ts';

/**
 * Object store on a local folder. Writes go to a temp file in the same filesystem, are
 * fsynced, then renamed over the target: rename is atomic, so a crash never leaves half a file
 * under a real key.
 */
export class LocalObjectStore implements ObjectStore {
  readonly root: string;
  readonly #tmp: string;

  constructor(root: string) {
    this.root = root;
    this.#tmp = join(root, '.tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.#tmp, { recursive: true });
    // Temp files of writes cut short by a crash. Only old ones: another process sharing this
    // folder may be writing right now.
    const hourAgo = Date.now() - 3_600_000;
    for (const name of await readdir(this.#tmp)) {
      const path = join(this.#tmp, name);
      const s = await stat(path).catch(() => null);
      if (s && s.mtimeMs < hourAgo) await rm(path, { force: true });
    }
  }

  pathFor(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Readable | Buffer | string): Promise<ObjectInfo> {
    const target = this.pathFor(key);
    const tmp = join(this.#tmp, newId());
    try {
      const source = typeof body === 'string' || Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(source, createWriteStream(tmp, { flags: 'wx' }));
      await fsyncFile(tmp);
      await this.#commit(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return this.#info(key, target);
  }

  async putFile(key: string, path: string, opts: { link?: boolean } = {}): Promise<ObjectInfo> {
    const target = this.pathFor(key);
    const tmp = join(this.#tmp, newId());
    try {
      // A hard link costs nothing and leaves the original in place; across filesystems, copy.
      let linked = false;
      if (opts.link) {
        try {
          await link(path, tmp);
          linked = true;
        } catch (e) {
          if (!['EXDEV', 'EPERM', 'ENOTSUP'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
        }
      }
      if (!linked) await copyFile(path, tmp);
      await fsyncFile(tmp);
      await this.#commit(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return this.#info(key, target);
  }

  async copy(fromKey: string, toKey: string): Promise<ObjectInfo> {
    const from = this.pathFor(fromKey);
    if (!(await this.stat(fromKey))) throw new ObjectNotFoundError(fromKey);
    // Stored files are never written in place (every write is a rename), so a link is a safe copy.
    return this.putFile(toKey, from, { link: true });
  }

  /** A folder has no URLs: everything it holds is served through the api. */
  async presignedGetUrl(): Promise<string | null> {
    return null;
  }

  async #commit(from: string, target: string): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    await rename(from, target);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathFor(key);
    await this.#statOrThrow(key, path);
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async getBuffer(key: string): Promise<Buffer> {
    const path = this.pathFor(key);
    try {
      return await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw e;
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const path = this.pathFor(key);
    try {
      return await this.#info(key, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathFor(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    await Promise.all(keys.map((k) => this.delete(k)));
    // Remove the now-empty folder of a whole-folder prefix such as `hls/{assetId}/`.
    if (prefix.endsWith('/')) await rm(this.pathFor(prefix.slice(0, -1)), { recursive: true, force: true });
    return keys.length;
  }

  async *listDetailed(prefix: string): AsyncIterable<ListedObject> {
    // Keys of one folder are few enough to list first; their details are read one at a time.
    for (const key of await this.list(prefix)) {
      try {
        const { contentType: _, ...info } = await this.#info(key, this.pathFor(key));
        yield { key, ...info, storageClass: 'local' };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // removed since the listing
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    // Walk only the deepest folder the prefix names, then filter by the remaining characters.
    const dirKey = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const dir = dirKey ? this.pathFor(dirKey) : this.root;
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const entry of entries) {
        const full = join(d, entry.name);
        if (full === this.#tmp) continue;
        if (entry.isDirectory()) await walk(full);
        else {
          const key = relative(this.root, full).split(sep).join('/');
          if (key.startsWith(prefix)) out.push(key);
        }
      }
    };
    await walk(dir);
    return out.sort();
  }

  async withLocalFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T> {
    const path = this.pathFor(key);
    await this.#statOrThrow(key, path);
    return fn(path);
  }

  async checkHealth(): Promise<void> {
    const probe = join(this.#tmp, `health-${newId(8)}`);
    await mkdir(this.#tmp, { recursive: true });
    const fh = await open(probe, 'w');
    await fh.close();
    await unlink(probe);
  }

  async #statOrThrow(key: string, path: string): Promise<void> {
    try {
      await stat(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw e;
    }
  }

  async #info(key: string, path: string): Promise<ObjectInfo> {
    const s = await stat(path);
    if (!s.isFile()) throw Object.assign(new Error(`Not a file: ${key}`), { code: 'ENOENT' });
    return {
      size: s.size,
      // Size + modification time: changes whenever the object is rewritten.
      etag: `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`,
      lastModified: s.mtime,
      contentType: contentTypeFor(key),
    };
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
