import { LRUCache } from 'lru-cache';
import { type ObjectInfo, ObjectNotFoundError, type ObjectStore } from '../storage/object-store.ts';

export interface HotObject {
  info: ObjectInfo;
  body: Buffer;
}

/**
 * The playback origin's memory tier: the objects viewers ask for most (segments, init segments,
 * playlists, posters) kept whole in memory, least recently used dropped past a byte cap. An
 * answer from here is one write of a buffer the socket already has, instead of a stat, an open
 * and forty 64 KiB reads through the thread pool (the profile of the segment path showed those
 * reads, their buffers and the collector as most of its time), and on S3 no round trip at all.
 *
 * Objects the caller calls immutable (segment URLs never change content) are answered without
 * asking the store; any other (playlists still growing) is revalidated with a stat: a new ETag
 * reads it again. Concurrent misses of one key share one read.
 */
export class HotObjects {
  readonly #store: ObjectStore;
  readonly #cache: LRUCache<string, HotObject>;
  readonly #maxObjectBytes: number;
  readonly #reading = new Map<string, Promise<HotObject | null>>();
  #hits = 0;
  #misses = 0;

  constructor(store: ObjectStore, opts: { maxBytes: number; maxObjectBytes?: number }) {
    this.#store = store;
    // An object above an eighth of the cap would push out too much else: streamed instead.
    this.#maxObjectBytes = Math.min(opts.maxObjectBytes ?? Number.POSITIVE_INFINITY, opts.maxBytes / 8);
    this.#cache = new LRUCache<string, HotObject>({
      maxSize: Math.max(1, opts.maxBytes),
      // Buffers plus a small allowance for the entry itself, so tiny playlists count too.
      sizeCalculation: (o) => o.body.length + 256,
    });
  }

  /**
   * The object whole from memory (read into memory first on a miss), or `null` when it does not
   * fit the tier (the caller streams it from the store). Throws nothing for a missing object:
   * `undefined` says it does not exist.
   */
  async read(key: string, immutable: boolean): Promise<HotObject | null | undefined> {
    const held = this.#cache.get(key);
    if (held && immutable) {
      this.#hits++;
      return held;
    }
    const info = await this.#store.stat(key);
    if (!info) {
      if (held) this.#cache.delete(key);
      return undefined;
    }
    if (held && held.info.etag === info.etag) {
      this.#hits++;
      return held;
    }
    if (info.size > this.#maxObjectBytes) return null;
    this.#misses++;
    const version = `${key}\n${info.etag}`;
    const inFlight = this.#reading.get(version);
    if (inFlight) return inFlight;
    const reading = this.#fill(key, info).finally(() => this.#reading.delete(version));
    this.#reading.set(version, reading);
    return reading;
  }

  /** Hits, misses, and what the tier holds now (for /metrics). */
  stats(): { hits: number; misses: number; bytes: number; objects: number } {
    return {
      hits: this.#hits,
      misses: this.#misses,
      bytes: this.#cache.calculatedSize,
      objects: this.#cache.size,
    };
  }

  async #fill(key: string, info: ObjectInfo): Promise<HotObject | null> {
    let body: Buffer;
    try {
      body = await this.#store.getBuffer(key);
    } catch (e) {
      if (e instanceof ObjectNotFoundError) return null; // deleted since the stat: the caller looks again
      throw e;
    }
    // Replaced between the stat and the read: keep nothing, the caller streams what is there now.
    if (body.length !== info.size) return null;
    const object = { info, body };
    this.#cache.set(key, object);
    return object;
  }
}
