import { formatBytes } from '../i18n/format.ts';

/**
 * The shapes of GET /v1/usage and the quota routes (docs/usage.md), the periods the usage tab
 * offers, the numbers' formats and the quota form's checks. Plain functions (no DOM): the tests
 * import them too (test/usage-web-data.test.ts).
 */

export const RESOLUTION_CLASSES = ['audio', 'sd', 'hd', 'fhd', 'uhd'] as const;
export const STORAGE_CATEGORIES = [
  'source',
  'renditions',
  'images',
  'downloads',
  'captions',
  'live',
] as const;
export const DELIVERY_PATHS = ['origin', 'edge'] as const;

export type ResolutionClass = (typeof RESOLUTION_CLASSES)[number];
export type StorageCategory = (typeof STORAGE_CATEGORIES)[number];
export type DeliveryPath = (typeof DELIVERY_PATHS)[number];

/** The figures of one row of GET /v1/usage (and of its `totals`). */
export interface UsageFigures {
  encoding_minutes: Record<ResolutionClass | 'total', number>;
  stored_gb_hours: Record<StorageCategory | 'total', number>;
  delivered_bytes: Record<DeliveryPath | 'total', number>;
  delivered_minutes: Record<DeliveryPath | 'total', number>;
  live_input_minutes: number;
}
export interface DayRow extends UsageFigures {
  day: string;
}
export interface UserRow extends UsageFigures {
  owner: string;
  email: string | null;
}
export interface AssetRow extends UsageFigures {
  subject_kind: 'asset' | 'live_stream';
  subject_id: string;
  title: string | null;
  owner: string;
}
export type GroupBy = 'day' | 'user' | 'asset';
/** What GET /v1/usage answers beside `data`. */
export interface UsageExtra {
  from: string;
  to: string;
  group_by: GroupBy;
  totals: UsageFigures;
}

export const RESOLUTION_LABELS: Record<ResolutionClass, string> = {
  audio: 'Audio',
  sd: 'SD',
  hd: 'HD',
  fhd: 'Full HD',
  uhd: '4K',
};
export const STORAGE_LABELS: Record<StorageCategory, string> = {
  source: 'Originals',
  renditions: 'Renditions',
  images: 'Images',
  downloads: 'Downloads',
  captions: 'Captions',
  live: 'Live',
};
export const PATH_LABELS: Record<DeliveryPath, string> = { origin: 'Origin', edge: 'Edge' };

// ---- Periods ---------------------------------------------------------------------------------

export const PRESETS = {
  'this-month': 'This month',
  'last-month': 'Last month',
  'last-30-days': 'Last 30 days',
  custom: 'Custom',
} as const;
export type Preset = keyof typeof PRESETS;
export const isPreset = (p: string | null): p is Preset => p !== null && p in PRESETS;

const DAY_MS = 86_400_000;
/** `YYYY-MM-DD` of a time, in UTC (usage's days are UTC days). */
export const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const monthStartMs = (ms: number, back = 0) => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1);
};

/**
 * The `from`/`to` of a period, as GET /v1/usage takes them. A period that ends now leaves `to`
 * out (the server's "now"), so the query stays the same from one refresh to the next and each
 * refresh sees the newest usage. Custom periods are whole UTC days, `to` included: the server
 * gets the day after it (its `to` is exclusive), or nothing when that is still to come.
 */
export function periodQuery(
  preset: Preset,
  custom: { from: string; to: string },
  now = Date.now(),
): { query: URLSearchParams } | { error: string } {
  const q = new URLSearchParams();
  switch (preset) {
    case 'this-month':
      q.set('from', utcDate(monthStartMs(now)));
      break;
    case 'last-month':
      q.set('from', utcDate(monthStartMs(now, 1)));
      q.set('to', utcDate(monthStartMs(now)));
      break;
    case 'last-30-days':
      q.set('from', utcDate(now - 29 * DAY_MS)); // today and the 29 days before it
      break;
    case 'custom': {
      const from = Date.parse(`${custom.from}T00:00:00Z`);
      const to = Date.parse(`${custom.to}T00:00:00Z`);
      if (!custom.from || Number.isNaN(from)) return { error: 'Choose the first day of the period.' };
      if (!custom.to || Number.isNaN(to)) return { error: 'Choose the last day of the period.' };
      if (to < from) return { error: 'The last day comes before the first.' };
      if (from > now) return { error: 'The period starts in the future: there is no usage yet.' };
      if (to + DAY_MS - from > 400 * DAY_MS) return { error: 'A period can be at most 400 days.' };
      q.set('from', custom.from);
      if (to + DAY_MS <= now) q.set('to', utcDate(to + DAY_MS));
      break;
    }
  }
  return { query: q };
}

/** Every UTC day from `from` to `to` (exclusive), as `YYYY-MM-DD`: the charts' x axis, gaps included. */
export function daysBetween(fromIso: string, toIso: string): string[] {
  const days: string[] = [];
  const end = Date.parse(toIso);
  for (let t = Date.parse(`${fromIso.slice(0, 10)}T00:00:00Z`); t < end; t += DAY_MS) days.push(utcDate(t));
  return days;
}

// ---- Numbers ---------------------------------------------------------------------------------

const formats = new Map<string, Intl.NumberFormat>();
function nf(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  const known = formats.get(key);
  if (known) return known;
  const made = new Intl.NumberFormat(locale, options);
  formats.set(key, made);
  return made;
}

/** Small amounts keep two significant digits (0.013 GB-h), large ones one decimal at most. */
const digits = (n: number): Intl.NumberFormatOptions =>
  n !== 0 && Math.abs(n) < 1 ? { maximumSignificantDigits: 2 } : { maximumFractionDigits: 1 };

export const fmtNumber = (n: number, locale?: string) => nf(locale, digits(n)).format(n);

export const fmtMinutes = (n: number, locale?: string) =>
  nf(locale, { style: 'unit', unit: 'minute', unitDisplay: 'short', ...digits(n) }).format(n);

export const fmtGbHours = (n: number, locale?: string) => `${fmtNumber(n, locale)} GB-h`;

export const fmtStreams = (n: number, locale?: string) =>
  `${nf(locale, { maximumFractionDigits: 0 }).format(n)} ${n === 1 ? 'stream' : 'streams'}`;

export const fmtPercent = (n: number, locale?: string) =>
  nf(locale, { style: 'percent', maximumFractionDigits: 0 }).format(n / 100);

export const hasUsage = (f: UsageFigures) =>
  f.encoding_minutes.total > 0 ||
  f.stored_gb_hours.total > 0 ||
  f.delivered_bytes.total > 0 ||
  f.delivered_minutes.total > 0 ||
  f.live_input_minutes > 0;

// ---- Quotas ----------------------------------------------------------------------------------

export const QUOTAS = ['storage_bytes', 'encoding_minutes_per_month', 'live_streams'] as const;
export type QuotaName = (typeof QUOTAS)[number];
export const QUOTA_LABELS: Record<QuotaName, string> = {
  storage_bytes: 'Storage',
  encoding_minutes_per_month: 'Encoding this month',
  live_streams: 'Live streams at once',
};
export type Limits = Record<QuotaName, number | null>;

/** A quota's use against its limit, as the quota routes answer it. */
export interface QuotaUse {
  quota: QuotaName;
  limit: number | null;
  used: number | null;
  percent: number | null;
}

export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** A quota's amount in its own unit. */
export function fmtQuota(quota: QuotaName, n: number, locale?: string): string {
  if (quota === 'storage_bytes') return formatBytes(n, locale);
  if (quota === 'encoding_minutes_per_month') return fmtMinutes(n, locale);
  return fmtStreams(n, locale);
}

/** The form's text fields: GB, minutes, streams; empty is "no limit of its own". */
export type LimitInputs = Record<QuotaName, string>;

/** Limits as the form shows them (storage in GB). */
export function limitInputs(limits: Partial<Limits> | null | undefined): LimitInputs {
  const text = (n: number | null | undefined, scale = 1) => (n == null ? '' : String(n / scale));
  return {
    storage_bytes: text(limits?.storage_bytes, 1e9),
    encoding_minutes_per_month: text(limits?.encoding_minutes_per_month),
    live_streams: text(limits?.live_streams),
  };
}

/** The most storage the form takes: bytes stay exact integers in JSON (below 2⁵³). */
export const MAX_STORAGE_GB = 9_000_000;
export const MAX_MINUTES = 1_000_000_000;
export const MAX_STREAMS = 100_000;

/**
 * The form's fields as the PUT body (`storage_bytes` in bytes), or what is wrong with them, per
 * field, in words a person can act on.
 */
export function parseLimits(
  inputs: LimitInputs,
): { limits: Limits; errors?: undefined } | { errors: Partial<Record<QuotaName | 'form', string>> } {
  const errors: Partial<Record<QuotaName | 'form', string>> = {};
  const number = (quota: QuotaName, max: number, what: string, whole: boolean): number | null => {
    const text = inputs[quota].trim().replace(',', '.');
    if (text === '') return null;
    const n = Number(text);
    if (!/^\d*\.?\d+$|^\d+\.$/.test(text) || !Number.isFinite(n)) {
      errors[quota] = `Write a number of ${what}, 0 or more (or leave it empty).`;
      return null;
    }
    if (whole && !Number.isInteger(n)) {
      errors[quota] = `Write a whole number of ${what}.`;
      return null;
    }
    if (n > max) {
      errors[quota] = `At most ${max.toLocaleString('en')} ${what}.`;
      return null;
    }
    return n;
  };
  const gb = number('storage_bytes', MAX_STORAGE_GB, 'GB', false);
  const limits: Limits = {
    storage_bytes: gb === null ? null : Math.round(gb * 1e9),
    encoding_minutes_per_month: number('encoding_minutes_per_month', MAX_MINUTES, 'minutes', false),
    live_streams: number('live_streams', MAX_STREAMS, 'streams', true),
  };
  if (Object.keys(errors).length > 0) return { errors };
  if (QUOTAS.every((q) => limits[q] === null))
    return { errors: { form: 'Give at least one limit, or use "Clear" to remove this row.' } };
  return { limits };
}

/** A row of GET /v1/admin/quotas: a subject's limits and, for a user, what they use now. */
export interface QuotaRow extends Limits {
  subject: string;
  updated_at: string;
  updated_by: string | null;
  /** User rows: the account's e-mail (null once the account is gone). */
  email: string | null;
  /** User rows: bytes stored now, this month's encoding minutes, streams publishing now. Role rows: null. */
  usage: Record<QuotaName, number> | null;
  /** Role rows: how many accounts have the role. */
  users: number | null;
}

/** A quota's use against the limit in effect, and whether that limit is the role's (the user's own is empty). */
export interface EffectiveUse extends QuotaUse {
  fromRole: boolean;
}

/**
 * Each quota of a row with its use. A user's empty limit is their role's (`role`: the role's
 * row, when there is one), as the server applies it; a limit set nowhere is null, "no limit".
 */
export function quotaUses(row: QuotaRow, role?: Limits | null): EffectiveUse[] {
  return QUOTAS.map((quota) => {
    const own = row[quota];
    const fromRole = own === null && row.subject.startsWith('user:') && role?.[quota] != null;
    const limit = own ?? (fromRole ? (role?.[quota] ?? null) : null);
    const used = row.usage?.[quota] ?? null;
    const percent =
      limit !== null && used !== null ? (limit > 0 ? (used / limit) * 100 : used > 0 ? 100 : 0) : null;
    return { quota, limit, used, percent, fromRole };
  });
}
