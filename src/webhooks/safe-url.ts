import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export class UnsafeWebhookUrlError extends Error {}

/** Only global unicast: not loopback, private, link-local, unique-local, CGNAT, multicast, reserved… */
export function isPublicAddress(address: string): boolean {
  return ipaddr.process(address).range() === 'unicast';
}

/** Checks a URL's form and that every address its host resolves to is public. */
export async function assertSafeWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeWebhookUrlError('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UnsafeWebhookUrlError('only http and https URLs');
  if (url.username || url.password) throw new UnsafeWebhookUrlError('credentials do not belong in the URL');
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = ipaddr.isValid(host)
    ? [host]
    : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new UnsafeWebhookUrlError(`${host} does not resolve`);
  const blocked = addresses.find((a) => !isPublicAddress(a));
  if (blocked)
    throw new UnsafeWebhookUrlError(
      `${host} resolves to ${blocked}, a private, loopback or link-local address`,
    );
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
          callback(new UnsafeWebhookUrlError(`${hostname} resolves only to non-public addresses`), '', 4);
          return;
        }
        if ((options as { all?: boolean }).all) callback(null, usable as never);
        else callback(null, usable[0]?.address ?? '', usable[0]?.family ?? 4);
      })
      .catch((err: NodeJS.ErrnoException) => callback(err, '', 4));
  };
}
