import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  answerC1,
  findDigest,
  HANDSHAKE_SIZE,
  imprintDigest,
  PLAYER_KEY,
  SERVER_KEY,
  s2SignatureValid,
} from './handshake.ts';

describe('handshake', () => {
  it('answers a plain C1 with a zero-version S1 and an echo of C1', () => {
    const c1 = randomBytes(HANDSHAKE_SIZE);
    c1.writeUInt32BE(0, 4);
    const { bytes, digest } = answerC1(c1);
    assert.equal(digest, false);
    assert.equal(bytes.length, 1 + 2 * HANDSHAKE_SIZE);
    assert.equal(bytes[0], 3);
    assert.equal(bytes.readUInt32BE(5), 0);
    assert.deepEqual(bytes.subarray(1 + HANDSHAKE_SIZE), c1);
  });

  it('answers a digest C1 (as ffmpeg and librtmp build it) with a server digest and a signed S2', () => {
    const c1 = randomBytes(HANDSHAKE_SIZE);
    Buffer.from([9, 0, 124, 2]).copy(c1, 4);
    const at = imprintDigest(c1, PLAYER_KEY);
    assert.equal(findDigest(c1, PLAYER_KEY), at);
    const { bytes, digest } = answerC1(c1);
    assert.equal(digest, true);
    const s1 = bytes.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = bytes.subarray(1 + HANDSHAKE_SIZE);
    assert.notEqual(s1.readUInt32BE(4), 0);
    assert.ok(findDigest(s1, SERVER_KEY) >= 0, 'S1 carries a server digest');
    assert.ok(s2SignatureValid(s2, c1.subarray(at, at + 32)), 'S2 is signed with the client digest');
    assert.equal(s2SignatureValid(s2, randomBytes(32)), false);
  });

  it('answers plainly when the version is set but the digest is wrong', () => {
    const c1 = randomBytes(HANDSHAKE_SIZE);
    Buffer.from([9, 0, 124, 2]).copy(c1, 4);
    assert.equal(answerC1(c1).digest, false);
  });
});
