import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The guard for every request the server makes to a URL someone else gave it (webhook
 * deliveries, URL ingest): http(s) only, and only to public unicast addresses, so a URL cannot
 * reach the server's own network (loopback, private ranges, cloud metadata at 169.254.169.254).
 *
 * `reason` says what was wrong: the URL's form, an address that is not public, or a name that
 * does not resolve.
 */
export class UnsafeUrlError extends Error {
  readonly reason: 'form' | 'address' | 'unresolved';

  constructor(message: string, reason: UnsafeUrlError['reason'] = 'form') {
    super(message);
    this.name = 'UnsafeUrlError';
    this.reason = reason;
  }
}

/** Only global unicast: not loopback, private, link-local, unique-local, CGNAT, multicast, reserved… */
export function isPublicAddress(address: string): boolean {
  return ipaddr.process(address).range() === 'unicast';
}

/** An http(s) URL without credentials in it, or an UnsafeUrlError saying what is wrong. */
export function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UnsafeUrlError('only http and https URLs');
  if (url.username || url.password) throw new UnsafeUrlError('credentials do not belong in the URL');
  return url;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Every address a URL's host resolves to (an IP literal is its own). Unless `allowPrivate`, one
 * address that is not public refuses the lot: a name with a private answer among public ones is
 * not trusted with any of them. `allowPrivate` may instead name the non-public addresses that
 * are allowed (an operator's own network, a test's loopback port).
 */
export async function resolveHost(
  host: string,
  allowPrivate: boolean | ((address: string) => boolean),
  resolve: (host: string) => Promise<ResolvedAddress[]> = lookupAll,
): Promise<ResolvedAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  const addresses: ResolvedAddress[] = ipaddr.isValid(bare)
    ? [{ address: bare, family: ipaddr.parse(bare).kind() === 'ipv6' ? 6 : 4 }]
    : await resolve(bare).catch(() => []);
  if (addresses.length === 0) throw new UnsafeUrlError(`${bare} does not resolve`, 'unresolved');
  if (allowPrivate === true) return addresses;
  const allowed = (a: string) => isPublicAddress(a) || (allowPrivate !== false && allowPrivate(a));
  const blocked = addresses.find((a) => !allowed(a.address));
  if (blocked)
    throw new UnsafeUrlError(
      `${bare} resolves to ${blocked.address}, a private, loopback or link-local address`,
      'address',
    );
  return addresses;
}

async function lookupAll(host: string): Promise<ResolvedAddress[]> {
  return (await lookup(host, { all: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));
}

/** Checks a URL's form and that every address its host resolves to is public. */
export async function assertSafeUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  const url = parseHttpUrl(raw);
  if (allowPrivate) return url;
  await resolveHost(url.hostname, false);
  return url;
}

/**
 * A DNS lookup for the delivery request itself that refuses non-public answers: a name that
 * resolved to a public address when the webhook was saved cannot be re-pointed at the internal
 * network later (DNS rebinding).
 */
export function publicOnlyLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true })
      .then((results) => {
        const usable = allowPrivate ? results : results.filter((r) => isPublicAddress(r.address));
        if (usable.length === 0) {
          callback(new UnsafeUrlError(`${hostname} resolves only to non-public addresses`, 'address'), '', 4);
          return;
        }
        if ((options as { all?: boolean }).all) callback(null, usable as never);
        else callback(null, usable[0]?.address ?? '', usable[0]?.family ?? 4);
      })
      .catch((err: NodeJS.ErrnoException) => callback(err, '', 4));
  };
}

/**
 * A lookup that answers with the one address checked already, whatever the name resolves to
 * now: the connection goes where the check looked (no DNS rebinding between check and connect).
 */
export function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) callback(null, [pinned] as never);
    else callback(null, pinned.address, pinned.family);
  };
}
