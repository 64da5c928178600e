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

test('the cold tier needs a place to go, one place only, and not the main store itself', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems;
    }
  };
  assert.match(
    problems({ FRAMEHOUSE_LIFECYCLE_COLD_DAYS: '30' }).join('\n'),
    /needs FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_CLASS/,
  );
  assert.match(
    problems({
      FRAMEHOUSE_LIFECYCLE_COLD_DAYS: '30',
      FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_CLASS: 'STANDARD_IA',
    }).join('\n'),
    /exist only on S3/,
  );
  assert.match(
    problems({
      STORAGE_URL: 'file:/srv/media/',
      FRAMEHOUSE_LIFECYCLE_COLD_DAYS: '30',
      FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_URL: 'file:/srv/media',
    }).join('\n'),
    /must be another store than STORAGE_URL/,
  );
  const ok = loadConfig({
    FRAMEHOUSE_LIFECYCLE_COLD_DAYS: '30',
    FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_URL: 'file:/srv/cold',
  });
  assert.equal(ok.lifecycleColdStorageUrl, 'file:/srv/cold');
  assert.equal(ok.lifecycleUnfinishedUploadDays, 7);
});
