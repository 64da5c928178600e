import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { AppError, type ErrorCode } from '../shared/errors.ts';
import { isoNow } from '../shared/time.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { type FileDigest, type LineWriter, writeLines } from './archive-file.ts';
import { backupPrefix, newBackupId, secretsKey } from './archive-layout.ts';
import { backupRunning } from './backup-records.ts';
import { locationsOverlap, openTarget, targetStoreUrl } from './backup-target.ts';
import { type BackupRow, finish, heartbeat, insertRunning, recordSnapshotAt } from './backups.repo.ts';
import { withDatabaseSnapshot } from './database-snapshot.ts';
import { framehouseVersion, type Manifest, readManifest, writeManifest } from './manifest.ts';
import { buildInventory, type InventoryResult, readInventory } from './object-inventory.ts';
import { listStoredBackups, type PruneResult, pruneTarget } from './prune.ts';
import { deriveKey, newSecretsParams, type SecretsParams } from './secrets-crypto.ts';
import { isBackedUp } from './table-catalog.ts';
import { type DumpResult, dumpTables } from './table-dump.ts';
import { Problems, verifyFiles, verifyPool } from './verify.ts';

/**
 * A backup run (docs/operations.md, "Backups"): the CLI's and the schedule's. It records itself
 * in `backups` (running, a heartbeat every 10 s, then succeeded or failed), takes one snapshot
 * of the database and dumps it, inventories and copies the objects, verifies what it wrote,
 * writes the manifest last, and prunes when asked.
 */
export interface BackupProgress {
  phase: 'database' | 'inventory' | 'objects' | 'verify' | 'prune';
  done: number;
  total: number;
  unit: 'rows' | 'objects' | 'bytes' | 'files';
}

export interface BackupDeps {
  db: Db;
  /** The store backed up (the installation's). */
  store: ObjectStore;
  config: Config;
  /** Recorded on the row: which process ran it (a host name, a worker id). */
  node: string;
}

export interface BackupRequest {
  /** A folder or s3://bucket/prefix?… */
  target: string;
  objects: 'all' | 'none';
  /** Given: the secrets go into secrets.json.enc under it. Absent: they are left out. */
  passphrase?: string;
  trigger: 'cli' | 'schedule';
  /** Given: complete backups beyond this many are removed after a successful run. */
  keep?: number;
  onProgress?: (p: BackupProgress) => void;
  signal?: AbortSignal;
}

export type { BackupRow };

/** The finished row, and what the run noticed without failing for it. */
export type BackupSummary = BackupRow & {
  /** Objects listed but gone before they were copied (deleted meanwhile), and such. */
  warnings: string[];
  /** What the run wrote last (the archive's id is the row's `id`). */
  manifest: Manifest;
  /** What `keep` removed, when given. */
  prune: PruneResult | null;
};

/** A complete backup found in a target (its manifest, with its id and total size). */
export interface BackupListing {
  id: string;
  manifest: Manifest;
  /** Bytes of the backup's own files (the manifest's `files`), not of the shared pool. */
  size_bytes: number;
}

export const HEARTBEAT_MS = 10_000;
/** A passphrase shorter than this is refused (the same floor as FRAMEHOUSE_BACKUP_PASSPHRASE). */
export const MIN_PASSPHRASE_LENGTH = 12;

export async function runBackup(deps: BackupDeps, req: BackupRequest): Promise<BackupSummary> {
  if (req.passphrase !== undefined && req.passphrase.length < MIN_PASSPHRASE_LENGTH)
    throw new AppError(
      'FH_ERR_BACKUP_PASSPHRASE',
      `A backup passphrase has at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  if (await backupRunning(deps.db)) throw new AppError('FH_ERR_BACKUP_RUNNING');
  const started = new Date();
  const id = newBackupId(started);
  const { db } = deps;
  let described = req.target;
  try {
    described = targetStoreUrl(req.target).replace(/^file:/, '');
  } catch {
    // Recorded as given; the run fails below with the reason.
  }
  await insertRunning(db, {
    id,
    trigger: req.trigger,
    target: described,
    objects_mode: req.objects,
    node: deps.node,
    started_at: started.toISOString(),
    secrets_included: req.passphrase !== undefined,
  });
  const beat = setInterval(() => {
    heartbeat(db, id, isoNow()).catch(() => {});
  }, HEARTBEAT_MS);
  beat.unref();
  const problems = new Problems();
  try {
    const result = await writeBackup(deps, req, id, started, problems);
    const row = await finish(db, id, 'succeeded', result.manifest.finished_at, {
      database_bytes: result.databaseBytes,
      size_bytes: result.sizeBytes,
      objects_total: result.inventory.objects,
      objects_bytes: result.inventory.bytes,
      objects_copied: result.inventory.copied,
      verification: 'passed',
      verification_problems: JSON.stringify([]),
    });
    return { ...row, warnings: result.warnings, manifest: result.manifest, prune: result.prune };
  } catch (err) {
    const failure = asBackupError(err);
    const verified = failure.code === 'FH_ERR_BACKUP_INCOMPLETE' && problems.count > 0;
    await finish(db, id, 'failed', isoNow(), {
      error_code: failure.code,
      error_message: failure.message,
      ...(verified
        ? { verification: 'failed', verification_problems: JSON.stringify(problems.summary()) }
        : {}),
    }).catch(() => {});
    throw new AppError(failure.code, failure.message, { backup_id: id, problems: problems.summary() });
  } finally {
    clearInterval(beat);
  }
}

/** Every complete backup of a target, newest first. */
export async function listBackupsInTarget(target: string): Promise<BackupListing[]> {
  const { store } = await openTarget(target);
  const out: BackupListing[] = [];
  try {
    for (const b of (await listStoredBackups(store)).reverse()) {
      if (!b.complete) continue;
      const manifest = await readManifest(store, b.id);
      if (manifest)
        out.push({ id: b.id, manifest, size_bytes: manifest.files.reduce((n, f) => n + f.size, 0) });
    }
  } catch (err) {
    throw asBackupError(err);
  }
  return out;
}

interface Written {
  manifest: Manifest;
  inventory: InventoryResult;
  databaseBytes: number;
  sizeBytes: number;
  warnings: string[];
  prune: PruneResult | null;
}

async function writeBackup(
  deps: BackupDeps,
  req: BackupRequest,
  id: string,
  started: Date,
  problems: Problems,
): Promise<Written> {
  const targetUrl = targetStoreUrl(req.target);
  const stores = [deps.config.storageUrl, deps.config.lifecycleColdStorageUrl].filter((u) => u !== undefined);
  if (stores.some((u) => locationsOverlap(targetUrl, u)))
    throw new AppError(
      'FH_ERR_BACKUP_TARGET',
      `The target ${req.target} is inside the store it would back up (or holds it): choose another folder or prefix`,
    );
  const { store: target } = await openTarget(req.target);
  const progress = req.onProgress ?? (() => {});
  const signal = req.signal;
  let complete = false;
  try {
    const previous = (await listStoredBackups(target)).filter((b) => b.complete).at(-1);
    const previousManifest = previous ? await readManifest(target, previous.id) : null;

    let secrets: { params: SecretsParams; writer: LineWriter } | null = null;
    if (req.passphrase !== undefined) {
      const params = newSecretsParams();
      const key = await deriveKey(req.passphrase, params);
      secrets = { params, writer: writeLines(target, secretsKey(id), { encryptWith: key }) };
    }

    // Database.
    const snapshotAt = isoNow();
    await recordSnapshotAt(deps.db, id, snapshotAt);
    let dump: DumpResult;
    let migration: string | null;
    let dialect: Manifest['dialect'];
    let secretsFile: FileDigest | null = null;
    try {
      ({ dump, migration, dialect } = await withDatabaseSnapshot(
        deps.db,
        { databaseUrl: deps.config.databaseUrl, scratchDir: deps.config.dataDir },
        async (snap) => {
          let total = 0;
          for (const t of snap.tables) if (isBackedUp(t.name)) total += await snap.count(t);
          let done = 0;
          progress({ phase: 'database', done, total, unit: 'rows' });
          const dumped = await dumpTables(snap, target, id, {
            ...(secrets ? { secrets: secrets.writer } : {}),
            onRows: (n) => {
              done += n;
              progress({ phase: 'database', done, total: Math.max(total, done), unit: 'rows' });
            },
            ...(signal ? { signal } : {}),
          });
          return { dump: dumped, migration: snap.migration, dialect: snap.dialect };
        },
      ));
      if (secrets) secretsFile = await secrets.writer.close();
    } catch (err) {
      await secrets?.writer.abort(err as Error);
      throw err;
    }
    if (!migration) throw new Error('The database has no migration applied: nothing to back up');

    // Objects.
    const estimate = previousManifest?.counts.objects ?? 0;
    const inventory = await buildInventory({
      source: deps.store,
      target,
      backupId: id,
      previous: previous ? readInventory(target, previous.id) : null,
      copy: req.objects === 'all',
      onProgress: ({ objects, copiedBytes }) => {
        progress({ phase: 'inventory', done: objects, total: Math.max(estimate, objects), unit: 'objects' });
        progress({ phase: 'objects', done: copiedBytes, total: 0, unit: 'bytes' });
      },
      ...(signal ? { signal } : {}),
    });

    const files: Manifest['files'] = [
      ...dump.files,
      { path: 'inventory.ndjson.gz', ...inventory.file },
      ...(secretsFile ? [{ path: 'secrets.json.enc', ...secretsFile }] : []),
    ];

    // Verification: every file read back; every pool object present with its size.
    const checks = files.length + (req.objects === 'all' ? inventory.objects : 0);
    let checked = 0;
    const tick = () => progress({ phase: 'verify', done: ++checked, total: checks, unit: 'files' });
    await verifyFiles(target, id, files, problems, tick);
    if (req.objects === 'all') await verifyPool(target, id, problems, tick);
    if (problems.count > 0)
      throw new AppError(
        'FH_ERR_BACKUP_INCOMPLETE',
        `Verification found ${problems.count} problem(s): ${problems.list.slice(0, 3).join('; ')}`,
      );

    const rows = dump.rows;
    const manifest: Manifest = {
      format: 1,
      framehouse_version: framehouseVersion(),
      migration,
      dialect,
      snapshot_at: snapshotAt,
      started_at: started.toISOString(),
      finished_at: isoNow(),
      objects: req.objects,
      counts: {
        tables: rows,
        assets: rows.assets ?? 0,
        users: rows.users ?? 0,
        live_streams: rows.live_streams ?? 0,
        objects: inventory.objects,
        object_bytes: inventory.bytes,
      },
      files,
      secrets: secrets?.params ?? null,
      source: { database: dialect, storage: storageDescription(deps.config.storageUrl) },
    };
    await writeManifest(target, id, manifest);
    complete = true;

    const warnings = inventory.vanished.map((k) => `${k}: deleted while the backup ran, left out`);
    let prune: PruneResult | null = null;
    if (req.keep !== undefined) {
      try {
        prune = await pruneTarget(target, {
          keep: req.keep,
          current: id,
          onStep: (done, total) => progress({ phase: 'prune', done, total, unit: 'files' }),
        });
      } catch (err) {
        // The backup is written and verified: a prune that fails is the next run's to redo.
        warnings.push(`pruning the target failed: ${(err as Error).message}`);
      }
    }

    const fileBytes = files.reduce((n, f) => n + f.size, 0);
    const databaseBytes = dump.files.reduce((n, f) => n + f.size, 0) + (secretsFile?.size ?? 0);
    const manifestBytes = Buffer.byteLength(`${JSON.stringify(manifest, null, 2)}\n`);
    return {
      manifest,
      inventory,
      databaseBytes,
      sizeBytes: fileBytes + manifestBytes + inventory.copiedBytes,
      warnings,
      prune,
    };
  } catch (err) {
    // What a failed run wrote goes at once (the pool's new objects stay, named by content, for
    // the next run); a complete backup is never removed here.
    if (!complete) await target.deletePrefix(backupPrefix(id)).catch(() => {});
    throw err;
  }
}

/** The store's URL as a manifest may show it: a folder's path, an s3:// URL (never with credentials). */
function storageDescription(url: string): string {
  return url.startsWith('file:') ? url.slice('file:'.length) : url;
}

function asBackupError(err: unknown): AppError & { code: ErrorCode } {
  if (err instanceof AppError && err.code.startsWith('FH_ERR_BACKUP')) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('FH_ERR_BACKUP_TARGET', message || 'The backup stopped');
}
