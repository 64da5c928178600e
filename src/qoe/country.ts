import { readFile } from 'node:fs/promises';
import ipaddr from 'ipaddr.js';

/** The bundled database (ip-location-db's geo-whois-asn-country, CC0): IPv4 and IPv6 → country. */
const DATABASE = '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb';
/** What a view's country is when the address names none: ISO 3166's "unknown or unspecified". */
export const UNKNOWN_COUNTRY = 'ZZ';
const COUNTRY = /^[A-Z]{2}$/;
/** Only public unicast addresses have a country; ipaddr.js names every other range. */
const PUBLIC_RANGE = 'unicast';

type Lookup = (address: string) => { country_code?: unknown } | null;

/**
 * Client address → ISO 3166-1 alpha-2 country, or 'ZZ'. The database (8 MB) is read on the
 * first lookup, not at start-up: a server that gets no reports never holds it. The address is
 * only looked up, never kept.
 */
export class CountryLookup {
  readonly #file: string | URL;
  #lookup: Promise<Lookup> | undefined;

  constructor(file: string | URL = new URL(import.meta.resolve(DATABASE))) {
    this.#file = file;
  }

  async country(address: string): Promise<string> {
    if (!ipaddr.isValid(address)) return UNKNOWN_COUNTRY;
    const parsed = ipaddr.process(address);
    if (parsed.range() !== PUBLIC_RANGE) return UNKNOWN_COUNTRY;
    const lookup = await this.#load();
    const code = lookup(parsed.toString())?.country_code;
    return typeof code === 'string' && COUNTRY.test(code) ? code : UNKNOWN_COUNTRY;
  }

  #load(): Promise<Lookup> {
    this.#lookup ??= (async () => {
      const [{ Reader }, buffer] = await Promise.all([import('mmdb-lib'), readFile(this.#file)]);
      // Its records are { country_code } only, none of the MaxMind shapes the types name.
      const reader = new Reader(buffer);
      return (address: string) => reader.get(address) as { country_code?: unknown } | null;
    })();
    // A failed read (a missing file) is tried again on the next report rather than kept.
    this.#lookup.catch(() => {
      this.#lookup = undefined;
    });
    return this.#lookup;
  }
}
