/**
 * Bytes received but not yet consumed, as the chunks they came in: peeking a box header and
 * taking a whole box copy only what they return, so a box split over many small chunks costs
 * one copy, not one per chunk.
 */
export class ChunkQueue {
  #chunks: Buffer[] = [];
  /** Bytes of the first chunk already taken. */
  #offset = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The first n bytes (n ≤ length), without consuming them. */
  peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length - this.#offset >= n) return first.subarray(this.#offset, this.#offset + n);
    return this.#copy(n, false);
  }

  /** Removes and returns the first n bytes (n ≤ length) as a buffer of their own. */
  take(n: number): Buffer {
    return this.#copy(n, true);
  }

  #copy(n: number, consume: boolean): Buffer {
    if (n > this.#length) throw new RangeError(`only ${this.#length} bytes queued, ${n} asked`);
    // A fresh buffer, never a view of a chunk: a view would keep the whole chunk alive.
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    let index = 0;
    let offset = this.#offset;
    while (written < n) {
      const chunk = this.#chunks[index] as Buffer;
      const count = Math.min(chunk.length - offset, n - written);
      chunk.copy(out, written, offset, offset + count);
      written += count;
      offset += count;
      if (offset === chunk.length) {
        index++;
        offset = 0;
      }
    }
    if (consume) {
      this.#chunks.splice(0, index);
      this.#offset = offset;
      this.#length -= n;
    }
    return out;
  }
}
