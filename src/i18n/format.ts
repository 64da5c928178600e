import type { Locale } from './locales.ts';

/**
 * Numbers, sizes, durations and dates inside the server's texts (e-mails), in the reader's
 * language through Intl — the server's side of web/src/i18n/format.ts. Sizes keep the units and
 * thresholds of src/shared/bytes.ts's `sentence` style (decimal units, GB from 0.1 GB, at most
 * one decimal), so an English mail reads as it did before it had a Korean twin. Times are given
 * in UTC, and say so.
 */
export interface TextFormat {
  locale: Locale;
  /** A count or a measure: "1,234" / "1,234". */
  number(n: number): string;
  /** 8_400_000_000 → "8.4 GB" / "8.4GB"; 12 → "12 bytes" / "12바이트". */
  bytes(n: number): string;
  /** 601.5 → "601.5 minutes" / "601.5분"; under a minute, seconds. */
  minutes(n: number): string;
  /** A moment, with its time zone: "December 3, 2026 at 1:34:15 PM UTC" / "2026년 12월 3일 오후 1시 34분 15초 UTC". */
  dateTime(when: Date | string | number): string;
  /** A month given as `2026-12`: "December 2026" / "2026년 12월" (the text itself when it is no month). */
  month(period: string): string;
}

const made = new Map<Locale, TextFormat>();

export function textFormat(locale: Locale): TextFormat {
  let format = made.get(locale);
  if (!format) {
    format = makeFormat(locale);
    made.set(locale, format);
  }
  return format;
}

function makeFormat(locale: Locale): TextFormat {
  const unit = (name: string, unitDisplay: 'short' | 'long' = 'short') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay, maximumFractionDigits: 1 });
  const gb = unit('gigabyte');
  const mb = unit('megabyte');
  const kb = unit('kilobyte');
  const b = unit('byte', 'long');
  const minute = unit('minute', 'long');
  const second = unit('second', 'long');
  const number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' });
  const month = new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', timeZone: 'UTC' });
  // Rounded first, as bytes.ts does: 0.96 GB is "1 GB", not "1.0 GB".
  const tenth = (v: number) => Math.round(v * 10) / 10;
  return {
    locale,
    number: (n) => number.format(n),
    bytes: (n) => {
      if (n >= 1e8) return gb.format(tenth(n / 1e9));
      if (n >= 1e5) return mb.format(tenth(n / 1e6));
      if (n >= 1e3) return kb.format(tenth(n / 1e3));
      return b.format(n);
    },
    minutes: (n) => (n > 0 && n < 1 ? second.format(tenth(n * 60)) : minute.format(tenth(n))),
    dateTime: (when) => {
      const date = when instanceof Date ? when : new Date(when);
      return Number.isNaN(date.getTime()) ? String(when) : dateTime.format(date);
    },
    month: (period) =>
      /^\d{4}-\d{2}$/.test(period) ? month.format(new Date(`${period}-01T00:00:00Z`)) : period,
  };
}
