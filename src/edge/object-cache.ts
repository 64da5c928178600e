import { open } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import type { CachedObject } from './cached-object.ts';
import { DiskStore } from './disk-store.ts';

/** Objects up to this size (and an eighth of the memory tier) are kept in memory when hot. */
const MEMORY_OBJECT_MAX = 8 * 1024 * 1024;

/**
 * The two tiers: every stored object is on disk (DiskStore, the byte cap), and the hot small
 * ones are also in memory (a second lru-cache with its own byte cap), so a hit on them is one
 * `end(buffer)` with no file read. Also remembers which playback ids the origin marked signed.
 */
export class ObjectCache {
  readonly disk: DiskStore;
  readonly memory: LRUCache<string, CachedObject>;
  readonly memoryObjectMax: number;
  /** Playback ids whose answers came marked signed: nothing of theirs is answered without a valid token. */
  readonly signedIds = new Set<string>();

  constructor(o: { dir: string; cap: number; memorySize: number; onEvict?: (o: CachedObject) => void }) {
    this.disk = new DiskStore(o.dir, o.cap, o.onEvict);
    this.memoryObjectMax = Math.min(MEMORY_OBJECT_MAX, Math.floor(o.memorySize / 8));
    this.memory = new LRUCache<string, CachedObject>({
      maxSize: o.memorySize,
      sizeCalculation: (obj) => (obj.body?.length ?? 0) + 1024,
      // The object stays on disk; only its memory copy goes.
      dispose: (obj, _key, reason) => {
        if (reason !== 'set') obj.body = null;
      },
    });
  }

  async load() {
    const loaded = await this.disk.load();
    for (const o of this.disk.index.values()) {
      if (o.meta.signed && o.meta.playbackId) this.signedIds.add(o.meta.playbackId);
    }
    return loaded;
  }

  get(key: string): CachedObject | undefined {
    return this.memory.get(key) ?? this.disk.index.get(key);
  }

  /** Keeps a copy in memory when it is small enough. */
  remember(o: CachedObject, body: Buffer): void {
    if (body.length > this.memoryObjectMax) return;
    o.body = body;
    this.memory.set(o.meta.key, o);
  }

  /**
   * The body of a disk object, read into memory when small (it is then a memory hit next time);
   * null when its file has gone meanwhile (evicted or purged: the caller treats it as a miss).
   */
  async readSmall(o: CachedObject): Promise<Buffer | null> {
    if (o.body) return o.body;
    if (!o.file || o.meta.size > this.memoryObjectMax) return null;
    try {
      const fh = await open(o.file, 'r');
      try {
        const body = Buffer.allocUnsafe(o.meta.size);
        let off = 0;
        while (off < body.length) {
          const { bytesRead } = await fh.read(body, off, body.length - off, off);
          if (bytesRead === 0) return null;
          off += bytesRead;
        }
        this.remember(o, body);
        return body;
      } finally {
        await fh.close();
      }
    } catch {
      return null;
    }
  }

  /** Everything cached under `/play/{playbackId}/`; returns how many objects went. */
  purgePlayback(playbackId: string): number {
    const prefix = `/play/${playbackId}/`;
    const keys = new Set<string>();
    for (const key of this.disk.index.keys()) if (key.startsWith(prefix)) keys.add(key);
    for (const key of this.memory.keys()) if (key.startsWith(prefix)) keys.add(key);
    for (const key of keys) {
      this.disk.index.delete(key);
      this.memory.delete(key);
    }
    this.signedIds.delete(playbackId);
    return keys.size;
  }
}
