import { PassThrough, type Readable } from 'node:stream';

/** Bytes received per second over a sliding few seconds. */
export class ByteRate {
  readonly #windowMs: number;
  readonly #samples: { at: number; bytes: number }[] = [];

  constructor(windowMs = 5_000) {
    this.#windowMs = windowMs;
  }

  add(bytes: number, now = Date.now()): void {
    this.#samples.push({ at: now, bytes });
    while (this.#samples.length > 0 && (this.#samples[0]?.at ?? now) < now - this.#windowMs)
      this.#samples.shift();
  }

  bitsPerSecond(now = Date.now()): number {
    const recent = this.#samples.filter((s) => s.at >= now - this.#windowMs);
    const bytes = recent.reduce((sum, s) => sum + s.bytes, 0);
    return (bytes * 8 * 1000) / this.#windowMs;
  }
}

/**
 * An MPEG-TS input that a restarted transcoder can join at any time (a TS stream can be read
 * from any packet on: the decoder waits for the next keyframe). Each `open()` ends the previous
 * reader and gets the bytes from then on. A reader that stops reading does not stall the source:
 * what it cannot take is dropped (the transcoder is then behind, and says so).
 */
export class TsSwitch {
  #current: PassThrough | null = null;

  constructor(source: Readable, onBytes: (n: number) => void) {
    source.on('data', (chunk: Buffer) => {
      onBytes(chunk.length);
      const out = this.#current;
      if (out && !out.destroyed && out.writableLength < 8 * 1024 * 1024) out.write(chunk);
    });
    source.on('end', () => this.#current?.end());
    source.on('error', () => this.#current?.end());
  }

  open(): Readable {
    this.#current?.end();
    this.#current = new PassThrough();
    return this.#current;
  }
}
