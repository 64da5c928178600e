import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { isStorageFull } from '../shared/errors.ts';
import { registerErrorHandling } from './error-handler.ts';

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

test('a full disk (ENOSPC, SQLITE_FULL, or one wrapped in a cause) is FH_ERR_STORAGE_FULL: 507, coded, no stack', async () => {
  const app = Fastify();
  registerErrorHandling(app);
  app.get('/fs', async () => {
    throw enospc();
  });
  app.get('/sqlite', async () => {
    throw Object.assign(new Error('database or disk is full'), { code: 'ERR_SQLITE_ERROR', errcode: 13 });
  });
  app.get('/wrapped', async () => {
    throw new Error('could not store the upload', { cause: enospc() });
  });
  app.get('/other', async () => {
    throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
  });
  for (const path of ['/fs', '/sqlite', '/wrapped']) {
    const res = await app.inject({ method: 'GET', url: path });
    assert.equal(res.statusCode, 507, path);
    assert.equal(res.json().error.code, 'FH_ERR_STORAGE_FULL', path);
    assert.doesNotMatch(res.body, /ENOSPC|at /);
  }
  const ko = await app.inject({ method: 'GET', url: '/fs', headers: { 'accept-language': 'ko' } });
  assert.match(ko.json().error.message, /공간/);
  const other = await app.inject({ method: 'GET', url: '/other' });
  assert.equal(other.statusCode, 500);
  assert.equal(isStorageFull(new Error('not media')), false);
  await app.close();
});
