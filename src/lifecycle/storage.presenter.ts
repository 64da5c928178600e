import type { NextAction } from './rules.ts';
import type { StorageReport, Tally } from './storage-report.ts';

/** GET /v1/admin/storage's `data` (docs/operations.md, "Lifecycle"). */
export interface StorageJson {
  measured_at: string;
  classes: { class: string; objects: number; bytes: number }[];
  prefixes: { prefix: string; objects: number; bytes: number }[];
  trash: { assets: number; bytes: number; waiting_on_backup: number };
  rules: {
    drop_original_days: number | null;
    cold_days: number | null;
    cold_storage_class: string | null;
    cold_storage_url: string | null;
    unfinished_upload_days: number;
    trash_days: number;
    /** Whether abandoned multipart uploads can be found in this store: listed, unsupported (by the service), none (not S3). */
    multipart_uploads: 'listed' | 'unsupported' | 'none';
  };
  next: NextAction[];
}

/** Largest first. */
const tallies = <K extends string>(name: K, m: Map<string, Tally>) =>
  [...m.entries()]
    .sort(([a, x], [b, y]) => y.bytes - x.bytes || a.localeCompare(b))
    .map(
      ([value, t]) => ({ [name]: value, objects: t.objects, bytes: t.bytes }) as Record<K, string> & Tally,
    );

export function presentStorage(r: StorageReport): StorageJson {
  return {
    measured_at: r.measuredAt,
    classes: tallies('class', r.classes),
    prefixes: tallies('prefix', r.prefixes),
    trash: { assets: r.trash.assets, bytes: r.trash.bytes, waiting_on_backup: r.trash.waitingOnBackup },
    rules: {
      drop_original_days: r.rules.dropOriginalDays,
      cold_days: r.rules.coldDays,
      cold_storage_class: r.rules.coldStorageClass,
      cold_storage_url: r.rules.coldStorageUrl,
      unfinished_upload_days: r.rules.unfinishedUploadDays,
      trash_days: r.rules.trashDays,
      multipart_uploads: r.multipartUploads,
    },
    next: r.next,
  };
}
