import type { UsageSum } from './usage.repo.ts';
import { RESOLUTION_CLASSES, STORAGE_CATEGORIES } from './usage-records.ts';

/** One row of GET /v1/usage's figures (docs/usage.md, "Reading usage"), before the group's own fields. */
export interface UsageFigures {
  encoding_minutes: Record<string, number>;
  stored_gb_hours: Record<string, number>;
  delivered_bytes: { origin: number; edge: number; total: number };
  delivered_minutes: { origin: number; edge: number; total: number };
  live_input_minutes: number;
}

const BYTE_SECONDS_PER_GB_HOUR = 3.6e12;

export function emptyFigures(): UsageFigures {
  return {
    encoding_minutes: { ...Object.fromEntries(RESOLUTION_CLASSES.map((c) => [c, 0])), total: 0 },
    stored_gb_hours: { ...Object.fromEntries(STORAGE_CATEGORIES.map((c) => [c, 0])), total: 0 },
    delivered_bytes: { origin: 0, edge: 0, total: 0 },
    delivered_minutes: { origin: 0, edge: 0, total: 0 },
    live_input_minutes: 0,
  };
}

/** Adds one summed counter (a metric and dimension) to a row's figures, in the reported units. */
export function addSum(f: UsageFigures, s: Pick<UsageSum, 'metric' | 'dimension' | 'value'>): void {
  const into = (o: Record<string, number>, dim: string, v: number) => {
    if (!(dim in o)) return; // a dimension this version does not report
    o[dim] = (o[dim] ?? 0) + v;
    o.total = (o.total ?? 0) + v;
  };
  switch (s.metric) {
    case 'encoding_seconds':
      into(f.encoding_minutes, s.dimension, s.value / 60);
      return;
    case 'stored_byte_seconds':
      into(f.stored_gb_hours, s.dimension, s.value / BYTE_SECONDS_PER_GB_HOUR);
      return;
    case 'delivered_bytes':
      into(f.delivered_bytes, s.dimension, s.value);
      return;
    case 'delivered_seconds':
      into(f.delivered_minutes, s.dimension, s.value / 60);
      return;
    case 'live_input_seconds':
      f.live_input_minutes += s.value / 60;
  }
}

/** Sums figures (the `totals` of a report). */
export function addFigures(into: UsageFigures, f: UsageFigures): void {
  for (const part of [
    'encoding_minutes',
    'stored_gb_hours',
    'delivered_bytes',
    'delivered_minutes',
  ] as const) {
    const target = into[part] as Record<string, number>;
    for (const [k, v] of Object.entries(f[part])) target[k] = (target[k] ?? 0) + v;
  }
  into.live_input_minutes += f.live_input_minutes;
}

/** The CSV columns of the figures: the nested ones flattened (`encoding_minutes_sd`, …). */
export function figureColumns(): string[] {
  const f = emptyFigures();
  const cols: string[] = [];
  for (const part of ['encoding_minutes', 'stored_gb_hours', 'delivered_bytes', 'delivered_minutes'] as const)
    for (const k of Object.keys(f[part])) cols.push(`${part}_${k}`);
  cols.push('live_input_minutes');
  return cols;
}

export function flattenFigures(f: UsageFigures): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of ['encoding_minutes', 'stored_gb_hours', 'delivered_bytes', 'delivered_minutes'] as const)
    for (const [k, v] of Object.entries(f[part])) out[`${part}_${k}`] = v;
  out.live_input_minutes = f.live_input_minutes;
  return out;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' ? String(value) : value;
  // A leading = + - @ makes spreadsheets run the cell as a formula: quoted with a ' first.
  const safe = typeof value === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function toCsv(columns: string[], rows: Record<string, string | number | null>[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
