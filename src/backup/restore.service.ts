import type { Kysely } from 'kysely';
import type { Config } from '../config/config.ts';
import { type Db, migrateTo, migrateToLatest, openDatabase } from '../db/database.ts';
import type { DialectName } from '../db/dialect-helpers.ts';
import { migrations } from '../db/migrations/index.ts';
import { AppError } from '../shared/errors.ts';
import { isoNow } from '../shared/time.ts';
import { openStoreWithColdTier } from '../storage/create-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { readLines } from './archive-file.ts';
import { fileKey, poolKey } from './archive-layout.ts';
import { locationsOverlap, openTarget, targetStoreUrl } from './backup-target.ts';
import { checkMigrationKnown, type Manifest, readManifest } from './manifest.ts';
import { type InventoryEntry, OBJECT_CONCURRENCY, readInventory } from './object-inventory.ts';
import { mapOrdered } from './ordered-map.ts';
import { listStoredBackups } from './prune.ts';
import {
  countRows,
  markBackupFinished,
  removeInstanceSettings,
  removeTwoFactor,
  removeUnfinishedUploads,
  retireSigningKeys,
} from './restore.repo.ts';
import {
  databaseContents,
  dialectOfDb,
  emptyDatabase,
  resetSequences,
  runningProcesses,
  targetCatalog,
} from './restore-database.ts';
import { placeholderSecret, secretPlan } from './secret-columns.ts';
import { deriveKey } from './secrets-crypto.ts';
import { applySecrets, checkSecretsOpen } from './secrets-restore.ts';
import type { TableInfo } from './table-catalog.ts';
import type { TableHeader } from './table-dump.ts';
import { loadRows } from './table-load.ts';
import type { DumpValue } from './value-codec.ts';
import { Problems, verifyFiles, verifyStoredObject } from './verify.ts';

/**
 * `framehouse restore` (docs/operations.md, "Restore"): into the configured database and store,
 * which must be empty (or emptied with `force`). It checks the backup before it touches
 * anything, loads the rows at the backup's migration, migrates to the latest, puts the objects
 * back and reads every one of them back.
 */
export interface RestoreProgress {
  phase: 'check' | 'database' | 'objects' | 'verify';
  done: number;
  total: number;
  unit: 'rows' | 'objects' | 'files';
}

export interface RestoreRequest {
  /** A folder or s3://bucket/prefix?… */
  from: string;
  /** Absent: the newest complete backup of the target. */
  backupId?: string;
  /** Empties a database or store that holds something (every table of ours dropped, every object deleted). */
  force: boolean;
  /** `none`: the store kept its objects (a replicated bucket): nothing copied, everything still verified. */
  objects: 'all' | 'none';
  passphrase?: string;
  onProgress?: (p: RestoreProgress) => void;
}

export interface RestoreReport {
  backupId: string;
  manifest: Manifest;
  secretsRestored: boolean;
  /** What was changed from the backup and why (missing secrets, unfinished uploads), to print. */
  notes: string[];
  rows: number;
  objectsCopied: number;
  objectsVerified: number;
  /** Missing or different objects (the first 100, and how many more). */
  problems: string[];
  problemCount: number;
}

export async function runRestore(config: Config, req: RestoreRequest): Promise<RestoreReport> {
  const progress = req.onProgress ?? (() => {});
  const targetUrl = targetStoreUrl(req.from);
  const stores = [config.storageUrl, config.lifecycleColdStorageUrl].filter((u) => u !== undefined);
  if (stores.some((u) => locationsOverlap(targetUrl, u)))
    throw new AppError(
      'FH_ERR_BACKUP_TARGET',
      `${req.from} is inside the store to restore into (or holds it)`,
    );
  const { store: target } = await openTarget(req.from);

  // 1. The backup, checked before anything changes.
  const id = await chooseBackup(target, req.backupId, req.from);
  const manifest = await readManifest(target, id);
  if (!manifest)
    throw new AppError('FH_ERR_BACKUP_INCOMPLETE', `Backup ${id} has no manifest: it did not finish`);
  checkMigrationKnown(manifest, Object.keys(migrations), id);
  const fileProblems = new Problems();
  let checked = 0;
  await verifyFiles(target, id, manifest.files, fileProblems, () =>
    progress({ phase: 'check', done: ++checked, total: manifest.files.length, unit: 'files' }),
  );
  if (fileProblems.count > 0)
    throw new AppError(
      'FH_ERR_BACKUP_INCOMPLETE',
      `Backup ${id} is damaged: ${fileProblems.summary().join('; ')}`,
      { problems: fileProblems.summary() },
    );
  const notes: string[] = [];
  let secretKey: Buffer | null = null;
  if (manifest.secrets && req.passphrase !== undefined) {
    secretKey = await deriveKey(req.passphrase, manifest.secrets);
    await checkSecretsOpen(target, id, secretKey);
  } else if (manifest.secrets) {
    notes.push('secrets: not restored (no passphrase given); what that changes follows');
  } else {
    notes.push(
      `secrets: not restored (backup ${id} was made without --include-secrets); what that changes follows`,
    );
    if (req.passphrase !== undefined) notes.push('the passphrase given was not needed');
  }

  // 2. The target, empty or emptied.
  const store = await openStoreWithColdTier(config.storageUrl, config.lifecycleColdStorageUrl);
  const copy = manifest.objects === 'all' && req.objects === 'all';
  let db = openDatabase(config.databaseUrl);
  try {
    const holds = await databaseContents(db);
    const storeHolds = copy ? await hasAnyObject(store) : false;
    if ((holds.length > 0 || storeHolds) && !req.force) {
      const what = [...holds.map((t) => `rows in ${t}`), ...(storeHolds ? ['objects in the store'] : [])];
      throw new AppError(
        'FH_ERR_RESTORE_TARGET_NOT_EMPTY',
        `The target is not empty (${what.join(', ')}): restore with --force to replace it`,
      );
    }
    const running = await runningProcesses(db);
    if (running.length > 0)
      throw new AppError(
        'FH_ERR_RESTORE_SERVERS_RUNNING',
        `Servers still use this database (${running.slice(0, 5).join(', ')}): stop every serve, api, worker and live process first`,
      );
    db = await emptyDatabase(db, config.databaseUrl);
    if (copy && storeHolds) await store.deletePrefix('');

    // 3–4, 6. Rows at the backup's migration, then the latest.
    await migrateTo(db, manifest.migration);
    const tables = await targetCatalog(db);
    const rows = await loadDatabase(db, target, id, manifest, tables, secretKey, notes, progress);
    await resetSequences(db as unknown as Kysely<unknown>, tables);
    await migrateToLatest(db);

    // 5. Objects back, then every one read back.
    const objects = await restoreObjects(store, target, id, copy, manifest.counts.objects, progress);
    return {
      backupId: id,
      manifest,
      secretsRestored: secretKey !== null,
      notes,
      rows,
      objectsCopied: objects.copied,
      objectsVerified: objects.verified,
      problems: objects.problems.summary(),
      problemCount: objects.problems.count,
    };
  } finally {
    await db.destroy();
  }
}

async function chooseBackup(target: ObjectStore, wanted: string | undefined, from: string): Promise<string> {
  const backups = await listStoredBackups(target);
  if (wanted !== undefined) {
    const found = backups.find((b) => b.id === wanted);
    if (!found) throw new AppError('FH_ERR_BACKUP_NOT_FOUND', `No backup ${wanted} in ${from}`);
    return found.id;
  }
  const newest = backups.filter((b) => b.complete).at(-1);
  if (!newest) throw new AppError('FH_ERR_BACKUP_NOT_FOUND', `${from} holds no complete backup`);
  return newest.id;
}

async function hasAnyObject(store: ObjectStore): Promise<boolean> {
  for await (const _ of store.listDetailed('')) return true;
  return false;
}

/** The table files of a manifest by table name (`database/{NNN}-{table}.ndjson.gz`). */
function tableFiles(manifest: Manifest): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of manifest.files) {
    const m = /^database\/\d{3}-(.+)\.ndjson\.gz$/.exec(f.path);
    if (m?.[1]) out.set(m[1], f.path);
  }
  return out;
}

async function loadDatabase(
  db: Db,
  target: ObjectStore,
  id: string,
  manifest: Manifest,
  tables: TableInfo[],
  secretKey: Buffer | null,
  notes: string[],
  progress: (p: RestoreProgress) => void,
): Promise<number> {
  const dialect: DialectName = dialectOfDb(db);
  const files = tableFiles(manifest);
  const total = Object.values(manifest.counts.tables).reduce((n, c) => n + c, 0);
  const known = new Set(tables.map((t) => t.name));
  for (const name of files.keys())
    if (!known.has(name)) notes.push(`table ${name} of the backup is not in this version's schema: left out`);
  let done = 0;
  progress({ phase: 'database', done, total, unit: 'rows' });
  return db.transaction().execute(async (trx) => {
    const k = trx as unknown as Kysely<unknown>;
    for (const table of tables) {
      const path = files.get(table.name);
      if (!path) continue;
      const plan = secretPlan(table);
      const fill: Record<string, () => unknown> = {};
      if (plan.kind === 'columns')
        for (const c of plan.columns) fill[c] = () => placeholderSecret(table.name, c);
      const { header, rows } = await openTableFile(target, fileKey(id, path), table.name);
      const loaded = await loadRows(k, table, header.columns, rows, {
        dialect,
        fill,
        onRows: (n) => {
          done += n;
          progress({ phase: 'database', done, total: Math.max(total, done), unit: 'rows' });
        },
      });
      if (loaded.droppedColumns.length > 0)
        notes.push(
          `${table.name}: column(s) ${loaded.droppedColumns.join(', ')} of the backup left out (not in this schema)`,
        );
    }
    if (secretKey) {
      const applied = await applySecrets(
        k,
        target,
        id,
        secretKey,
        new Map(tables.map((t) => [t.name, t])),
        dialect,
      );
      const parts = Object.entries(applied)
        .filter(([, n]) => n > 0)
        .map(([t, n]) => `${t} ${n}`);
      notes.push(`secrets: restored (${parts.join(', ') || 'none were set'})`);
    } else {
      await withoutSecrets(trx, notes);
    }
    const uploads = await removeUnfinishedUploads(trx);
    if (uploads.length > 0)
      notes.push(
        `${uploads.length} upload(s) unfinished at backup time removed (their bytes were staged outside the store; their clients start again): ${uploads.slice(0, 5).join(', ')}${uploads.length > 5 ? ', …' : ''}`,
      );
    await markBackupFinished(trx, id, manifest);
    return done;
  });
}

/** Restore step 4: what a database without the backup's secrets gets instead, each said. */
async function withoutSecrets(db: Db, notes: string[]): Promise<void> {
  const webhooks = await countRows(db, 'webhooks');
  if (webhooks > 0)
    notes.push(`${webhooks} webhook(s) got new signing secrets: give their receivers the new ones`);
  const streams = await countRows(db, 'live_streams');
  if (streams > 0)
    notes.push(
      `${streams} live stream(s): stream keys are not shown (encoders keep publishing with the old key; its owner resets it to see a new one); new SRT passphrases`,
    );
  const keys = await retireSigningKeys(db, isoNow());
  if (keys > 0)
    notes.push(
      `${keys} playback signing key(s) retired: signed URLs made before no longer verify; a new key is made at start`,
    );
  const twoFactor = await removeTwoFactor(db);
  if (twoFactor > 0)
    notes.push(
      `${twoFactor} two-factor enrolment(s) removed: those users sign in with their password and enrol again`,
    );
  await removeInstanceSettings(db);
  notes.push(
    'sessions and verifications are empty: everyone signs in again; sign-in provider tokens are dropped',
  );
}

async function openTableFile(
  target: ObjectStore,
  key: string,
  table: string,
): Promise<{ header: TableHeader; rows: AsyncIterable<DumpValue[]> }> {
  const it = readLines(target, key)[Symbol.asyncIterator]();
  const first = await it.next();
  const header = first.done ? null : (JSON.parse(first.value) as TableHeader);
  if (!header || header.table !== table || !Array.isArray(header.columns)) {
    await it.return?.();
    throw new AppError('FH_ERR_BACKUP_INCOMPLETE', `${key}: not the file of table ${table}`);
  }
  const rows = (async function* () {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield JSON.parse(r.value) as DumpValue[];
    }
  })();
  return { header, rows };
}

/**
 * Every inventory object from the pool to its key, then (a second pass, so that no object is read
 * back the moment it was written) every entry read back and checked.
 */
async function restoreObjects(
  store: ObjectStore,
  target: ObjectStore,
  id: string,
  copy: boolean,
  total: number,
  progress: (p: RestoreProgress) => void,
): Promise<{ copied: number; verified: number; problems: Problems }> {
  const problems = new Problems();
  const failed = new Set<string>();
  let copied = 0;
  if (copy) {
    const copying = mapOrdered(readInventory(target, id), OBJECT_CONCURRENCY, async (e: InventoryEntry) => {
      try {
        await store.put(e.key, await target.get(poolKey(e.sha256)));
        copied++;
      } catch (err) {
        problems.add(`${e.key}: not copied back (${(err as Error).message})`);
        failed.add(e.key);
      }
      progress({ phase: 'objects', done: copied, total, unit: 'objects' });
    });
    for await (const _ of copying);
  }
  let verified = 0;
  let seen = 0;
  const checking = mapOrdered(readInventory(target, id), OBJECT_CONCURRENCY, async (e: InventoryEntry) => {
    if (!failed.has(e.key) && (await verifyStoredObject(store, e, problems))) verified++;
    progress({ phase: 'verify', done: ++seen, total, unit: 'objects' });
  });
  for await (const _ of checking);
  return { copied, verified, problems };
}
