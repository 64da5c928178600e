/**
 * On every origin answer about a signed playback id (refusals too): a cache in front
 * (`framehouse edge`, a CDN) learns the id is signed. Written by delivery/playback.routes.ts,
 * read by edge/edge-fetch.ts and edge/edge-server.ts: one name for both ends.
 */
export const SIGNED_MARKER = 'framehouse-playback-policy';

/** The credential of an `Authorization: Bearer …` header (an API key, or a playback token on playback routes). */
export function bearerOf(authorization: string | undefined): string | undefined {
  return authorization ? /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(authorization)?.[1] : undefined;
}
