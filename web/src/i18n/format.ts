/**
 * Numbers, sizes, prices, dates and durations in the reader's language, through Intl: one
 * place, so no page builds "3 items" or "2026. 12. 3." by hand. Formatters are cached per
 * locale and options (making one costs more than formatting with it).
 */
// The runtime, not ./locale.ts: this module stays free of Preact, so Node tests can use it.
import { getLocale } from './generated/runtime.js';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(
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

/** How long ago or from now, in words: -90 → "2 minutes ago" / "2분 전". */
export function formatRelative(secondsFromNow: number): string {
  const rtf = cached('r', {}, (l) => new Intl.RelativeTimeFormat(l, { numeric: 'auto' }));
  const abs = Math.abs(secondsFromNow);
  for (const [size, unit] of RELATIVE_UNITS)
    if (abs >= size) return rtf.format(Math.round(secondsFromNow / size), unit);
  return rtf.format(Math.round(secondsFromNow), 'second');
}
const RELATIVE_UNITS: Array<[number, Intl.RelativeTimeFormatUnit]> = [
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
];

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
  return listFormat().format(
    shown.map(([n, unit]) => numberFormat({ style: 'unit', unit, unitDisplay: 'short' }).format(n)),
  );
}
const lists = new Map<string, Intl.ListFormat>();
function listFormat(): Intl.ListFormat {
  const locale = getLocale();
  let made = lists.get(locale);
  if (!made) {
    made = new Intl.ListFormat(locale, { style: 'narrow', type: 'unit' });
    lists.set(locale, made);
  }
  return made;
}

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
