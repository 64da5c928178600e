import type { Readable } from 'node:stream';
import { createSHA256, type IHasher } from 'hash-wasm';
import type { ObjectStore } from '../storage/object-store.ts';
import { sha256Of } from './hashing.ts';

/**
 * A SHA-256 whose running state can be saved and taken up again in another request, on
 * another node, or after a crash (node:crypto cannot export its state; hash-wasm can). An
 * upload's hash is carried across its PATCH requests this way, so the asset has its checksum
 * as soon as the last byte is in, without reading the upload again.
 */
export class ResumableSha256 {
  readonly #hasher: IHasher;
  #bytes: number;

  private constructor(hasher: IHasher, bytes: number) {
    this.#hasher = hasher;
    this.#bytes = bytes;
  }

  static async start(): Promise<ResumableSha256> {
    const hasher = await createSHA256();
    return new ResumableSha256(hasher.init(), 0);
  }

  /** A hash taken up from a saved state; null when the state cannot be read back. */
  static async resume(saved: SavedSha256): Promise<ResumableSha256 | null> {
    const hasher = await createSHA256();
    try {
      // A state saved by another build of hash-wasm is refused here (it carries the build's hash).
      hasher.load(Buffer.from(saved.state, 'base64'));
    } catch {
      return null;
    }
    return new ResumableSha256(hasher, saved.bytes);
  }

  /** How many bytes the hash covers. */
  get bytes(): number {
    return this.#bytes;
  }

  update(chunk: Uint8Array): void {
    this.#hasher.update(chunk);
    this.#bytes += chunk.length;
  }

  /** Feeds a whole stream (a stored range read back, a staged part). */
  async updateFrom(source: Readable): Promise<void> {
    for await (const chunk of source) this.update(chunk as Buffer);
  }

  save(): SavedSha256 {
    return { state: Buffer.from(this.#hasher.save()).toString('base64'), bytes: this.#bytes };
  }

  /** The hex digest; the hash cannot be updated afterwards. */
  hex(): string {
    return this.#hasher.digest('hex');
  }
}

/** A hash state as it is kept in the database: base64 of hash-wasm's state, and the bytes it covers. */
export interface SavedSha256 {
  state: string;
  bytes: number;
}

/**
 * Completes a saved hash state from the stored object: only the bytes it does not cover yet
 * (none, unless the process died between storing bytes and saving the state) are read.
 */
export async function checksumFrom(
  saved: SavedSha256 | null,
  store: ObjectStore,
  key: string,
  size: number,
): Promise<string> {
  const hash = saved && saved.bytes <= size ? await ResumableSha256.resume(saved) : null;
  if (!hash) {
    // No state to take up (an upload begun before hashes were kept): node:crypto reads it faster.
    const whole = await sha256Of(await store.get(key));
    if (whole.size !== size) throw new Error(`stored object ${key} is ${whole.size} bytes, not ${size}`);
    return whole.sha256;
  }
  if (hash.bytes < size) await hash.updateFrom(await store.get(key, { start: hash.bytes, end: size - 1 }));
  if (hash.bytes !== size) throw new Error(`stored object ${key} is ${hash.bytes} bytes, not ${size}`);
  return hash.hex();
}
