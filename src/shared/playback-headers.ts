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

/**
 * Sent by an edge that reports what it serves (edge/edge-usage.ts), with its API key's hash as
 * the value: the origin (delivery/delivery-usage.ts), which knows its admin keys' hashes, does not
 * count those answers (docs/usage.md). One name for both ends.
 */
export const EDGE_REPORT_HEADER = 'x-framehouse-edge';

/**
 * The media seconds of a segment or part, on the origin's answer (delivery/delivery-usage.ts, a
 * live node's): an edge counts them from its cache, a live node from another's. One name for both ends.
 */
export const MEDIA_SECONDS_HEADER = 'x-framehouse-media-seconds';
