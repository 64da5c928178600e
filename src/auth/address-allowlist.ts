import ipaddr from 'ipaddr.js';

/** A list of CIDRs (IPv4 and IPv6; IPv4-mapped IPv6 addresses match their IPv4 ranges). */
export class AddressAllowlist {
  readonly #ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

  constructor(cidrs: readonly string[]) {
    this.#ranges = cidrs.map((c) => {
      try {
        return c.includes('/') ? ipaddr.parseCIDR(c) : [ipaddr.parse(c), c.includes(':') ? 128 : 32];
      } catch {
        throw new Error(`Not an IP address or CIDR range: ${c}`);
      }
    });
  }

  allows(address: string): boolean {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.process(address);
    } catch {
      return false;
    }
    return this.#ranges.some(
      ([range, bits]) => ip.kind() === range.kind() && ip.match([range, bits] as never),
    );
  }
}
