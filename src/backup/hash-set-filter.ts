import { randomBytes } from 'node:crypto';

/**
 * A Bloom filter of SHA-256 hashes: "maybe named" or "certainly not named" by the inventories
 * kept, in ~2.5 bytes per hash instead of a set of every hash (a store of millions of objects).
 * A false "maybe" only keeps an unneeded pool object until a later prune (each filter draws its
 * own salt, so the same object is not spared twice); a needed object is never reported absent.
 * Hand-written: a few lines over bits of hashes that are uniform already.
 */
export class HashSetFilter {
  static readonly BITS_PER_HASH = 20;
  static readonly PROBES = 14;
  readonly #bits: Uint8Array;
  readonly #size: number;
  readonly #salt1: number;
  readonly #salt2: number;

  constructor(expectedHashes: number) {
    this.#size = Math.max(64, Math.ceil(expectedHashes * HashSetFilter.BITS_PER_HASH));
    this.#bits = new Uint8Array(Math.ceil(this.#size / 8));
    const salt = randomBytes(8);
    this.#salt1 = salt.readUInt32BE(0);
    this.#salt2 = salt.readUInt32BE(4);
  }

  add(sha256: string): void {
    for (const bit of this.#positions(sha256))
      this.#bits[bit >>> 3] = (this.#bits[bit >>> 3] ?? 0) | (1 << (bit & 7));
  }

  mayHave(sha256: string): boolean {
    for (const bit of this.#positions(sha256))
      if (((this.#bits[bit >>> 3] ?? 0) & (1 << (bit & 7))) === 0) return false;
    return true;
  }

  *#positions(sha256: string): Iterable<number> {
    const h1 = (Number.parseInt(sha256.slice(0, 8), 16) ^ this.#salt1) >>> 0;
    const h2 = ((Number.parseInt(sha256.slice(8, 16), 16) ^ this.#salt2) | 1) >>> 0;
    for (let i = 0; i < HashSetFilter.PROBES; i++) yield (h1 + i * h2) % this.#size;
  }
}
