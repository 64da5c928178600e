import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

test('every default is the embedded one', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.dataDir, resolve('./data'));
  assert.equal(c.databaseUrl, `sqlite:${resolve('./data/framehouse.db')}`);
  assert.equal(c.storageUrl, `file:${resolve('./data/objects')}`);
  assert.equal(c.x264Preset, 'veryfast');
});

test('flags win over the environment', () => {
  const c = loadConfig({ PORT: '9000', FRAMEHOUSE_DATA_DIR: '/tmp/a' }, { port: '9100' });
  assert.equal(c.port, 9100);
  assert.equal(c.dataDir, '/tmp/a');
  assert.equal(c.databaseUrl, 'sqlite:/tmp/a/framehouse.db');
});

test('one error lists every bad value', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', FRAMEHOUSE_X264_PRESET: 'warp', STORAGE_URL: 'ftp://x' }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 3);
      assert.match(e.message, /PORT/);
      assert.match(e.message, /FRAMEHOUSE_X264_PRESET/);
      assert.match(e.message, /STORAGE_URL/);
      return true;
    },
  );
});

test('FRAMEHOUSE_TRUST_PROXY: true is one hop (never every hop), a count, or proxy addresses', () => {
  const trust = (v: string) => loadConfig({ FRAMEHOUSE_TRUST_PROXY: v }).trustProxy;
  assert.equal(loadConfig({}).trustProxy, false);
  assert.equal(trust('false'), false);
  assert.equal(trust('true'), 1);
  assert.equal(trust('2'), 2);
  assert.deepEqual(trust('10.0.0.0/8, 127.0.0.1,fd00::/8'), ['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
  assert.throws(() => trust('everyone'), ConfigError);
});
