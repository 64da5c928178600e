import { formatBytes, formatNumber, numberFormat } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';

/**
 * The shapes of GET /v1/usage and the quota routes (docs/usage.md), the periods the usage tab
 * offers, the numbers' formats and the quota form's checks. Plain functions (no DOM): the tests
 * import them too (test/usage-web-data.test.ts). Words come from the catalogue (web/messages/admin)
 * in the page's language; labels are functions, read when the page draws.
 */

/** The catalogue's language for an Intl locale given to a formatter ('ko-KR' → 'ko'); else the page's. */
const catalogueLocale = (locale: string | undefined): { locale?: 'en' | 'ko' } => {
  const language = locale?.slice(0, 2);
  return language === 'en' || language === 'ko' ? { locale: language } : {};
};

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

export type Label = () => string;
export const RESOLUTION_LABELS: Record<ResolutionClass, Label> = {
  audio: m.admin_usage_class_audio,
  sd: m.admin_usage_class_sd,
  hd: m.admin_usage_class_hd,
  fhd: m.admin_usage_class_fhd,
  uhd: m.admin_usage_class_uhd,
};
export const STORAGE_LABELS: Record<StorageCategory, Label> = {
  source: m.admin_usage_storage_source,
  renditions: m.admin_usage_storage_renditions,
  images: m.admin_usage_storage_images,
  downloads: m.admin_usage_storage_downloads,
  captions: m.admin_usage_storage_captions,
  live: m.admin_usage_storage_live,
};
export const PATH_LABELS: Record<DeliveryPath, Label> = {
  origin: m.admin_usage_path_origin,
  edge: m.admin_usage_path_edge,
};

// ---- Periods ---------------------------------------------------------------------------------

export const PRESETS = {
  'this-month': m.admin_usage_period_this_month,
  'last-month': m.admin_usage_period_last_month,
  'last-30-days': m.admin_usage_period_last_30_days,
  custom: m.admin_usage_period_custom,
} as const;
export type Preset = keyof typeof PRESETS;
export const isPreset = (p: string | null): p is Preset => p !== null && p in PRESETS;

const DAY_MS = 86_400_000;
/** The longest period the tab asks for. */
const MAX_DAYS = 400;
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
      if (!custom.from || Number.isNaN(from)) return { error: m.admin_usage_period_no_first() };
      if (!custom.to || Number.isNaN(to)) return { error: m.admin_usage_period_no_last() };
      if (to < from) return { error: m.admin_usage_period_reversed() };
      if (from > now) return { error: m.admin_usage_period_future() };
      if (to + DAY_MS - from > MAX_DAYS * DAY_MS)
        return { error: m.admin_usage_period_too_long({ count: MAX_DAYS, n: formatNumber(MAX_DAYS) }) };
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

/** Intl's number format for `locale`, else the page's language (not the browser's: the reader may have chosen another). */
const nf = (locale: string | undefined, options: Intl.NumberFormatOptions) => numberFormat(options, locale);

/** Small amounts keep two significant digits (0.013 GB-h), large ones one decimal at most. */
const digits = (n: number): Intl.NumberFormatOptions =>
  n !== 0 && Math.abs(n) < 1 ? { maximumSignificantDigits: 2 } : { maximumFractionDigits: 1 };

export const fmtNumber = (n: number, locale?: string) => nf(locale, digits(n)).format(n);

export const fmtMinutes = (n: number, locale?: string) =>
  nf(locale, { style: 'unit', unit: 'minute', unitDisplay: 'short', ...digits(n) }).format(n);

export const fmtGbHours = (n: number, locale?: string) =>
  m.admin_usage_gb_hours({ n: fmtNumber(n, locale) }, catalogueLocale(locale));

export const fmtStreams = (n: number, locale?: string) =>
  m.admin_usage_streams(
    { count: n, n: nf(locale, { maximumFractionDigits: 0 }).format(n) },
    catalogueLocale(locale),
  );

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
export const QUOTA_LABELS: Record<QuotaName, Label> = {
  storage_bytes: m.admin_quota_storage,
  encoding_minutes_per_month: m.admin_quota_encoding,
  live_streams: m.admin_quota_streams,
};
/** The unit each quota's field is written in ("Storage (GB)"). */
export const QUOTA_UNITS: Record<QuotaName, Label> = {
  storage_bytes: m.admin_quota_unit_gb,
  encoding_minutes_per_month: m.admin_quota_unit_minutes,
  live_streams: m.admin_quota_unit_streams,
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
  const number = (quota: QuotaName, max: number, whole: boolean): number | null => {
    const text = inputs[quota].trim().replace(',', '.');
    if (text === '') return null;
    const n = Number(text);
    const unit = QUOTA_UNITS[quota]();
    if (!/^\d*\.?\d+$|^\d+\.$/.test(text) || !Number.isFinite(n)) {
      errors[quota] = m.admin_quota_error_number({ unit });
      return null;
    }
    if (whole && !Number.isInteger(n)) {
      errors[quota] = m.admin_quota_error_whole({ unit });
      return null;
    }
    if (n > max) {
      errors[quota] = m.admin_quota_error_max({ max: formatNumber(max), unit });
      return null;
    }
    return n;
  };
  const gb = number('storage_bytes', MAX_STORAGE_GB, false);
  const limits: Limits = {
    storage_bytes: gb === null ? null : Math.round(gb * 1e9),
    encoding_minutes_per_month: number('encoding_minutes_per_month', MAX_MINUTES, false),
    live_streams: number('live_streams', MAX_STREAMS, true),
  };
  if (Object.keys(errors).length > 0) return { errors };
  if (QUOTAS.every((q) => limits[q] === null)) return { errors: { form: m.admin_quota_error_none() } };
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
