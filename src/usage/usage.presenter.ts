import type { UsageReport } from './usage.service.ts';
import { figureColumns, flattenFigures, toCsv } from './usage-report.ts';

const GROUP_COLUMNS = {
  day: ['day'],
  user: ['owner', 'email'],
  asset: ['subject_kind', 'subject_id', 'title', 'owner'],
} as const;

/** The report as CSV: the same rows, the nested figures flattened (docs/usage.md). */
export function usageCsv(report: UsageReport): string {
  const columns = [...GROUP_COLUMNS[report.group_by], ...figureColumns()];
  const rows = report.data.map((r) => {
    const out: Record<string, string | number | null> = flattenFigures(r);
    for (const c of GROUP_COLUMNS[report.group_by])
      out[c] = (r as unknown as Record<string, string | null>)[c] ?? null;
    return out;
  });
  return toCsv(columns, rows);
}

/** `usage-{from}-{to}-{group_by}.csv`, the times to the hour (`2026-12-01T00Z`): no colons in file names. */
export function usageCsvFilename(report: Pick<UsageReport, 'from' | 'to' | 'group_by'>): string {
  const hour = (iso: string) => `${iso.slice(0, 13)}Z`;
  return `usage-${hour(report.from)}-${hour(report.to)}-${report.group_by}.csv`;
}
