import ipaddr from 'ipaddr.js';

/**
 * The part of a client address that names one client for bans and per-address limits: an IPv4
 * address whole, an IPv6 address by its /64 prefix. One subscriber usually holds a whole /64 and
 * can pick any of its 2^64 low bits, so keying on the full IPv6 address would let a banned or
 * limited client step out by changing them. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) counts as IPv4.
 * Anything unparsable is returned as it is.
 */
export function addressPrefix(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}
