import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  firstFreePort,
  hashStreamKey,
  isPlausibleStreamKey,
  newSrtPassphrase,
  newStreamKey,
  SRT_PASSPHRASE_LENGTH,
} from './stream-keys.ts';

test('stream keys are long, URL-safe and do not repeat', () => {
  const keys = new Set(Array.from({ length: 2000 }, newStreamKey));
  assert.equal(keys.size, 2000);
  for (const k of keys) {
    assert.match(k, /^[A-Za-z0-9]{32}$/);
    assert.equal(encodeURIComponent(k), k);
  }
  // ≥ 128 bits: 32 characters of 62.
  assert.ok(32 * Math.log2(62) >= 128);
  // Every character of the alphabet turns up: the draw is not stuck on a subset.
  assert.equal(new Set([...keys].join('')).size, 62);
});

test('SRT passphrases fit SRT (10–79 characters) and our 16–32', () => {
  for (let i = 0; i < 200; i++) {
    const p = newSrtPassphrase();
    assert.equal(p.length, SRT_PASSPHRASE_LENGTH);
    assert.ok(p.length >= 16 && p.length <= 32);
    assert.match(p, /^[A-Za-z0-9]+$/);
  }
});

test('the hash is sha256 hex of the key', () => {
  const key = newStreamKey();
  assert.equal(hashStreamKey(key), createHash('sha256').update(key).digest('hex'));
  assert.notEqual(hashStreamKey(key), hashStreamKey(`${key}x`));
});

test('candidates from publishers are bounded before any lookup', () => {
  assert.equal(isPlausibleStreamKey(newStreamKey()), true);
  assert.equal(isPlausibleStreamKey(''), false);
  assert.equal(isPlausibleStreamKey('a'.repeat(257)), false);
  assert.equal(isPlausibleStreamKey('with space'), false);
  assert.equal(isPlausibleStreamKey('nul\u0000'), false);
  assert.equal(isPlausibleStreamKey('ключ'), false);
  assert.equal(isPlausibleStreamKey(42), false);
});

test('the lowest free port of the range, or null when all are taken', () => {
  const range = { first: 10080, last: 10082 };
  assert.equal(firstFreePort(range, new Set()), 10080);
  assert.equal(firstFreePort(range, new Set([10080, 10082])), 10081);
  assert.equal(firstFreePort(range, new Set([10080, 10081, 10082])), null);
  assert.equal(firstFreePort({ first: 5000, last: 5000 }, new Set([4999])), 5000);
});
