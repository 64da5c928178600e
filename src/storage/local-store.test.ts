import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from './local-store.ts';
import { objectStoreContract } from './object-store.contract.ts';

objectStoreContract('local folder', async () => {
  const store = new LocalObjectStore(await mkdtemp(join(tmpdir(), 'fh-store-')));
  await store.init();
  return store;
});
