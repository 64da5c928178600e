import { createCipheriv, createDecipheriv, type DecipherGCM, randomBytes, scrypt } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * The secrets of a backup (secrets.json.enc): AES-256-GCM under a key derived from the
 * passphrase with scrypt (N=2^17, r=8, p=1, a random salt). The file is the 12-byte IV, the
 * ciphertext, then the 16-byte tag; the manifest holds the KDF's parameters and salt, never the
 * key. node:crypto does all of it; only the framing (IV first, tag last, streamed) is ours.
 */
export interface SecretsParams {
  cipher: 'aes-256-gcm';
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export function newSecretsParams(): SecretsParams {
  return {
    cipher: 'aes-256-gcm',
    kdf: 'scrypt',
    N: 2 ** 17,
    r: 8,
    p: 1,
    salt: randomBytes(16).toString('base64'),
  };
}

/** Throws on parameters this version does not use (a damaged or foreign manifest). */
export function checkSecretsParams(p: SecretsParams): void {
  const ok =
    p.cipher === 'aes-256-gcm' &&
    p.kdf === 'scrypt' &&
    Number.isInteger(Math.log2(p.N)) &&
    p.N >= 2 ** 14 &&
    p.N <= 2 ** 20 &&
    p.r >= 1 &&
    p.r <= 32 &&
    p.p >= 1 &&
    p.p <= 16 &&
    Buffer.from(p.salt, 'base64').length >= 16;
  if (!ok) throw new Error('The manifest names secrets parameters this version does not use');
}

export function deriveKey(passphrase: string, p: SecretsParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes (128 MiB at N=2^17, r=8): above Node's 32 MiB default cap.
  const maxmem = 256 * p.N * p.r;
  return new Promise((resolve, reject) =>
    scrypt(
      passphrase.normalize('NFC'),
      Buffer.from(p.salt, 'base64'),
      KEY_BYTES,
      { N: p.N, r: p.r, p: p.p, maxmem },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/** Plaintext in, IV + ciphertext + tag out. */
export function encryptStream(key: Buffer): Transform {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (!started) {
        started = true;
        this.push(iv);
      }
      this.push(cipher.update(chunk));
      done();
    },
    flush(done: TransformCallback) {
      if (!started) this.push(iv);
      this.push(cipher.final());
      this.push(cipher.getAuthTag());
      done();
    },
  });
}

/** The passphrase is wrong, or the file was changed: GCM's tag does not match. */
export class SecretsAuthError extends Error {
  constructor() {
    super('The secrets could not be authenticated (wrong passphrase, or a changed file)');
    this.name = 'SecretsAuthError';
  }
}

/**
 * IV + ciphertext + tag in, plaintext out. The tag comes last, so plaintext flows before it is
 * checked: the stream errors at its end when the tag does not match. Callers read the whole
 * file once before acting on any of it (restore.service.ts does).
 */
export function decryptStream(key: Buffer): Transform {
  let head = Buffer.alloc(0);
  let decipher: DecipherGCM | null = null;
  let tail = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      let data = chunk;
      if (!decipher) {
        head = Buffer.concat([head, data]);
        if (head.length < IV_BYTES) return done();
        decipher = createDecipheriv('aes-256-gcm', key, head.subarray(0, IV_BYTES));
        data = head.subarray(IV_BYTES);
      }
      // The last TAG_BYTES seen may be the tag: hold them back until the end.
      const all = Buffer.concat([tail, data]);
      const cut = Math.max(0, all.length - TAG_BYTES);
      tail = all.subarray(cut);
      if (cut > 0) this.push(decipher.update(all.subarray(0, cut)));
      done();
    },
    flush(done: TransformCallback) {
      if (!decipher || tail.length < TAG_BYTES) return done(new SecretsAuthError());
      try {
        decipher.setAuthTag(tail);
        this.push(decipher.final());
        done();
      } catch {
        done(new SecretsAuthError());
      }
    },
  });
}
