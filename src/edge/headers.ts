import type { IncomingHttpHeaders } from 'node:http';

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
const NOT_FORWARDED = new Set([...HOP, 'expect', 'host']);

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

/**
 * A client's request headers as sent on to an origin: without hop-by-hop ones and the host
 * (the origin's own is used), with X-Forwarded-For/-Host/-Proto saying where it came from.
 */
export function forwardedRequestHeaders(
  h: IncomingHttpHeaders,
  clientAddress: string | undefined,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const named = connectionNamed(h);
  for (const name in h) {
    const v = h[name];
    if (v === undefined || NOT_FORWARDED.has(name) || named.has(name)) continue;
    out[name] = v;
  }
  const prior = h['x-forwarded-for'];
  if (clientAddress)
    out['x-forwarded-for'] = prior
      ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${clientAddress}`
      : clientAddress;
  if (h.host && !h['x-forwarded-host']) out['x-forwarded-host'] = h.host;
  if (!h['x-forwarded-proto']) out['x-forwarded-proto'] = 'http';
  return out;
}

export function header(h: Record<string, HeaderValue>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
