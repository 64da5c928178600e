import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrations } from '../db/migrations/index.ts';
import { AppError } from '../shared/errors.ts';
import { backupIdTime, isBackupId, newBackupId } from './archive-layout.ts';
import { checkMigrationKnown, type Manifest, parseManifest } from './manifest.ts';
import { newSecretsParams } from './secrets-crypto.ts';

const good: Manifest = {
  format: 1,
  framehouse_version: '0.1.0',
  migration: '0017_backups_lifecycle',
  dialect: 'sqlite',
  snapshot_at: '2024-01-02T03:04:05.000Z',
  started_at: '2024-01-02T03:04:04.000Z',
  finished_at: '2024-01-02T03:04:09.000Z',
  objects: 'all',
  counts: { tables: { assets: 1 }, assets: 1, users: 0, live_streams: 0, objects: 2, object_bytes: 10 },
  files: [
    { path: 'database/001-assets.ndjson.gz', size: 10, sha256: 'a'.repeat(64) },
    { path: 'inventory.ndjson.gz', size: 5, sha256: 'b'.repeat(64) },
  ],
  secrets: null,
  source: { database: 'sqlite', storage: '/data/objects' },
};

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : String(err);
  }
  return 'accepted';
};

test('a manifest is read only when a restore can rely on every field it uses', () => {
  assert.deepEqual(parseManifest(JSON.stringify(good), 'x'), good);
  assert.equal(
    code(() => parseManifest(JSON.stringify({ ...good, secrets: newSecretsParams() }), 'x')),
    'accepted',
  );
  for (const bad of [
    'not json',
    JSON.stringify({ ...good, format: 2 }),
    JSON.stringify({ ...good, migration: '' }),
    JSON.stringify({ ...good, dialect: 'mysql' }),
    JSON.stringify({ ...good, objects: 'some' }),
    JSON.stringify({ ...good, files: [{ path: '../../etc/passwd', size: 1, sha256: 'a'.repeat(64) }] }),
    JSON.stringify({ ...good, files: [{ path: 'database/x.gz', size: 1, sha256: 'short' }] }),
    JSON.stringify({ ...good, secrets: { ...newSecretsParams(), N: 2 } }),
    JSON.stringify({ ...good, secrets: { ...newSecretsParams(), cipher: 'rot13' } }),
  ])
    assert.equal(
      code(() => parseManifest(bad, 'x')),
      'FH_ERR_BACKUP_INCOMPLETE',
      bad.slice(0, 80),
    );
});

test('a backup from a migration this version does not know is refused as newer', () => {
  const known = Object.keys(migrations);
  assert.equal(
    code(() => checkMigrationKnown(good, known, 'x')),
    'accepted',
  );
  assert.equal(
    code(() => checkMigrationKnown({ ...good, migration: '0099_future' }, known, 'x')),
    'FH_ERR_BACKUP_NEWER',
  );
});

test('backup ids sort by time, to the millisecond', () => {
  const a = newBackupId(new Date('2024-01-02T03:04:05.009Z'));
  const b = newBackupId(new Date('2024-01-02T03:04:05.010Z'));
  const c = newBackupId(new Date('2024-01-02T03:04:05.999Z'));
  const d = newBackupId(new Date('2024-01-02T03:04:06.000Z'));
  assert.match(a, /^20240102T030405Z-[a-z0-9]{6}$/);
  assert.deepEqual([d, c, b, a].sort(), [a, b, c, d]);
  assert.ok(isBackupId(a));
  assert.equal(isBackupId('../x'), false);
  assert.equal(backupIdTime(a)?.toISOString(), '2024-01-02T03:04:05.000Z');
});
