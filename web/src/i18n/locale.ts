/**
 * Which language the app speaks. Paraglide keeps it (web/src/i18n/generated/runtime.js, strategy
 * set in scripts/compile-messages.ts): the language set in this page (the account's, or this
 * device's choice, which this module keeps in localStorage); else the browser's languages
 * (navigator.languages, what it sends as Accept-Language); else English. Messages are functions
 * in ./generated/messages.js.
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
  setLocale,
} from './generated/runtime.js';

export { getLocale, isLocale, type Locale, locales };

/** Each language by its own name, as a switch shows it to someone who cannot read the other. */
// i18n-ignore: each language by its own name, the same whichever language the page is in
export const LANGUAGE_NAMES: Record<Locale, string> = { en: 'English', ko: '한국어' };

// i18n-ignore: a localStorage key
const DEVICE_KEY = 'framehouse.locale';

/** localStorage, or null where the page may not use it (a sandboxed or third-party frame). */
function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * At startup, before the first render: the language this device's person chose (the header
 * switch or the settings page), if any. Without one the browser's languages decide, afresh on
 * every visit.
 */
export function restoreDeviceLocale(): void {
  const saved = storage()?.getItem(DEVICE_KEY);
  if (isLocale(saved)) setLocale(saved, { reload: false });
}

/** Makes `locale` the app's language for this page, and the page's `lang`; remembers nothing. */
export function applyLocale(locale: Locale): void {
  if (locale !== getLocale()) setLocale(locale, { reload: false });
  document.documentElement.lang = locale;
}

/** The person chose `locale` on this device: it is the language of its next visits too. */
export function rememberLocale(locale: Locale): void {
  storage()?.setItem(DEVICE_KEY, locale);
}

/** The browser's own language among ours (navigator.languages), else English. */
export const browserLocale = (): Locale => extractLocaleFromNavigator() ?? baseLocale;

/** Forgets this device's choice, so the browser's languages decide again; returns their language. */
export function followBrowser(): Locale {
  storage()?.removeItem(DEVICE_KEY);
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
