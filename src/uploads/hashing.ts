import { createHash } from 'node:crypto';
import { type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A pass-through stream that computes SHA-256 and counts bytes as the data flows to the store. */
export function hashingPassThrough() {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return {
    stream,
    result: () => ({ sha256: hash.digest('hex'), size }),
  };
}

/** SHA-256 of a whole stream, read in chunks (never held in memory). */
export async function sha256Of(source: Readable): Promise<{ sha256: string; size: number }> {
  const h = hashingPassThrough();
  await pipeline(source, h.stream, new Writable({ write: (_chunk, _enc, done) => done() }));
  return h.result();
}
