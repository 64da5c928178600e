import type { Db } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';
import { type UsageGrouping, usageRepo } from './usage.repo.ts';
import type { UsageCount } from './usage-meter.ts';
import { hourBucket, billedOwner as ownerOf } from './usage-records.ts';
import { addFigures, addSum, emptyFigures, type UsageFigures } from './usage-report.ts';

const HOUR_MS = 3_600_000;
/** How far back an edge report's `hour` is taken (older: dated this far back). */
const EDGE_REPORT_HOUR_DAYS = 7;
const MAX_RANGE_MS = 400 * 86_400_000;
/** Report ids are remembered this long (an edge retries for minutes; a week is plenty). */
export const EDGE_REPORT_MEMORY_MS = 7 * 86_400_000;

export interface UsageQuery {
  from?: string | undefined;
  to?: string | undefined;
  groupBy?: UsageGrouping | undefined;
  owner?: string | undefined;
}

export type UsageRow = UsageFigures & {
  day?: string;
  owner?: string;
  email?: string | null;
  subject_kind?: string;
  subject_id?: string;
  title?: string | null;
};

export interface UsageReport {
  data: UsageRow[];
  from: string;
  to: string;
  group_by: UsageGrouping;
  totals: UsageFigures;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// A full time with its zone: `Z` or an offset; seconds and a fraction optional.
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$/;

/**
 * A time the query names: `YYYY-MM-DD` (UTC midnight) or an ISO-8601 time with `Z` or an offset,
 * else a 400 naming the parameter. Date.parse alone would take `2026-12-03T10:00` as the server's
 * local time and `December 3, 2026` as well: a report must not depend on where the server runs.
 */
export function parseTime(name: string, value: string): number {
  const m = ISO_DATE.exec(value) ?? ISO_TIME.exec(value);
  const ms = m ? Date.parse(ISO_DATE.test(value) ? `${value}T00:00:00Z` : value) : Number.NaN;
  // The calendar day must exist (Date.parse would roll 2026-02-30 over to March).
  const day =
    m && Number.isFinite(ms) ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (
    !m ||
    !day ||
    day.getUTCFullYear() !== Number(m[1]) ||
    day.getUTCMonth() !== Number(m[2]) - 1 ||
    day.getUTCDate() !== Number(m[3])
  )
    throw new AppError(
      'FH_ERR_VALIDATION',
      `\`${name}\` must be a date (YYYY-MM-DD, UTC) or an ISO-8601 time with Z or an offset (2026-12-03T10:00:00Z): ${value}`,
      { field: name },
    );
  return ms;
}

/** The range a query names, rounded outwards to whole hours (docs/usage.md). */
export function usageRange(
  q: Pick<UsageQuery, 'from' | 'to'>,
  now = Date.now(),
): { from: number; to: number } {
  const d = new Date(now);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const fromMs = q.from ? parseTime('from', q.from) : monthStart;
  const toMs = q.to ? parseTime('to', q.to) : now;
  const from = fromMs - (((fromMs % HOUR_MS) + HOUR_MS) % HOUR_MS);
  const to = Math.ceil(toMs / HOUR_MS) * HOUR_MS;
  if (to <= from)
    throw new AppError('FH_ERR_VALIDATION', '`to` must be after `from`.', { from: q.from, to: q.to });
  if (to - from > MAX_RANGE_MS)
    throw new AppError('FH_ERR_VALIDATION', 'A usage report spans at most 400 days.', {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
    });
  return { from, to };
}

/** Reading usage (GET /v1/usage) and taking edge reports (POST /v1/usage/edge-reports). */
export class UsageService {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(deps: { db: Db; now?: () => number }) {
    this.#db = deps.db;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * The report. `viewer`: whose usage the caller may see — null for admins (anyone's, or
   * `owner`'s), else the caller's own owner string (an `owner` naming someone else is a 403).
   */
  async report(q: UsageQuery, viewer: string | null): Promise<UsageReport> {
    const groupBy = q.groupBy ?? 'day';
    const { from, to } = usageRange(q, this.#now());
    if (viewer !== null && q.owner !== undefined && q.owner !== viewer)
      throw new AppError('FH_ERR_FORBIDDEN', 'You can see only your own usage.', { owner: q.owner });
    const owner = viewer ?? q.owner;
    const fromIso = new Date(from).toISOString();
    const toIso = new Date(to).toISOString();
    const sums = await usageRepo.sums(this.#db, { fromIso, toIso, groupBy, owner });
    const rows = new Map<string, UsageRow>();
    for (const s of sums) {
      let row = rows.get(s.key);
      if (!row) {
        row = { ...this.#groupFields(groupBy, s.key), ...emptyFigures() };
        rows.set(s.key, row);
      }
      addSum(row, s);
    }
    const data = [...rows.values()];
    await this.#describe(groupBy, data);
    const totals = emptyFigures();
    for (const r of data) addFigures(totals, r);
    return { data, from: fromIso, to: toIso, group_by: groupBy, totals };
  }

  #groupFields(groupBy: UsageGrouping, key: string): Partial<UsageRow> {
    if (groupBy === 'day') return { day: key };
    if (groupBy === 'user') return { owner: key, email: null };
    const [kind = '', id = '', ...owner] = key.split('/');
    return { subject_kind: kind, subject_id: id, title: null, owner: owner.join('/') };
  }

  /** E-mail addresses (group_by=user) or titles (group_by=asset) of the rows. */
  async #describe(groupBy: UsageGrouping, data: UsageRow[]): Promise<void> {
    if (groupBy === 'user') {
      const ids = data.flatMap((r) => (r.owner?.startsWith('user:') ? [r.owner.slice(5)] : []));
      const emails = await usageRepo.emails(this.#db, ids);
      for (const r of data)
        r.email = r.owner?.startsWith('user:') ? (emails.get(r.owner.slice(5)) ?? null) : null;
    } else if (groupBy === 'asset') {
      const assets = data.filter((r) => r.subject_kind === 'asset').map((r) => r.subject_id as string);
      const streams = data.filter((r) => r.subject_kind === 'live_stream').map((r) => r.subject_id as string);
      const titles = await usageRepo.titles(this.#db, assets, streams);
      for (const r of data) r.title = titles.get(r.subject_id as string) ?? null;
    }
  }

  /**
   * An edge's report, counted once per report id, as the `edge` path of each playback id's
   * subject, in the hour it names (its counts' hour, kept within the last EDGE_REPORT_HOUR_DAYS:
   * a report sent late is billed to when it was served; default: now). Unknown playback ids are
   * counted in `unknown` and ignored.
   */
  async edgeReport(report: {
    id: string;
    edge: string;
    hour?: string | undefined;
    entries: { playback_id: string; bytes: number; seconds: number }[];
  }): Promise<{ accepted: number; unknown: number }> {
    const now = this.#now();
    const subjects = await usageRepo.subjectsOfPlaybackIds(this.#db, [
      ...new Set(report.entries.map((e) => e.playback_id)),
    ]);
    const named = report.hour === undefined ? Number.NaN : Date.parse(report.hour);
    const at = Number.isFinite(named)
      ? Math.min(now, Math.max(now - EDGE_REPORT_HOUR_DAYS * 86_400_000, named))
      : now;
    const bucket = hourBucket(at);
    const counts = new Map<string, UsageCount>();
    let accepted = 0;
    let unknown = 0;
    for (const e of report.entries) {
      const s = subjects.get(e.playback_id);
      if (!s) {
        unknown++;
        continue;
      }
      accepted++;
      const owner = ownerOf(s.owner);
      for (const [metric, value] of [
        ['delivered_bytes', e.bytes],
        ['delivered_seconds', e.seconds],
      ] as const) {
        if (!(value > 0)) continue;
        const k = `${s.kind}/${s.id}/${metric}`;
        const c = counts.get(k);
        if (c) c.value += value;
        else
          counts.set(k, {
            bucket,
            owner,
            subject_kind: s.kind,
            subject_id: s.id,
            metric,
            dimension: 'edge',
            value,
          });
      }
    }
    await usageRepo.addEdgeReport(
      this.#db,
      { id: report.id, edge: report.edge, receivedAt: new Date(now).toISOString() },
      [...counts.values()],
    );
    return { accepted, unknown };
  }

  /** Forgets old report ids (the storage walk's job calls this). */
  pruneEdgeReports(): Promise<number> {
    return usageRepo.pruneEdgeReports(this.#db, new Date(this.#now() - EDGE_REPORT_MEMORY_MS).toISOString());
  }
}
