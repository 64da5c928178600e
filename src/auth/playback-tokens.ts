import { createHash, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { recordAudit, type AuditWho as Who } from '../audit/audit.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { isoNow } from '../shared/time.ts';
import {
  PLAYBACK_ALG as ALG,
  PLAYBACK_AUDIENCE as AUDIENCE,
  type PlaybackClaims,
  verifyPlaybackToken,
} from './playback-token-verify.ts';

/** Signing keys are read from the database at most this often (rotation reaches every node within it). */
const KEY_CACHE_MS = 10_000;
export const MAX_TOKEN_SECONDS = 7 * 24 * 3600;

export interface SigningKeyJson {
  kid: string;
  created_at: string;
  /** The newest active key signs; every active key verifies. */
  signing: boolean;
}

/**
 * Playback tokens: JWTs (HS256) naming one playback id, signed with rotatable keys. Several keys
 * are active at once — a new key signs from the moment it is made, the older ones still verify
 * the tokens they signed until an admin retires them.
 */
export class PlaybackTokens {
  readonly #db: Db;
  #cache: { at: number; keys: Array<{ kid: string; secret: Uint8Array; created_at: string }> } | null = null;

  constructor(db: Db) {
    this.#db = db;
  }

  /** At start-up: there is always a key to sign with. */
  async ensureSigningKey(): Promise<void> {
    if ((await this.#activeKeys(true)).length === 0) await this.#insertKey();
  }

  /**
   * A token for one playback id. With `renewableUntil` (epoch seconds) the player holding it may
   * exchange it, before it expires, for a fresh one of the same lifetime until that time (see
   * `renew`): a short token limits what a leaked URL is worth, the link lasts as long as meant.
   */
  async sign(
    playbackId: string,
    expiresInSeconds: number,
    renewableUntil?: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const [key] = await this.#activeKeys();
    if (!key) throw new Error('No playback signing key: ensureSigningKey was not run');
    const now = Math.floor(Date.now() / 1000);
    const exp = renewableUntil ? Math.min(now + expiresInSeconds, renewableUntil) : now + expiresInSeconds;
    const token = await new SignJWT(renewableUntil ? { ren: renewableUntil } : {})
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setSubject(playbackId)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(key.secret);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /**
   * A fresh token for a renewable one: same lifetime, never past its `ren`. The presented token
   * may have expired (a link opened later, a laptop woken from sleep) as long as its renewal
   * window is open; its signature, key and playback id are checked as always.
   */
  async renew(token: string | undefined, playbackId: string): Promise<{ token: string; expiresAt: Date }> {
    const claims = await this.verify(token, playbackId, { ignoreExpiry: true });
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.ren !== 'number' || claims.ren <= now)
      throw new AppError('FH_ERR_PLAYBACK_TOKEN_NOT_RENEWABLE');
    const lifetime = Math.max(10, (claims.exp ?? now) - (claims.iat ?? now));
    return this.sign(playbackId, lifetime, claims.ren);
  }

  /** Throws a 403 AppError naming what is wrong: missing, altered/unknown, expired, or another video's. */
  verify(
    token: string | undefined,
    playbackId: string,
    options: { ignoreExpiry?: boolean } = {},
  ): Promise<PlaybackClaims> {
    // A key made on another node since this one last looked: look again before refusing.
    const lookup = async (kid: string | undefined) =>
      (await this.#activeKeys()).find((k) => k.kid === kid) ??
      (await this.#activeKeys(true)).find((k) => k.kid === kid);
    return verifyPlaybackToken(token, playbackId, lookup, options);
  }

  /**
   * The active keys with their secrets (base64url), for `framehouse edge` to check tokens itself
   * with `verifyPlaybackToken`. Admin only; every read that sends the secrets is audited, as they
   * sign tokens too. `etag` names the key set (kids and creation times, never the secrets): an
   * edge polls every 10 s with If-None-Match, and a match (`keys: null`) sends and audits nothing.
   */
  async verificationKeys(
    who: Who,
    ifNoneMatch?: string,
  ): Promise<{ etag: string; keys: Array<{ kid: string; secret: string; created_at: string }> | null }> {
    const active = await this.#activeKeys(true);
    const etag = `"${createHash('sha256')
      .update(active.map((k) => `${k.kid}@${k.created_at}`).join('\n'))
      .digest('base64url')
      .slice(0, 27)}"`;
    if (ifNoneMatch?.split(',').some((t) => t.trim() === etag)) return { etag, keys: null };
    await recordAudit(this.#db, who, {
      action: 'playback_key.verification_read',
      target: { type: 'playback_key', id: active[0]?.kid ?? 'none' },
      details: { kids: active.map((k) => k.kid) },
    });
    const keys = active.map((k) => ({
      kid: k.kid,
      secret: Buffer.from(k.secret).toString('base64url'),
      created_at: k.created_at,
    }));
    return { etag, keys };
  }

  async list(): Promise<SigningKeyJson[]> {
    const keys = await this.#activeKeys(true);
    return keys.map((k, i) => ({ kid: k.kid, created_at: k.created_at, signing: i === 0 }));
  }

  /** A new key signs from now on; the others keep verifying until retired. */
  async rotate(who: Who): Promise<SigningKeyJson> {
    const kid = await this.#insertKey(async (trx, newKid) =>
      recordAudit(trx, who, { action: 'playback_key.created', target: { type: 'playback_key', id: newKid } }),
    );
    return { kid, created_at: isoNow(), signing: true };
  }

  /** Tokens signed with a retired key stop working (on every node within the key cache's 10 s). */
  async retire(who: Who, kid: string): Promise<void> {
    const active = await this.#activeKeys(true);
    if (!active.some((k) => k.kid === kid)) throw new AppError('FH_ERR_SIGNING_KEY_NOT_FOUND');
    if (active.length === 1) throw new AppError('FH_ERR_LAST_SIGNING_KEY');
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('playback_signing_keys')
        .set({ retired_at: isoNow() })
        .where('kid', '=', kid)
        .execute();
      await recordAudit(trx, who, {
        action: 'playback_key.retired',
        target: { type: 'playback_key', id: kid },
      });
    });
    this.#cache = null;
  }

  async #insertKey(inTransaction?: (trx: Db, kid: string) => Promise<void>): Promise<string> {
    const kid = newId(12);
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('playback_signing_keys')
        .values({
          kid,
          secret: randomBytes(32).toString('base64url'),
          created_at: isoNow(),
          retired_at: null,
        })
        .execute();
      await inTransaction?.(trx, kid);
    });
    this.#cache = null;
    return kid;
  }

  /** Active keys, newest first. */
  async #activeKeys(fresh = false) {
    if (!fresh && this.#cache && Date.now() - this.#cache.at < KEY_CACHE_MS) return this.#cache.keys;
    const rows = await this.#db
      .selectFrom('playback_signing_keys')
      .selectAll()
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('kid', 'desc')
      .execute();
    const keys = rows.map((r) => ({
      kid: r.kid,
      secret: new Uint8Array(Buffer.from(r.secret, 'base64url')),
      created_at: r.created_at,
    }));
    this.#cache = { at: Date.now(), keys };
    return keys;
  }
}
