import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressPrefix } from './address-prefix.ts';

test('IPv6 addresses are keyed by their /64; IPv4 (mapped or not) whole', () => {
  assert.equal(addressPrefix('2001:db8:1:2:aaaa::1'), addressPrefix('2001:db8:1:2:ffff:1:2:3'));
  assert.equal(addressPrefix('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.notEqual(addressPrefix('2001:db8:1:2::1'), addressPrefix('2001:db8:1:3::1'));
  assert.equal(addressPrefix('203.0.113.7'), '203.0.113.7');
  assert.equal(addressPrefix('::ffff:203.0.113.7'), '203.0.113.7');
  assert.notEqual(addressPrefix('203.0.113.7'), addressPrefix('203.0.113.8'));
  assert.equal(addressPrefix('not an address'), 'not an address');
});
