import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ENV_NAMES } from './config.ts';

test('the README documents every setting', async () => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const missing = Object.values(ENV_NAMES).filter(
    (name) => !readme.includes(name.replace(/^FRAMEHOUSE_OIDC_CLIENT_/, '…_CLIENT_')),
  );
  assert.deepEqual(missing, []);
});
