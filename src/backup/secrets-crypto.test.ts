import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AppError } from '../shared/errors.ts';
import { LocalObjectStore } from '../storage/local-store.ts';
import { readLines, writeLines } from './archive-file.ts';
import { secretsKey } from './archive-layout.ts';
import { deriveKey, newSecretsParams } from './secrets-crypto.ts';
import { checkSecretsOpen } from './secrets-restore.ts';

let dir: string;
let store: LocalObjectStore;
const ID = '20240102T030405Z-abcdef';
const lines = [
  JSON.stringify({ table: 'webhooks', columns: ['secret'], key: ['id'] }),
  ...Array.from({ length: 5000 }, (_, i) => JSON.stringify([`wh_${i}`, `whsec_VERY-SECRET-${i}`])),
];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fh-crypto-'));
  store = new LocalObjectStore(dir);
  await store.init();
});
after(() => rm(dir, { recursive: true, force: true }));

async function write(passphrase: string) {
  const params = newSecretsParams();
  const key = await deriveKey(passphrase, params);
  const out = writeLines(store, secretsKey(ID), { encryptWith: key });
  for (const l of lines) await out.write(l);
  return { params, digest: await out.close() };
}

async function readAll(key: Buffer): Promise<string[]> {
  const got: string[] = [];
  for await (const l of readLines(store, secretsKey(ID), { decryptWith: key })) got.push(l);
  return got;
}

test('secrets round-trip under the passphrase; the file holds none of them in clear', async () => {
  const { params, digest } = await write('correct horse battery staple');
  assert.deepEqual(
    { cipher: params.cipher, kdf: params.kdf, N: params.N, r: params.r, p: params.p },
    {
      cipher: 'aes-256-gcm',
      kdf: 'scrypt',
      N: 2 ** 17,
      r: 8,
      p: 1,
    },
  );
  const bytes = await readFile(join(dir, ...secretsKey(ID).split('/')));
  assert.equal(bytes.length, digest.size);
  assert.equal(bytes.includes('VERY-SECRET'), false);
  assert.equal(bytes.includes('whsec_'), false);
  const key = await deriveKey('correct horse battery staple', params);
  assert.deepEqual(await readAll(key), lines);
  await checkSecretsOpen(store, ID, key);
});

test('a wrong passphrase is refused as such, before anything is read out', async () => {
  const { params } = await write('correct horse battery staple');
  const wrong = await deriveKey('correct horse battery stapler', params);
  await assert.rejects(checkSecretsOpen(store, ID, wrong), (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'FH_ERR_BACKUP_PASSPHRASE');
    return true;
  });
});

test('a changed byte fails authentication (GCM tag), even with the right passphrase', async () => {
  const { params } = await write('correct horse battery staple');
  const key = await deriveKey('correct horse battery staple', params);
  const path = join(dir, ...secretsKey(ID).split('/'));
  const bytes = await readFile(path);
  // A byte of the tag itself: the plaintext decrypts, only the tag check can catch it.
  bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0x01;
  await writeFile(path, bytes);
  await assert.rejects(readAll(key), /could not be authenticated/);
});
