import Negotiator from 'negotiator';
import { z } from 'zod';

/**
 * The languages Framehouse speaks on the server (e-mails, API error messages), the same as the
 * web app's catalogue (web/project.inlang): English is the default and the fallback.
 */
export const LOCALES = ['en', 'ko'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export const localeSchema = z.enum(LOCALES);
export const isLocale = (value: unknown): value is Locale => LOCALES.includes(value as Locale);

/**
 * How much of an Accept-Language header is read: real browsers send well under 100 characters
 * (`ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7`). Negotiator's cost grows with the header, and every
 * error answer negotiates: a 15 KB header cost milliseconds per refusal, which a flood of 429s
 * would multiply. A language named only past this point is not heard.
 */
export const ACCEPT_LANGUAGE_READ = 256;

/**
 * The language a request asks for by its Accept-Language header (q-values and region tags
 * understood: `ko-KR,ko;q=0.9,en;q=0.8` → 'ko'); English when it names none we speak, or has none.
 */
export function localeFromAcceptLanguage(header: string | string[] | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  let value = Array.isArray(header) ? header.join(',') : header;
  // Cut at the last whole tag within the limit ('kok' cut to 'ko' would be Korean).
  if (value.length > ACCEPT_LANGUAGE_READ)
    value = value.slice(0, Math.max(0, value.lastIndexOf(',', ACCEPT_LANGUAGE_READ)));
  // English is all we speak besides Korean: a header that never says "ko" asks for English.
  if (!/ko/i.test(value)) return DEFAULT_LOCALE;
  // Negotiator matches 'ko-KR' to 'ko' (a language's regions fall back to the language).
  const chosen = new Negotiator({ headers: { 'accept-language': value } }).language([...LOCALES]);
  return isLocale(chosen) ? chosen : DEFAULT_LOCALE;
}

/** An account's stored language (users.locale), or English when it chose none. */
export const accountLocale = (stored: string | null | undefined): Locale =>
  isLocale(stored) ? stored : DEFAULT_LOCALE;
