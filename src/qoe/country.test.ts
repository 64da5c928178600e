import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountryLookup } from './country.ts';

test('public addresses → their country from the bundled database; private, loopback and junk → ZZ', async () => {
  const lookup = new CountryLookup();
  assert.equal(await lookup.country('211.234.100.1'), 'KR');
  assert.equal(await lookup.country('121.130.1.1'), 'KR');
  assert.equal(await lookup.country('8.8.8.8'), 'US');
  assert.equal(await lookup.country('::ffff:8.8.8.8'), 'US');
  assert.equal(await lookup.country('2001:4860:4860::8888'), 'US');
  assert.equal(await lookup.country('81.2.69.160'), 'GB');
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '192.168.1.1',
    '172.16.0.1',
    '::1',
    'fe80::1',
    'fd00::1',
    '100.64.0.1',
    'not an address',
  ])
    assert.equal(await lookup.country(address), 'ZZ', address);
});

test('the database is read on the first public lookup, not before', async () => {
  const lookup = new CountryLookup(new URL('file:///nonexistent/geo.mmdb'));
  // A private address needs no database: nothing is read.
  assert.equal(await lookup.country('10.0.0.1'), 'ZZ');
  await assert.rejects(lookup.country('8.8.8.8'), /ENOENT/);
});
