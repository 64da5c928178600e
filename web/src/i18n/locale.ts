/**
 * Which language the app speaks. Paraglide keeps the choice (web/src/i18n/generated/runtime.js,
 * strategy set in scripts/compile-messages.ts): the header switch or the account's setting,
 * stored in localStorage; else the browser's languages (navigator.languages, what it sends as
 * Accept-Language); else English. Messages are functions in ./generated/messages.js.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import {
  baseLocale,
  extractLocaleFromNavigator,
  getLocale,
  isLocale,
  type Locale,
  locales,
  localStorageKey,
  setLocale,
} from './generated/runtime.js';

export { getLocale, isLocale, type Locale, locales };

/** Each language by its own name, as a switch shows it to someone who cannot read the other. */
// i18n-ignore: each language by its own name, the same whichever language the page is in
export const LANGUAGE_NAMES: Record<Locale, string> = { en: 'English', ko: '한국어' };

/** Makes `locale` the app's language now and on the next visit, and the page's `lang`. */
export function applyLocale(locale: Locale): void {
  if (locale !== getLocale()) setLocale(locale, { reload: false });
  document.documentElement.lang = locale;
}

/** The browser's own language among ours (navigator.languages), else English. */
export const browserLocale = (): Locale => extractLocaleFromNavigator() ?? baseLocale;

/** Forgets this device's choice, so the browser's languages decide again; returns their language. */
export function followBrowser(): Locale {
  localStorage.removeItem(localStorageKey);
  return browserLocale();
}

/**
 * The language pages render in, and how to change it. Pages read messages through the
 * generated functions (which ask Paraglide), so they only need this to re-render on a change:
 * the shell holds the state and passes it down.
 */
export const LocaleContext = createContext<{
  locale: Locale;
  /** A language (null: the browser's), now and for the account; resolves to whether the account saved it. */
  choose: (locale: Locale | null) => Promise<boolean>;
}>({
  locale: 'en',
  choose: async () => true,
});

export const useLocale = () => useContext(LocaleContext);
