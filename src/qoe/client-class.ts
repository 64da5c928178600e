import { LRUCache } from 'lru-cache';

export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'tv' | 'other';

/** What a view keeps of a User-Agent: a device class, an OS name and a browser name (never the string). */
export interface ClientClass {
  device_type: DeviceType;
  os: string;
  browser: string;
}

const DEVICE_TYPES: ReadonlySet<string> = new Set(['desktop', 'mobile', 'tablet', 'tv']);
const OTHER = 'Other';
/** Names come from bowser's fixed lists; the cap only guards the column against surprises. */
const MAX_NAME = 40;

type Parse = (ua: string) => {
  browser: { name?: string };
  os: { name?: string };
  platform: { type?: string };
};
let parser: Promise<Parse> | undefined;

/** bowser, loaded with the first report (an idle server never needs it). */
function loadParser(): Promise<Parse> {
  parser ??= import('bowser').then((m) => m.default.parse as Parse);
  return parser;
}

/**
 * User-Agent → device class (bowser). A viewer's User-Agent is the same on each of its reports, so
 * answers are kept per string: parsing one costs about a millisecond, a lookup nothing.
 */
export class ClientClassifier {
  readonly #cache = new LRUCache<string, ClientClass>({ max: 2000 });

  async classify(userAgent: string | undefined): Promise<ClientClass> {
    const ua = (userAgent ?? '').slice(0, 1000);
    const known = this.#cache.get(ua);
    if (known) return known;
    const parse = await loadParser();
    const result = classifyWith(parse, ua);
    this.#cache.set(ua, result);
    return result;
  }
}

function classifyWith(parse: Parse, ua: string): ClientClass {
  if (ua.trim() === '') return { device_type: 'other', os: OTHER, browser: OTHER };
  const parsed = parse(ua);
  const type = parsed.platform.type ?? '';
  return {
    device_type: DEVICE_TYPES.has(type) ? (type as DeviceType) : 'other',
    os: nameOf(parsed.os.name),
    browser: nameOf(parsed.browser.name),
  };
}

const nameOf = (name: string | undefined) => (name ? name.slice(0, MAX_NAME) : OTHER);
