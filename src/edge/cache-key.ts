/**
 * What the edge reads from a request target: the cache key (the path and only the query
 * parameters that change the answer, sorted), the token, the playback id, and the path to ask an
 * origin for (the key's query plus the token, which the origin checks).
 *
 * LL-HLS blocking reloads keep `_HLS_msn`, `_HLS_part` and `_HLS_skip` in the key: every viewer
 * waiting on the same playlist version shares one origin request and its answer.
 */
export interface RequestTarget {
  path: string;
  /** Path plus the canonical query: the same for every viewer of the same bytes. */
  key: string;
  token: string | undefined;
  /** `/play/{playbackId}/…`: the id; else undefined (not playback, never cached). */
  playbackId: string | undefined;
  /**
   * A `/play/` target the edge must not cache: percent-encoded, or an id that is not one. The
   * origin decodes the path, so `/play/%61bc…` is playback id `abc…` there while the edge would
   * key it, check `signedIds` and purge under the encoded text: a signed or deleted asset's
   * bytes would stay served without a token. Passed through instead, never stored.
   */
  bypass: boolean;
}

const PLAY = '/play/';
/** Playback ids as the origin makes them (lowercase letters and digits). */
const PLAYBACK_ID = /^[a-z0-9]{8,64}$/;

/**
 * The query parameters that change what the origin answers under `/play/`: LL-HLS delivery
 * directives, a thumbnail's time and width, a download's file name. Only these are in the key
 * (and sent on): anything else (the token, CMCD, a random `?x=…`) would give every viewer or
 * every attacker's request its own copy and its own origin fetch.
 */
const KEY_PARAMS = new Set(['_HLS_msn', '_HLS_part', '_HLS_skip', 'time', 'width', 'filename']);

export function parseTarget(url: string): RequestTarget {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  let playbackId: string | undefined;
  const bypass = false;
  if (path.startsWith(PLAY)) {
    const end = path.indexOf('/', PLAY.length);
    if (end > PLAY.length) playbackId = path.slice(PLAY.length, end);
    if (playbackId === undefined || !PLAYBACK_ID.test(playbackId) || path.includes('%')) {
      return { path, key: path, token: undefined, playbackId: undefined, bypass: true };
    }
  }
  // The hot path: a segment URL without a query is its own key.
  if (q === -1 || q === url.length - 1) return { path, key: path, token: undefined, playbackId, bypass };
  let token: string | undefined;
  const kept: Array<[string, string]> = [];
  for (const pair of url.slice(q + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = safeDecode(eq === -1 ? pair : pair.slice(0, eq));
    if (name === 'token') {
      // Two tokens: the origin's query parser makes a list of them, which it refuses (403) for
      // a signed id and ignores for a public one. The edge would check only one: the origin
      // decides instead, uncached.
      if (token !== undefined)
        return { path, key: path, token: undefined, playbackId: undefined, bypass: true };
      token = eq === -1 ? '' : safeDecode(pair.slice(eq + 1));
      continue;
    }
    if (!KEY_PARAMS.has(name)) continue;
    // One spelling per value (`%5FHLS_msn=9` and `_HLS_msn=9` are the same request).
    kept.push([name, eq === -1 ? name : `${name}=${encodeURIComponent(safeDecode(pair.slice(eq + 1)))}`]);
  }
  // Sorted by name, the original order kept among equal names (repeated keys mean a list).
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const key = kept.length === 0 ? path : `${path}?${kept.map((k) => k[1]).join('&')}`;
  return { path, key, token, playbackId, bypass };
}

/** The request an origin gets for a key: the key's query plus the viewer's token. */
export function originPath(key: string, token: string | undefined): string {
  if (token === undefined) return key;
  return `${key}${key.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}
