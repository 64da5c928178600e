import { createHash, randomInt } from 'node:crypto';

/**
 * Stream keys and SRT passphrases. A key is a bearer secret: whoever holds it can broadcast on
 * the stream, so it is long and random, stored with its hash (publishes look it up by the hash:
 * no comparison of the secret itself whose timing could leak a prefix), and never logged.
 */
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Letters and digits only: safe in an RTMP stream name, an SRT streamid and a URL, unescaped. */
function randomAlphanumeric(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return s;
}

/** 32 characters of 62: ≈ 190 bits. */
export const STREAM_KEY_LENGTH = 32;
/** SRT takes 10–79 characters; 24 of 62 is ≈ 143 bits. */
export const SRT_PASSPHRASE_LENGTH = 24;
/** Longer candidates are refused before hashing: no work for a client sending megabytes as a "key". */
export const MAX_STREAM_KEY_CANDIDATE = 256;

export function newStreamKey(): string {
  return randomAlphanumeric(STREAM_KEY_LENGTH);
}

export function newSrtPassphrase(): string {
  return randomAlphanumeric(SRT_PASSPHRASE_LENGTH);
}

/** sha256, hex: what the database keeps unique and publishes look up. */
export function hashStreamKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Whether a candidate from a publisher is worth a lookup at all (bounded, printable ASCII). */
export function isPlausibleStreamKey(candidate: unknown): candidate is string {
  return (
    typeof candidate === 'string' &&
    candidate.length > 0 &&
    candidate.length <= MAX_STREAM_KEY_CANDIDATE &&
    /^[\x21-\x7e]+$/.test(candidate)
  );
}

export interface PortRange {
  first: number;
  last: number;
}

/** The lowest port of the range not in `used`; null when every one is taken. */
export function firstFreePort(range: PortRange, used: ReadonlySet<number>): number | null {
  for (let port = range.first; port <= range.last; port++) if (!used.has(port)) return port;
  return null;
}
