import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressHash, ViewerTokens } from './viewer-token.ts';

const stream = 'stream0000000001';
const viewer = 'viewer0000000001';

test('a viewer token verifies for its stream until it expires, with no state', () => {
  const tokens = new ViewerTokens('key-one');
  const exp = Math.floor(Date.now() / 1000) + 60;
  const token = tokens.sign(stream, viewer, exp);
  assert.deepEqual(tokens.verify(token, stream), { streamId: stream, viewerId: viewer, expiresAt: exp });
  // Another stream, another key, expired, altered, malformed: refused.
  assert.equal(tokens.verify(token, 'stream0000000002'), null);
  assert.equal(new ViewerTokens('key-two').verify(token, stream), null);
  assert.equal(tokens.verify(token, stream, (exp + 1) * 1000), null);
  assert.equal(tokens.verify(token.replace(viewer, 'viewer0000000002'), stream), null);
  assert.equal(tokens.verify(`${token.slice(0, -2)}xx`, stream), null);
  for (const bad of [undefined, '', 'v1.a.b', 'x'.repeat(400)])
    assert.equal(tokens.verify(bad, stream), null);
});

test('address hashes are keyed: the same address hashes alike under one key only', () => {
  assert.equal(addressHash('k', '203.0.113.7'), addressHash('k', '203.0.113.7'));
  assert.notEqual(addressHash('k', '203.0.113.7'), addressHash('k', '203.0.113.8'));
  assert.notEqual(addressHash('k', '203.0.113.7'), addressHash('other', '203.0.113.7'));
  assert.ok(!addressHash('k', '203.0.113.7').includes('203'));
  // IPv6: one /64 is one client (a ban must hold when the low 64 bits change).
  assert.equal(addressHash('k', '2001:db8:0:1::5'), addressHash('k', '2001:db8:0:1:abcd:1:2:3'));
  assert.notEqual(addressHash('k', '2001:db8:0:1::5'), addressHash('k', '2001:db8:0:2::5'));
});
