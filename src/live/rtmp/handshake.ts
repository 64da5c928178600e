// The RTMP handshake, server side: C0+C1 in, S0+S1+S2 out, C2 in.
//
// Two flavours exist. The plain one (RTMP spec 5.2) echoes C1 as S2. The "digest" one (Flash
// Player 9 and later, sent by ffmpeg's and OBS's librtmp-style clients) hides an HMAC-SHA256
// of C1 inside C1; a client that sent one may check that S1 carries the server's digest and
// that S2 is signed with a key derived from its own digest (ffmpeg does when it plays a
// stream; librtmp does when built with crypto). So: when C1 carries a valid client digest we
// answer in kind, otherwise plainly. A server S1 with a zero version field tells digest clients
// not to check, which is how the plain answer stays acceptable to them.
import { createHmac, randomBytes } from 'node:crypto';

export const HANDSHAKE_SIZE = 1536;
export const RTMP_VERSION = 3;

// The well-known constants of the scheme: an ASCII label followed by the same 32 bytes.
const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');
const PLAYER_KEY_LABEL = Buffer.from('Genuine Adobe Flash Player 001', 'ascii');
const SERVER_KEY_LABEL = Buffer.from('Genuine Adobe Flash Media Server 001', 'ascii');
const SERVER_KEY_FULL = Buffer.concat([SERVER_KEY_LABEL, KEY_TAIL]);
const DIGEST_LENGTH = 32;
/** The version S1 announces in digest mode; a non-zero version tells the client a digest is there. */
const SERVER_VERSION = Buffer.from([5, 0, 3, 1]);

function hmac(key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const d of data) h.update(d);
  return h.digest();
}

/** Where the digest sits in a 1536-byte packet for the scheme whose offset field starts at `base` (8 or 772). */
export function digestOffset(packet: Buffer, base: 8 | 772): number {
  const sum =
    (packet[base] as number) +
    (packet[base + 1] as number) +
    (packet[base + 2] as number) +
    (packet[base + 3] as number);
  return (sum % 728) + base + 4;
}

function digestAt(packet: Buffer, offset: number, key: Buffer): Buffer {
  return hmac(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_LENGTH));
}

/** The offset of a valid digest made with `key`, trying both schemes; -1 when there is none. */
export function findDigest(packet: Buffer, key: Buffer): number {
  for (const base of [8, 772] as const) {
    const offset = digestOffset(packet, base);
    if (digestAt(packet, offset, key).equals(packet.subarray(offset, offset + DIGEST_LENGTH))) return offset;
  }
  return -1;
}

/** Writes a digest into `packet` in place (scheme at 8), as a client (player key) or server would. */
export function imprintDigest(packet: Buffer, key: Buffer): number {
  const offset = digestOffset(packet, 8);
  digestAt(packet, offset, key).copy(packet, offset);
  return offset;
}

export const PLAYER_KEY = PLAYER_KEY_LABEL;
export const SERVER_KEY = SERVER_KEY_LABEL;

/** S2's signature check, as a digest client does it: HMAC(HMAC(serverKeyFull, clientDigest), S2[0..1504]). */
export function s2SignatureValid(s2: Buffer, clientDigest: Buffer): boolean {
  const key = hmac(SERVER_KEY_FULL, clientDigest);
  const signature = hmac(key, s2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH));
  return signature.equals(s2.subarray(HANDSHAKE_SIZE - DIGEST_LENGTH));
}

export interface HandshakeAnswer {
  /** S0 + S1 + S2: 3073 bytes. */
  bytes: Buffer;
  digest: boolean;
}

/** Answers C1 (exactly 1536 bytes; C0 already checked to be version 3). */
export function answerC1(c1: Buffer, nowMs: number = Date.now()): HandshakeAnswer {
  if (c1.length !== HANDSHAKE_SIZE) throw new Error('C1 must be 1536 bytes');
  const s1 = randomBytes(HANDSHAKE_SIZE);
  s1.writeUInt32BE(nowMs >>> 0, 0);
  const clientVersionSet = c1.readUInt32BE(4) !== 0;
  const clientDigestAt = clientVersionSet ? findDigest(c1, PLAYER_KEY_LABEL) : -1;
  if (clientDigestAt < 0) {
    s1.writeUInt32BE(0, 4); // zero version: "no digest here", so digest clients skip their checks
    const s2 = Buffer.from(c1); // plain: S2 echoes C1
    return { bytes: Buffer.concat([Buffer.from([RTMP_VERSION]), s1, s2]), digest: false };
  }
  SERVER_VERSION.copy(s1, 4);
  imprintDigest(s1, SERVER_KEY_LABEL);
  const clientDigest = c1.subarray(clientDigestAt, clientDigestAt + DIGEST_LENGTH);
  const s2 = randomBytes(HANDSHAKE_SIZE);
  const key = hmac(SERVER_KEY_FULL, clientDigest);
  hmac(key, s2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH)).copy(s2, HANDSHAKE_SIZE - DIGEST_LENGTH);
  return { bytes: Buffer.concat([Buffer.from([RTMP_VERSION]), s1, s2]), digest: true };
}
