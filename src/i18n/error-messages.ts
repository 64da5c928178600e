import { ERROR_CODES, type ErrorCode } from '../shared/errors.ts';
import { ERROR_MESSAGES_KO } from './error-messages.ko.ts';
import type { Locale } from './locales.ts';

/** The messages of every language but English (whose are in ERROR_CODES): one per locale, or typecheck fails. */
const TRANSLATED: Record<Exclude<Locale, 'en'>, Record<ErrorCode, string>> = { ko: ERROR_MESSAGES_KO };

/**
 * An error's message for a reader of `locale`. English: the message the error was raised with
 * (often more specific than the code's default), else the code's. Korean: the code's Korean
 * message — a specific English text is not translated (it stays in the server's log).
 */
export function errorMessage(code: ErrorCode, locale: Locale, english?: string): string {
  if (locale === 'en') return english ?? ERROR_CODES[code].message;
  return TRANSLATED[locale][code];
}

/** A code recorded as text (an asset's `errors`, a backup's error): known to the registry or not. */
export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
