import { ROLES } from '../auth/principal.ts';
import type { QuotasTable, UsageNoticesTable } from '../db/schema.ts';
import { formatBytes } from '../shared/bytes.ts';

/**
 * The pure part of quotas (docs/usage.md, "Quotas"): which limit applies, how numbers read in a
 * refusal or a notice, and which thresholds a usage has crossed. No I/O: unit-tested alone.
 */

export type QuotaName = UsageNoticesTable['quota'];
export const QUOTA_NAMES: readonly QuotaName[] = [
  'storage_bytes',
  'encoding_minutes_per_month',
  'live_streams',
];

export type QuotaLimits = Record<QuotaName, number | null>;

/**
 * The largest limit each quota takes: what its column holds exactly (bytes: a JavaScript safe
 * integer in a bigint; streams: an integer column), and for minutes a bound no server reaches
 * (a hundred million minutes a month). Above it PostgreSQL would refuse the row.
 */
export const QUOTA_MAXIMA: Record<QuotaName, number> = {
  storage_bytes: Number.MAX_SAFE_INTEGER,
  encoding_minutes_per_month: 100_000_000,
  live_streams: 100_000,
};
export type QuotaRow = Pick<QuotasTable, QuotaName>;

export const NO_LIMITS: QuotaLimits = {
  storage_bytes: null,
  encoding_minutes_per_month: null,
  live_streams: null,
};

/** A user's limit per quota: their own row's value where it is not null, else their role's, else none. */
export function effectiveLimits(userRow: QuotaRow | undefined, roleRow: QuotaRow | undefined): QuotaLimits {
  const pick = (q: QuotaName) => numberOrNull(userRow?.[q]) ?? numberOrNull(roleRow?.[q]) ?? null;
  return {
    storage_bytes: pick('storage_bytes'),
    encoding_minutes_per_month: pick('encoding_minutes_per_month'),
    live_streams: pick('live_streams'),
  };
}

/** PostgreSQL hands bigint columns back as strings. */
export function numberOrNull(v: number | string | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Quota subjects: `user:{id}` or `role:{one of the roles}`. */
export const SUBJECT_PATTERN = new RegExp(`^(user:[A-Za-z0-9_-]{1,64}|role:(${ROLES.join('|')}))$`);

const oneDecimal = (v: number) => {
  const r = Math.round(v * 10) / 10;
  return Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1);
};

/** Minutes, to one decimal where not whole ("90 minutes", "12.5 minutes"); under one, seconds. */
export function formatMinutes(minutes: number): string {
  if (minutes > 0 && minutes < 1) {
    const s = oneDecimal(minutes * 60);
    return `${s} second${s === '1' ? '' : 's'}`;
  }
  const m = oneDecimal(minutes);
  return `${m} minute${m === '1' ? '' : 's'}`;
}

const streams = (n: number) => `${n} live stream${n === 1 ? '' : 's'}`;

/** How an amount of a quota reads: bytes as GB, minutes as minutes, streams counted. */
export function formatAmount(quota: QuotaName, amount: number): string {
  if (quota === 'storage_bytes') return formatBytes(amount);
  if (quota === 'encoding_minutes_per_month') return formatMinutes(amount);
  return streams(amount);
}

export interface QuotaRefusal {
  quota: QuotaName;
  limit: number;
  used: number;
  /** What the request adds (bytes of an upload, one stream); null: unknown (a deferred length, a URL). */
  requested: number | null;
}

/** The refusal's sentence, with the numbers people read (docs/usage.md's example). */
export function refusalMessage(r: QuotaRefusal): string {
  switch (r.quota) {
    case 'storage_bytes':
      return r.requested === null
        ? `Your storage holds ${formatBytes(r.used)}; your quota is ${formatBytes(r.limit)}. Free some space or ask an administrator for more.`
        : `This upload (${formatBytes(r.requested)}) would take your storage to ${formatBytes(r.used + r.requested)}; your quota is ${formatBytes(r.limit)}.`;
    case 'encoding_minutes_per_month':
      return `You have used ${formatMinutes(r.used)} of encoding this month; your quota is ${formatMinutes(r.limit)} a month. New uploads are refused until the month ends or an administrator raises it.`;
    case 'live_streams':
      return `${r.used === 1 ? 'One of your live streams is' : `${r.used} of your live streams are`} receiving a publish; your quota is ${streams(r.limit)} at once.`;
  }
}

/** The storage refusal, or null when the upload fits (`requested` null: the usage alone must be under the limit). */
export function storageRefusal(
  limit: number | null,
  used: number,
  requested: number | null,
): QuotaRefusal | null {
  if (limit === null) return null;
  const over = requested === null ? used >= limit : used + requested > limit;
  return over ? { quota: 'storage_bytes', limit, used, requested } : null;
}

/** The month's minutes are used up: new uploads are refused (their length is not known yet). */
export function encodingRefusal(limit: number | null, usedMinutes: number): QuotaRefusal | null {
  if (limit === null || usedMinutes < limit) return null;
  return { quota: 'encoding_minutes_per_month', limit, used: usedMinutes, requested: null };
}

/** A publish would make one stream more than the owner may have receiving at once. */
export function liveRefusal(limit: number | null, receiving: number): QuotaRefusal | null {
  if (limit === null || receiving + 1 <= limit) return null;
  return { quota: 'live_streams', limit, used: receiving, requested: 1 };
}

export type NoticeLevel = 80 | 100;

/** Used as a share of the limit, in percent (a limit of 0 counts as full). */
export function percentOf(used: number, limit: number): number {
  if (limit <= 0) return used > 0 ? 100 : 0;
  return (used / limit) * 100;
}

/**
 * The levels reached: 80 from 80 % on, 100 from the limit on. `live_streams` reaches 100 only
 * through a refused publish (having every allowed stream on air is using the quota, not going
 * over it), so the periodic check tells it 80 at most.
 */
export function levelsReached(quota: QuotaName, used: number, limit: number): NoticeLevel[] {
  const p = percentOf(used, limit);
  const levels: NoticeLevel[] = [];
  if (p >= 80) levels.push(80);
  if (p >= 100 && quota !== 'live_streams') levels.push(100);
  return levels;
}

/**
 * Whether a `current` notice row goes (usage back under 80 %, so the next crossing is told
 * again). Never under a limit of 0: there any use is over it, and a refused publish (0 streams
 * receiving) must stay told, or each retry of the encoder would tell it again.
 */
export function noticesClear(used: number, limit: number): boolean {
  return limit > 0 && used < 0.8 * limit;
}

/**
 * What to tell and what to record, given the levels already sent: every level reached and not
 * sent is recorded, and the highest of them is told (a jump from 50 % to 120 % says 100, once;
 * the 80 it passed on the way is recorded so it is not told later).
 */
export function noticesToSend(
  reached: NoticeLevel[],
  sent: ReadonlySet<number>,
): { record: NoticeLevel[]; tell: NoticeLevel | null } {
  const record = reached.filter((l) => !sent.has(l));
  return { record, tell: record.length ? (record.at(-1) ?? null) : null };
}

/** The notice period: the month (`2026-12`) for encoding minutes, `current` for the others. */
export function periodOf(quota: QuotaName, nowMs: number): string {
  return quota === 'encoding_minutes_per_month' ? new Date(nowMs).toISOString().slice(0, 7) : 'current';
}
