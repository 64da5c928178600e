import { createHmac, timingSafeEqual } from 'node:crypto';
import { addressPrefix } from '../../shared/address-prefix.ts';

/**
 * Viewer tokens: who a chat viewer is, for one stream, until a time. Signed with an HMAC of
 * the instance's key and checked without the database (every api node holds the key), so a
 * message costs no lookup of its sender: the viewer's row is touched once, by the rate limit's
 * conditional update. Form: `v1.{stream id}.{viewer id}.{expiry, epoch s}.{mac}`.
 */
const VERSION = 'v1';
const ID = /^[a-z0-9]{8,64}$/;

export interface ViewerClaims {
  streamId: string;
  viewerId: string;
  /** Epoch seconds. */
  expiresAt: number;
}

export class ViewerTokens {
  readonly #key: Buffer;

  constructor(key: string | Buffer) {
    this.#key = Buffer.from(key);
  }

  sign(streamId: string, viewerId: string, expiresAt: number): string {
    const body = `${VERSION}.${streamId}.${viewerId}.${expiresAt}`;
    return `${body}.${this.#mac(body)}`;
  }

  /** The claims of a valid, unexpired token for `streamId`; null for anything else. */
  verify(token: string | undefined, streamId: string, now = Date.now()): ViewerClaims | null {
    if (!token || token.length > 300) return null;
    const parts = token.split('.');
    if (parts.length !== 5) return null;
    const [version, stream, viewer, exp, mac] = parts as [string, string, string, string, string];
    if (version !== VERSION || stream !== streamId || !ID.test(viewer) || !/^\d{1,12}$/.test(exp))
      return null;
    const expected = Buffer.from(this.#mac(`${version}.${stream}.${viewer}.${exp}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const expiresAt = Number(exp);
    if (expiresAt * 1000 <= now) return null;
    return { streamId: stream, viewerId: viewer, expiresAt };
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}

/**
 * The keyed hash a guest's address is kept as (never the address itself). IPv6 by its /64, so a
 * ban is not left by changing the low 64 bits.
 */
export function addressHash(key: string | Buffer, address: string): string {
  return createHmac('sha256', Buffer.from(key))
    .update(`address:${addressPrefix(address)}`)
    .digest('base64url')
    .slice(0, 32);
}
