import { once } from 'node:events';
import { type Duplex, PassThrough, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { AppError } from '../shared/errors.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { hashingPassThrough } from '../uploads/hashing.ts';
import { decryptStream, encryptStream } from './secrets-crypto.ts';

/** What the manifest records of each file: its size and SHA-256 as stored. */
export interface FileDigest {
  size: number;
  sha256: string;
}

/** Counts and hashes the bytes passing through (the uploads' hashing stream, read once). */
export function digestingStream(): { stream: Transform; digest: () => FileDigest } {
  const { stream, result } = hashingPassThrough();
  let digest: FileDigest | null = null;
  return { stream, digest: () => (digest ??= result()) };
}

/**
 * A file of lines written straight into the target as it is produced (gzip, and AES-GCM for the
 * secrets): nothing of it is held in memory beyond the streams' buffers.
 */
export interface LineWriter {
  write(line: string): Promise<void>;
  /** Ends the file; resolves once the target has all of it. */
  close(): Promise<FileDigest>;
  /** Gives up on the file (an error elsewhere): the target keeps no partial object. */
  abort(err: Error): Promise<void>;
}

export function writeLines(store: ObjectStore, key: string, opts: { encryptWith?: Buffer } = {}): LineWriter {
  const { stream: digesting, digest } = digestingStream();
  const input = new PassThrough();
  const stages: Duplex[] = [createGzip({ level: 6 })];
  if (opts.encryptWith) stages.push(encryptStream(opts.encryptWith));
  const piped = pipeline([input, ...stages, digesting]);
  const stored = store.put(key, digesting);
  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure ??= err;
    input.destroy(err as Error);
  };
  piped.catch(fail);
  stored.catch(fail);
  let pending = '';
  const flush = async () => {
    if (failure) throw failure;
    const chunk = pending;
    pending = '';
    if (!input.write(chunk)) await Promise.race([once(input, 'drain'), stored.then(() => {})]);
    if (failure) throw failure;
  };
  return {
    async write(line) {
      // Lines gathered to ~64 KB: one stream write per row would cost more than the row.
      pending += `${line}\n`;
      if (pending.length >= 65_536) await flush();
    },
    async close() {
      if (pending) await flush();
      input.end();
      await piped;
      await stored;
      return digest();
    },
    async abort(err) {
      input.destroy(err);
      await Promise.allSettled([piped, stored]);
      await store.delete(key).catch(() => {});
    },
  };
}

/**
 * The longest line a backup's file may hold: a row of the largest table with its JSON columns.
 * A damaged or hostile file without line breaks (a decompression bomb) stops here instead of
 * filling the memory.
 */
const MAX_LINE_CHARS = 64 * 1024 * 1024;

/** The lines of a stored file (gunzipped, decrypted first when `decryptWith` is given). */
export async function* readLines(
  store: ObjectStore,
  key: string,
  opts: { decryptWith?: Buffer } = {},
): AsyncIterable<string> {
  const stages: Duplex[] = [];
  if (opts.decryptWith) stages.push(decryptStream(opts.decryptWith));
  stages.push(createGunzip());
  const text = new PassThrough({ encoding: 'utf8' });
  // pipeline() destroys every stream with a stage's error: the loop below throws it.
  pipeline([await store.get(key), ...stages, text]).catch(() => {});
  let rest = '';
  try {
    for await (const chunk of text as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      if (rest.length > MAX_LINE_CHARS)
        throw new AppError('FH_ERR_BACKUP_INCOMPLETE', `${key}: a line longer than 64 MiB (damaged file?)`);
      for (const line of lines) if (line) yield line;
    }
    if (rest) yield rest;
  } finally {
    text.destroy();
  }
}

/** Size and SHA-256 of a stored object, read back. */
export async function digestStored(store: ObjectStore, key: string): Promise<FileDigest> {
  const { stream, digest } = digestingStream();
  await pipeline(await store.get(key), stream, async (s: AsyncIterable<Buffer>) => {
    for await (const _ of s);
  });
  return digest();
}
