import type { IncomingHttpHeaders } from 'node:http';
import { EDGE_REPORT_HEADER } from '../shared/playback-headers.ts';

/** Hop-by-hop headers (RFC 9110 7.6.1) and others that belong to one connection or answer. */
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Not replayed from a stored answer: the edge writes its own (length, range, age, date, status). */
const NOT_STORED = new Set([
  ...HOP,
  'date',
  'age',
  'content-length',
  'content-range',
  'accept-ranges',
  'set-cookie',
  'cache-status',
  'x-request-id',
  'server-timing',
]);

type HeaderValue = string | string[] | undefined;

function flatten(headers: Record<string, HeaderValue>, skip: Set<string>): string[] {
  const out: string[] = [];
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    const lower = name.toLowerCase();
    if (skip.has(lower)) continue;
    if (Array.isArray(v)) for (const one of v) out.push(lower, one);
    else out.push(lower, v);
  }
  return out;
}

/** An origin answer's headers as stored with the object. */
export const storedHeaders = (h: Record<string, HeaderValue>) => flatten(h, NOT_STORED);

/** An origin answer's headers as passed on (its length and range included). */
export const passedHeaders = (h: Record<string, HeaderValue>) => flatten(h, HOP);

/**
 * Not sent on to an origin: `Expect` belongs to the client's connection (the edge has already
 * read or is streaming the body; undici refuses it with NotSupportedError), and the host is the
 * origin's own.
 */
const NOT_FORWARDED = new Set([
  ...HOP,
  'expect',
  'host',
  // Only an edge that reports its deliveries says so (docs/usage.md), never a viewer through it.
  EDGE_REPORT_HEADER,
]);

/** Headers a request's `Connection` names are hop-by-hop too (RFC 9110 7.6.1). */
function connectionNamed(h: IncomingHttpHeaders): Set<string> {
  const named = new Set<string>();
  const v = h.connection;
  if (!v) return named;
  for (const token of (Array.isArray(v) ? v.join(',') : v).split(',')) {
    const name = token.trim().toLowerCase();
    if (name) named.add(name);
  }
  return named;
}

/** Where a request came from, as the edge's own socket saw it. */
export interface ClientHop {
  address: string | undefined;
  /** The socket is TLS. */
  tls: boolean;
  /** Keep the forwarded headers of a proxy in front (a CDN) instead of overwriting them. */
  trustForwarded: boolean;
}

/**
 * A client's request headers as sent on to an origin: without hop-by-hop ones and the host
 * (the origin's own is used), with X-Forwarded-For/-Host/-Proto saying where it came from. The
 * edge is the first hop unless told otherwise: what a client sends in those is its own claim
 * (an address to get past rate limits, a host for absolute links) and is replaced.
 */
export function forwardedRequestHeaders(
  h: IncomingHttpHeaders,
  hop: ClientHop,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const named = connectionNamed(h);
  for (const name in h) {
    const v = h[name];
    if (v === undefined || NOT_FORWARDED.has(name) || named.has(name)) continue;
    out[name] = v;
  }
  if (!hop.trustForwarded) {
    // The same claims in other spellings, which some origins read.
    delete out.forwarded;
    delete out['x-real-ip'];
  }
  const trusted = (name: string) => {
    const v = hop.trustForwarded ? h[name] : undefined;
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const prior = trusted('x-forwarded-for');
  const address = hop.address ?? 'unknown';
  out['x-forwarded-for'] = prior ? `${prior}, ${address}` : address;
  const host = trusted('x-forwarded-host') ?? h.host;
  if (host) out['x-forwarded-host'] = host;
  else delete out['x-forwarded-host'];
  out['x-forwarded-proto'] = trusted('x-forwarded-proto') ?? (hop.tls ? 'https' : 'http');
  return out;
}

export function header(h: Record<string, HeaderValue>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
