import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { AppError } from '../shared/errors.ts';

/**
 * The check of a playback token, with nothing but jose and the key list: the origin
 * (PlaybackTokens, keys from the database) and `framehouse edge` (keys fetched from the origin's
 * admin API) run this same function, so a token refused by one is refused by the other with the
 * same code.
 */

export const PLAYBACK_AUDIENCE = 'framehouse:playback';
export const PLAYBACK_ALG = 'HS256';
/** Tolerated clock difference between the node that signed and the one that verifies. */
export const CLOCK_TOLERANCE_S = 5;

export interface VerificationKey {
  kid: string;
  secret: Uint8Array;
}

/** Finds the key a token names; may look again (fresh) before it answers undefined. */
export type KeyLookup = (kid: string | undefined) => Promise<VerificationKey | undefined>;

export interface PlaybackClaims {
  exp?: number;
  iat?: number;
  ren?: unknown;
}

/** Throws a 403 AppError naming what is wrong: missing, altered/unknown, expired, or another video's. */
export async function verifyPlaybackToken(
  token: string | undefined,
  playbackId: string,
  lookup: KeyLookup,
  options: { ignoreExpiry?: boolean } = {},
): Promise<PlaybackClaims> {
  if (!token) throw new AppError('FH_ERR_PLAYBACK_TOKEN_REQUIRED');
  // To overlook expiry, verify as of a moment before it (everything else is still checked).
  let currentDate: Date | undefined;
  if (options.ignoreExpiry) {
    try {
      const { exp } = decodeJwt(token);
      if (typeof exp === 'number' && exp * 1000 <= Date.now()) currentDate = new Date((exp - 1) * 1000);
    } catch {
      throw new AppError('FH_ERR_PLAYBACK_TOKEN_INVALID');
    }
  }
  let subject: string | undefined;
  let claims: PlaybackClaims = {};
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = await lookup(header.kid);
        if (!key)
          throw new AppError(
            'FH_ERR_PLAYBACK_TOKEN_INVALID',
            'The playback token was signed with a retired or unknown key.',
          );
        return key.secret;
      },
      {
        algorithms: [PLAYBACK_ALG],
        audience: PLAYBACK_AUDIENCE,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'sub'],
        ...(currentDate ? { currentDate } : {}),
      },
    );
    subject = payload.sub;
    claims = payload;
  } catch (e) {
    if (e instanceof AppError) throw e;
    if (e instanceof joseErrors.JWTExpired) throw new AppError('FH_ERR_PLAYBACK_TOKEN_EXPIRED');
    throw new AppError('FH_ERR_PLAYBACK_TOKEN_INVALID');
  }
  if (subject !== playbackId) throw new AppError('FH_ERR_PLAYBACK_TOKEN_MISMATCH');
  return claims;
}
