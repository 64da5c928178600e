/**
 * Numbers, sizes, bitrates, prices, dates, durations, lists and region names in the reader's language, through Intl: one
 * place, so no page builds "3 items" or "2026. 12. 3." by hand. Formatters are cached per
 * locale and options (making one costs more than formatting with it).
 */
// The runtime, not ./locale.ts: this module stays free of Preact, so Node tests can use it.
import { getLocale } from './generated/runtime.js';

type Formatter = Intl.NumberFormat | Intl.DateTimeFormat | Intl.ListFormat | Intl.DisplayNames;
const cache = new Map<string, Formatter>();
function cached<T extends Formatter>(
  kind: string,
  options: object,
  make: (locale: string) => T,
  locale: string = getLocale(),
): T {
  const key = `${kind}|${locale}|${JSON.stringify(options)}`;
  let made = cache.get(key) as T | undefined;
  if (!made) {
    made = make(locale);
    cache.set(key, made);
  }
  return made;
}

export const numberFormat = (options: Intl.NumberFormatOptions = {}, locale?: string) =>
  cached('n', options, (l) => new Intl.NumberFormat(l, options), locale);
export const dateFormat = (options: Intl.DateTimeFormatOptions) =>
  cached('d', options, (l) => new Intl.DateTimeFormat(l, options));

/** A count or a measure: "1,234" / "1,234". */
export const formatNumber = (n: number, options?: Intl.NumberFormatOptions) =>
  numberFormat(options).format(n);

/** A share as a percentage: 0.125 → "12.5%". */
export const formatPercent = (share: number, maximumFractionDigits = 1) =>
  numberFormat({ style: 'percent', maximumFractionDigits }).format(share);

type When = string | number | Date;
const toDate = (when: When) => (when instanceof Date ? when : new Date(when));

/** A moment with date and time ("Dec 3, 2026, 2:05 PM" / "2026. 12. 3. 오후 2:05"). */
export const formatDateTime = (when: When, options: Intl.DateTimeFormatOptions = DATE_TIME) =>
  dateFormat(options).format(toDate(when));
const DATE_TIME: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };

/** A day ("Dec 3, 2026" / "2026. 12. 3."). */
export const formatDate = (when: When) => dateFormat(DATE_ONLY).format(toDate(when));
const DATE_ONLY: Intl.DateTimeFormatOptions = { dateStyle: 'medium' };

/** A time of day ("2:05 PM" / "오후 2:05"). */
export const formatTime = (when: When, seconds = false) =>
  dateFormat(seconds ? TIME_SECONDS : TIME).format(toDate(when));
const TIME: Intl.DateTimeFormatOptions = { timeStyle: 'short' };
const TIME_SECONDS: Intl.DateTimeFormatOptions = { timeStyle: 'medium' };

/** A media length as a clock, the same in every language: 62 → "1:02", 3725 → "1:02:05". */
export const formatDuration = (s: number | null) => {
  if (s == null) return '';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
};

/** A span of time in words, largest units first: 3725 → "1 hr, 2 min, 5 sec" / "1시간 2분 5초". */
export function formatSpan(seconds: number): string {
  const t = Math.max(0, Math.round(seconds));
  const parts: Array<[number, string]> = [
    [Math.floor(t / 3600), 'hour'],
    [Math.floor((t % 3600) / 60), 'minute'],
    [t % 60, 'second'],
  ];
  const shown = parts.filter(([n], i) => n > 0 || (i === 2 && t === 0));
  return formatList(
    shown.map(([n, unit]) => numberFormat({ style: 'unit', unit, unitDisplay: 'short' }).format(n)),
    UNITS,
  );
}
const UNITS: Intl.ListFormatOptions = { style: 'narrow', type: 'unit' };
const AND: Intl.ListFormatOptions = { type: 'conjunction' };

/** Items as one phrase: "A, B, and C" / "A, B 및 C" (or, with `UNITS`, "1 hr, 2 min"). */
export const formatList = (items: string[], options: Intl.ListFormatOptions = AND) =>
  cached('l', options, (l) => new Intl.ListFormat(l, options)).format(items);

/** An ISO 3166 region code as the reader's language names it ("KR" → "South Korea" / "대한민국"); an unknown code as itself. */
export function formatRegion(code: string): string {
  try {
    return cached('g', REGION, (l) => new Intl.DisplayNames(l, REGION)).of(code) ?? code;
  } catch {
    return code; // not a well-formed code
  }
}
const REGION: Intl.DisplayNamesOptions = { type: 'region' };

/** A bitrate in bits per second: "850 kb/s", "2.4 Mb/s" / "2.4Mb/s" (each language's own spacing). */
export const formatBitrate = (bitsPerSecond: number) =>
  bitsPerSecond >= 1e6
    ? formatNumber(bitsPerSecond / 1e6, {
        style: 'unit',
        unit: 'megabit-per-second',
        unitDisplay: 'short',
        maximumFractionDigits: 1,
      })
    : formatNumber(Math.round(bitsPerSecond / 1e3), {
        style: 'unit',
        unit: 'kilobit-per-second',
        unitDisplay: 'short',
      });

/** A price in its currency ("$12.50" / "US$12.50", "₩15,000"): `amount` in the currency's units. */
export const formatPrice = (amount: number, currency: string) =>
  numberFormat({ style: 'currency', currency }).format(amount);

const BYTE_UNITS = [
  [1e12, 'terabyte'],
  [1e9, 'gigabyte'],
  [1e6, 'megabyte'],
  [1e3, 'kilobyte'],
] as const;

/**
 * Sizes in decimal units (GB is 10⁹ bytes, as the API and docs/usage.md count), one decimal at
 * most, in the reader's locale: every page and tab shows sizes with this one.
 */
export function formatBytes(n: number, locale?: string): string {
  for (const [size, unit] of BYTE_UNITS)
    if (Math.abs(n) >= size)
      return numberFormat(
        { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 },
        locale,
      ).format(n / size);
  // Intl's short "byte" reads "0 byte": B, like the units above it.
  // i18n-ignore: B is the byte's symbol, the same in every language (as kB, MB from Intl)
  return `${numberFormat({ maximumFractionDigits: 0 }, locale).format(n)} B`;
}
