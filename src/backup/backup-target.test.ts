import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { locationsOverlap, targetStoreUrl } from './backup-target.ts';

test('a folder target is the file: store of its absolute path; s3:// stays as given', () => {
  assert.equal(targetStoreUrl('backups'), `file:${resolve('backups')}`);
  assert.equal(targetStoreUrl('/srv/backups'), 'file:/srv/backups');
  assert.equal(targetStoreUrl('file:///srv/backups'), 'file:/srv/backups');
  const s3 = 's3://bucket/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A9000&force_path_style=true';
  assert.equal(targetStoreUrl(s3), s3);
  assert.throws(() => targetStoreUrl('https://example.com/x'), /folder or s3/);
});

test('a target inside the store (or holding it) is found, so no backup copies itself', () => {
  assert.equal(locationsOverlap('file:/data/objects/backups', 'file:/data/objects'), true);
  assert.equal(locationsOverlap('file:/data', 'file:/data/objects'), true);
  assert.equal(locationsOverlap('file:/data/backups', 'file:/data/objects'), false);
  assert.equal(locationsOverlap('file:/data/objects-backups', 'file:/data/objects'), false);
  assert.equal(locationsOverlap('s3://b/fh/backups?endpoint=x', 's3://b/fh?endpoint=x'), true);
  assert.equal(locationsOverlap('s3://b/backups?endpoint=x', 's3://b/fh?endpoint=x'), false);
  assert.equal(locationsOverlap('s3://other/fh', 's3://b/fh'), false);
  assert.equal(locationsOverlap('s3://b/fh', 'file:/b/fh'), false);
});
