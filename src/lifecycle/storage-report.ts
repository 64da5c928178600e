import { backupsInUse, lastSucceededSnapshotAt } from '../backup/backup-records.ts';
import type { Db } from '../db/database.ts';
import { type ObjectStore, UnsupportedByStoreError } from '../storage/object-store.ts';
import { lifecycleRepo } from './lifecycle.repo.ts';
import {
  ASSET_FOLDERS,
  assetOfKey,
  dropOriginalDueAt,
  type LifecycleRules,
  moveColdDueAt,
  type NextAction,
  purgeTrashDueAt,
  soonestFirst,
  uploadExpiresAt,
} from './rules.ts';

/** Upcoming actions listed. */
export const NEXT_LIMIT = 50;
/** A report is measured again once it is this old (the store walk is one listing request per 1,000 objects). */
export const REPORT_MAX_AGE_MS = 60_000;

export interface Tally {
  objects: number;
  bytes: number;
}

export interface StorageReport {
  measuredAt: string;
  /** Per storage class (`local`, `STANDARD`, `STANDARD_IA`, `cold:…` for a second store). */
  classes: Map<string, Tally>;
  /** Per top-level folder (`hls/`, `sources/`, …). */
  prefixes: Map<string, Tally>;
  trash: { assets: number; bytes: number; waitingOnBackup: number };
  rules: LifecycleRules;
  next: NextAction[];
  /** Whether abandoned multipart uploads in the bucket could be looked for. */
  multipartUploads: 'listed' | 'unsupported' | 'none';
}

export interface StorageReportDeps {
  db: Db;
  store: ObjectStore;
  rules: LifecycleRules;
  /** FRAMEHOUSE_BACKUP_SCHEDULE is set: backups are in use even before the first one ran. */
  backupScheduled: boolean;
  now?: () => number;
}

/**
 * What the store holds and what the rules will do next (GET /v1/admin/storage, and the dry run
 * of `framehouse storage lifecycle`): one walk of the whole store (`listDetailed('')`), counted
 * by class and folder, and the bytes of the assets the next actions and the trash name.
 */
export async function measureStorage(deps: StorageReportDeps): Promise<StorageReport> {
  const now = (deps.now ?? Date.now)();
  const { db, store, rules } = deps;
  const [drops, colds, trashed, uploads] = await Promise.all([
    rules.dropOriginalDays === null ? [] : lifecycleRepo.finishedLadders(db, 'drop-original', NEXT_LIMIT),
    rules.coldDays === null ? [] : lifecycleRepo.finishedLadders(db, 'move-cold', NEXT_LIMIT),
    lifecycleRepo.trashed(db),
    lifecycleRepo.unfinishedUploads(db, NEXT_LIMIT),
  ]);

  // The walk: totals, and each named asset's bytes (all, its original, what would go cold).
  const named = new Map<string, { all: number; source: number; movable: number }>();
  for (const id of [...drops.map((a) => a.id), ...colds.map((a) => a.id), ...trashed.map((t) => t.id)])
    named.set(id, { all: 0, source: 0, movable: 0 });
  const classes = new Map<string, Tally>();
  const prefixes = new Map<string, Tally>();
  for await (const o of store.listDetailed('')) {
    add(classes, o.storageClass, o.size);
    const slash = o.key.indexOf('/');
    add(prefixes, slash < 0 ? '' : o.key.slice(0, slash + 1), o.size);
    const owner = assetOfKey(o.key);
    const bytes = owner ? named.get(owner.assetId) : undefined;
    if (!owner || !bytes) continue;
    bytes.all += o.size;
    if (owner.folder === 'sources') bytes.source += o.size;
    if (ASSET_FOLDERS[owner.folder]?.cold && !o.storageClass.startsWith('cold:')) bytes.movable += o.size;
  }

  const usesBackups = deps.backupScheduled || (await backupsInUse(db));
  const snapshot = usesBackups ? await lastSucceededSnapshotAt(db) : null;
  const waitsForBackup = (deletedAt: string) => usesBackups && (snapshot === null || deletedAt >= snapshot);
  const iso = (ms: number) => new Date(ms).toISOString();

  const next: NextAction[] = [];
  for (const a of drops) {
    const due = dropOriginalDueAt(a, rules);
    if (due !== null)
      next.push({
        action: 'drop-original',
        asset_id: a.id,
        bytes: named.get(a.id)?.source ?? 0,
        due_at: iso(due),
      });
  }
  for (const a of colds) {
    const due = moveColdDueAt(a, rules);
    if (due !== null)
      next.push({
        action: 'move-cold',
        asset_id: a.id,
        bytes: named.get(a.id)?.movable ?? 0,
        due_at: iso(due),
      });
  }
  let waitingOnBackup = 0;
  for (const t of trashed) {
    const due = purgeTrashDueAt(t.deleted_at, rules);
    if (due === null) continue;
    const waiting = due <= now && waitsForBackup(t.deleted_at);
    if (waiting) waitingOnBackup++;
    next.push({
      action: 'purge-trash',
      asset_id: t.id,
      bytes: named.get(t.id)?.all ?? 0,
      due_at: iso(due),
      ...(waiting ? { waiting_on_backup: true } : {}),
    });
  }
  for (const u of uploads)
    next.push({
      action: 'expire-upload',
      upload_id: u.id,
      bytes: u.length ?? 0,
      due_at: iso(uploadExpiresAt(u.created_at, rules)),
    });

  let multipartUploads: StorageReport['multipartUploads'] = 'none';
  if (store.listMultipartUploads) {
    try {
      let n = 0;
      for await (const u of store.listMultipartUploads()) {
        // Resumable uploads have their own entry (by upload id) above.
        if (u.key.startsWith('tus/')) continue;
        next.push({
          action: 'expire-upload',
          key: u.key,
          bytes: 0,
          due_at: iso(uploadExpiresAt(u.initiated, rules)),
        });
        if (++n >= NEXT_LIMIT) break;
      }
      multipartUploads = 'listed';
    } catch (err) {
      if (!(err instanceof UnsupportedByStoreError)) throw err;
      multipartUploads = 'unsupported';
    }
  }

  return {
    measuredAt: iso(now),
    classes,
    prefixes,
    trash: {
      assets: trashed.length,
      bytes: trashed.reduce((sum, t) => sum + (named.get(t.id)?.all ?? 0), 0),
      waitingOnBackup,
    },
    rules,
    next: soonestFirst(next, NEXT_LIMIT),
    multipartUploads,
  };
}

function add(tallies: Map<string, Tally>, name: string, bytes: number): void {
  const t = tallies.get(name) ?? { objects: 0, bytes: 0 };
  t.objects++;
  t.bytes += bytes;
  tallies.set(name, t);
}

/**
 * The report of GET /v1/admin/storage, measured at most once a minute: the first request waits
 * for the first walk; after that, requests get the last report at once and a report older than
 * a minute is measured again behind them. Concurrent requests share one walk.
 */
export class CachedStorageReport {
  readonly #measure: () => Promise<StorageReport>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  #last: { at: number; report: StorageReport } | null = null;
  #running: Promise<StorageReport> | null = null;

  constructor(deps: {
    measure: () => Promise<StorageReport>;
    onError: (err: unknown) => void;
    maxAgeMs?: number;
    now?: () => number;
  }) {
    this.#measure = deps.measure;
    this.#onError = deps.onError;
    this.#maxAgeMs = deps.maxAgeMs ?? REPORT_MAX_AGE_MS;
    this.#now = deps.now ?? Date.now;
  }

  async get(): Promise<StorageReport> {
    const last = this.#last;
    if (last && this.#now() - last.at < this.#maxAgeMs) return last.report;
    const running = this.#refresh();
    if (!last) return running;
    running.catch(this.#onError);
    return last.report;
  }

  #refresh(): Promise<StorageReport> {
    this.#running ??= this.#measure()
      .then((report) => {
        this.#last = { at: this.#now(), report };
        return report;
      })
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }
}
