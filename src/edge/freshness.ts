/**
 * How long the edge may keep an origin's 200 answer, from its headers:
 * - `CDN-Cache-Control` (RFC 9213) when present, and then alone: it is addressed to caches
 *   like this one, and the origin puts it on signed media, whose `Cache-Control` says
 *   `private` for browsers and other shared caches that cannot check tokens;
 * - else `Cache-Control` (RFC 9111): `s-maxage` over `max-age`; `no-store`, `no-cache`,
 *   `private` or no lifetime at all → not stored (no heuristic freshness: the origin always
 *   says). The one exception, a signed playlist, is decided by the caller (see edge-fetch.ts);
 * - `stale-while-revalidate` and `stale-if-error` (RFC 5861) from the same header, with stale
 *   answers on origin failure for at least DEFAULT_STALE_IF_ERROR_S unless `must-revalidate`;
 * - minus the `Age` the answer already had.
 */
export interface Freshness {
  /** Fresh this long after it was stored. */
  ttlMs: number;
  /** After that, served stale while one background request refreshes it. */
  swrMs: number;
  /** After that, served stale when every origin fails. */
  sieMs: number;
}

/** How long past its freshness an answer is still served when no origin answers. */
export const DEFAULT_STALE_IF_ERROR_S = 24 * 3600;

export type Directives = Map<string, string>;

export function parseDirectives(header: string | undefined): Directives {
  const out: Directives = new Map();
  if (!header) return out;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (!name) continue;
    const value =
      eq === -1
        ? ''
        : part
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, '');
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

const seconds = (d: Directives, name: string): number | undefined => {
  const v = d.get(name);
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
};

/** The directives that decide (CDN-Cache-Control wins), and whether it was CDN-Cache-Control. */
export function governing(headers: {
  'cache-control'?: string | undefined;
  'cdn-cache-control'?: string | undefined;
}): { directives: Directives; cdn: boolean } {
  const cdn = headers['cdn-cache-control'];
  return cdn
    ? { directives: parseDirectives(cdn), cdn: true }
    : { directives: parseDirectives(headers['cache-control']), cdn: false };
}

/**
 * The freshness of a storable answer, or null. `allowPrivate`: the caller stores this one
 * `private` answer itself in a form that is right for every viewer (a signed playlist template).
 */
export function freshnessOf(
  headers: {
    'cache-control'?: string | undefined;
    'cdn-cache-control'?: string | undefined;
    age?: string | undefined;
  },
  allowPrivate = false,
): Freshness | null {
  const { directives: d, cdn } = governing(headers);
  if (d.has('no-store') || d.has('no-cache')) return null;
  if (d.has('private') && !(allowPrivate && !cdn)) return null;
  const lifetime = seconds(d, 's-maxage') ?? seconds(d, 'max-age');
  if (lifetime === undefined) return null;
  const age = Number(headers.age ?? 0);
  const ttl = Math.max(0, lifetime - (Number.isFinite(age) ? age : 0));
  return {
    ttlMs: ttl * 1000,
    swrMs: (seconds(d, 'stale-while-revalidate') ?? 0) * 1000,
    // A cache cut off from every origin may answer stale unless told not to (RFC 9111 4.2.4):
    // the origin's stale-if-error, at least a day, none after must-revalidate.
    sieMs:
      d.has('must-revalidate') || d.has('proxy-revalidate')
        ? 0
        : Math.max(seconds(d, 'stale-if-error') ?? 0, DEFAULT_STALE_IF_ERROR_S) * 1000,
  };
}
