import { BACKUP_HEARTBEAT_STALE_MS } from './backup-records.ts';
import { nextBackupSlot } from './backup-schedule.ts';
import type { BackupRow } from './backups-read.repo.ts';

/** A backup run as the API shows it (docs/operations.md, "Scheduled backups"). */
export interface BackupJson {
  id: string;
  trigger: 'cli' | 'schedule';
  status: 'running' | 'succeeded' | 'failed';
  /** Where it was written, without credentials. */
  target: string;
  /** `all`, or `none` (objects left to the provider's replication). */
  objects: 'all' | 'none';
  secrets_included: boolean;
  /** The process that ran it (host-pid). */
  node: string | null;
  started_at: string;
  /** Everything committed before it is in the backup. */
  snapshot_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  /** Bytes this backup added to the target: its database files and objects copied for the first time. */
  size_bytes: number | null;
  database_bytes: number | null;
  objects_total: number | null;
  objects_copied: number | null;
  objects_bytes: number | null;
  verification: 'passed' | 'failed' | null;
  /** At most 100; empty when the verification passed or did not run. */
  verification_problems: string[];
  error: { code: string; message: string } | null;
}

/** What a `running` row whose process died says instead (docs/operations.md). */
export const STOPPED_WITHOUT_FINISHING = {
  code: 'FH_ERR_BACKUP_TARGET',
  message: 'The backup stopped without finishing (its process ended).',
} as const;

/** A running row whose heartbeat is older than BACKUP_HEARTBEAT_STALE_MS: its process died. */
export function isStale(row: Pick<BackupRow, 'status' | 'heartbeat_at'>, now: number): boolean {
  return row.status === 'running' && Date.parse(row.heartbeat_at) < now - BACKUP_HEARTBEAT_STALE_MS;
}

const problemsOf = (json: string | null): string[] => {
  if (!json) return [];
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [json];
  }
};

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function presentBackup(row: BackupRow, now = Date.now()): BackupJson {
  const stale = isStale(row, now);
  const error = stale
    ? { ...STOPPED_WITHOUT_FINISHING }
    : row.error_code
      ? { code: row.error_code, message: row.error_message ?? '' }
      : null;
  return {
    id: row.id,
    trigger: row.trigger,
    status: stale ? 'failed' : row.status,
    target: row.target,
    objects: row.objects_mode,
    secrets_included: Boolean(row.secrets_included),
    node: row.node,
    started_at: row.started_at,
    snapshot_at: row.snapshot_at,
    finished_at: row.finished_at,
    duration_ms: row.finished_at ? Date.parse(row.finished_at) - Date.parse(row.started_at) : null,
    size_bytes: num(row.size_bytes),
    database_bytes: num(row.database_bytes),
    objects_total: num(row.objects_total),
    objects_copied: num(row.objects_copied),
    objects_bytes: num(row.objects_bytes),
    verification: row.verification,
    verification_problems: problemsOf(row.verification_problems),
    error,
  };
}

/** FRAMEHOUSE_BACKUP_* as the admin page shows them; null when no schedule is set. */
export interface BackupScheduleJson {
  cron: string;
  next_run_at: string | null;
  target: string;
  keep: number;
  objects: 'all' | 'none';
  /** FRAMEHOUSE_BACKUP_PASSPHRASE is set: the secrets go into the backup, encrypted. */
  secrets_included: boolean;
}

export function presentSchedule(
  settings: {
    cron: string | undefined;
    target: string;
    keep: number;
    objects: 'all' | 'none';
    passphrase: string | undefined;
  },
  now = Date.now(),
): BackupScheduleJson | null {
  if (!settings.cron) return null;
  return {
    cron: settings.cron,
    next_run_at: nextBackupSlot(settings.cron, new Date(now))?.toISOString() ?? null,
    target: targetWithoutCredentials(settings.target),
    keep: settings.keep,
    objects: settings.objects,
    secrets_included: settings.passphrase !== undefined,
  };
}

/**
 * A target as it may be shown: a folder as it is; a URL without user info, and without query
 * parameters other than where the bucket is (s3 URLs carry no credentials, but say so here too).
 */
export function targetWithoutCredentials(target: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^/@?#]*@)?/i.exec(target);
  if (!scheme) return target;
  // By hand rather than through URL, which would re-encode what is kept (endpoint=http%3A%2F%2F…).
  const [base = '', query] = target.slice(scheme[0].length).split('?', 2);
  const kept = (query ?? '')
    .split('&')
    .filter((pair) => ['endpoint', 'region', 'force_path_style'].includes(pair.split('=', 1)[0] ?? ''));
  return `${scheme[1]}${base}${kept.length ? `?${kept.join('&')}` : ''}`;
}
