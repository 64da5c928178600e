import { ERROR_CODES, type ErrorCode } from '../shared/errors.ts';
import { ERROR_MESSAGES_KO, NUMBERED_MESSAGES_KO } from './error-messages.ko.ts';
import { textFormat } from './format.ts';
import type { Locale } from './locales.ts';
import { mailMessages, type QuotaKind } from './mail-messages.ts';

/** The messages of every language but English (whose are in ERROR_CODES): one per locale, or typecheck fails. */
const TRANSLATED: Record<Exclude<Locale, 'en'>, Record<ErrorCode, string>> = { ko: ERROR_MESSAGES_KO };

/** What a message may say besides its code: the error's details, the seconds of its Retry-After. */
export interface ErrorFacts {
  details?: unknown;
  retryAfter?: number | null;
}

/**
 * An error's message for a reader of `locale`. English: the message the error was raised with
 * (often more specific than the code's default), else the code's. Korean: the code's Korean
 * message, with the refusal's numbers where they are known (a quota's, from its details; a rate
 * limit's wait, from Retry-After) — any other specific English text is not translated (the server
 * logs it).
 */
export function errorMessage(code: ErrorCode, locale: Locale, english?: string, facts?: ErrorFacts): string {
  if (locale === 'en') return english ?? ERROR_CODES[code].message;
  if (code === 'FH_ERR_QUOTA_EXCEEDED') {
    const quota = quotaMessageKo(facts?.details);
    if (quota) return quota;
  }
  const retryAfter = facts?.retryAfter;
  if (code === 'FH_ERR_RATE_LIMITED' && typeof retryAfter === 'number' && retryAfter > 0)
    return NUMBERED_MESSAGES_KO.rateLimited(textFormat(locale).number(Math.ceil(retryAfter)));
  return TRANSLATED[locale][code];
}

const QUOTA_KINDS: readonly string[] = [
  'storage_bytes',
  'encoding_minutes_per_month',
  'live_streams',
] satisfies QuotaKind[];
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * A quota refusal in Korean, by the quota its details name (src/quotas/quotas.service.ts
 * quotaError: `{ quota, limit, used, requested }`), as the English refusalMessage does: the
 * quota mails' sentences with the refusal's numbers. Null when the details are not a quota's.
 */
function quotaMessageKo(details: unknown): string | null {
  const d = (details ?? {}) as { quota?: unknown; limit?: unknown; used?: unknown; requested?: unknown };
  if (!QUOTA_KINDS.includes(d.quota as string) || !isCount(d.limit) || !isCount(d.used)) return null;
  const quota = d.quota as QuotaKind;
  const { limit, used } = d;
  const f = textFormat('ko');
  const t = mailMessages('ko').quota;
  switch (quota) {
    case 'storage_bytes':
      return isCount(d.requested)
        ? `${NUMBERED_MESSAGES_KO.storageUpload({ requested: f.bytes(d.requested), used: f.bytes(used), limit: f.bytes(limit) })} ${t.adminCanRaise}`
        : `${t.storageUsed({ used: f.bytes(used), limit: f.bytes(limit), percent: null })} ${t.whenFull.storage_bytes}`;
    case 'encoding_minutes_per_month':
      // Refused in the month of the request (UTC), as the usage it counts.
      return `${t.encodingUsed({
        used: f.minutes(used),
        limit: f.minutes(limit),
        percent: null,
        month: f.month(new Date().toISOString().slice(0, 7)),
      })} ${t.whenFull.encoding_minutes_per_month}`;
    case 'live_streams':
      return t.liveRefused({ receiving: used, receivingText: f.number(used), limit: f.number(limit) });
  }
}

/** A code recorded as text (an asset's `errors`, a backup's error): known to the registry or not. */
export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);

/**
 * A recorded error (an asset's `errors` entry, a failed backup's error) as its reader reads it: a
 * registered code in the reader's language (English keeps the message recorded with it), else the
 * recorded message as it is. Undefined when neither says anything.
 */
export function recordedErrorText(
  code: string | null | undefined,
  message: string | null | undefined,
  locale: Locale,
): string | undefined {
  if (isErrorCode(code)) return errorMessage(code, locale, message || undefined);
  return message || undefined;
}
