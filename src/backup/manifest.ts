import { readFileSync } from 'node:fs';
import type { DialectName } from '../db/dialect-helpers.ts';
import { AppError } from '../shared/errors.ts';
import { ObjectNotFoundError, type ObjectStore } from '../storage/object-store.ts';
import { manifestKey } from './archive-layout.ts';
import { checkSecretsParams, type SecretsParams } from './secrets-crypto.ts';

/** `manifest.json`, written last: a backup without it is incomplete (docs/operations.md). */
export interface Manifest {
  format: 1;
  framehouse_version: string;
  /** The last migration applied to the database backed up. */
  migration: string;
  dialect: DialectName;
  snapshot_at: string;
  started_at: string;
  finished_at: string;
  objects: 'all' | 'none';
  counts: {
    /** Rows per table, as in the dump. */
    tables: Record<string, number>;
    assets: number;
    users: number;
    live_streams: number;
    objects: number;
    object_bytes: number;
  };
  /** Every other file of the backup, relative to its folder. */
  files: Array<{ path: string; size: number; sha256: string }>;
  secrets: SecretsParams | null;
  source: { database: DialectName; storage: string };
}

export const MANIFEST_FORMAT = 1;

/** This checkout's version (package.json is two folders up from src/backup and dist/backup). */
export function framehouseVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function writeManifest(target: ObjectStore, id: string, manifest: Manifest): Promise<void> {
  await target.put(manifestKey(id), `${JSON.stringify(manifest, null, 2)}\n`);
}

const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** The manifest of a backup, checked for the fields a restore relies on; null when there is none. */
export async function readManifest(target: ObjectStore, id: string): Promise<Manifest | null> {
  let text: string;
  try {
    // A manifest lists the backup's files: kilobytes. Anything far larger is not one of ours.
    const size = (await target.stat(manifestKey(id)))?.size ?? 0;
    if (size > MAX_MANIFEST_BYTES)
      throw new AppError(
        'FH_ERR_BACKUP_INCOMPLETE',
        `Backup ${id}: the manifest is ${size} bytes, too large to be one`,
      );
    text = (await target.getBuffer(manifestKey(id))).toString('utf8');
  } catch (err) {
    if (err instanceof ObjectNotFoundError) return null;
    throw err;
  }
  return parseManifest(text, id);
}

/** Throws FH_ERR_BACKUP_INCOMPLETE for a manifest this version cannot rely on. */
export function parseManifest(text: string, id: string): Manifest {
  const bad = (why: string) =>
    new AppError('FH_ERR_BACKUP_INCOMPLETE', `Backup ${id}: the manifest is not usable (${why})`);
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw bad('not JSON');
  }
  if (typeof m !== 'object' || m === null) throw bad('not an object');
  if (m.format !== MANIFEST_FORMAT)
    throw bad(`format ${String(m.format)}, this version reads ${MANIFEST_FORMAT}`);
  if (typeof m.migration !== 'string' || !m.migration) throw bad('no migration');
  if (m.dialect !== 'sqlite' && m.dialect !== 'postgres') throw bad('unknown dialect');
  if (m.objects !== 'all' && m.objects !== 'none') throw bad('unknown objects mode');
  if (!Array.isArray(m.files)) throw bad('no file list');
  for (const f of m.files) {
    const safe = typeof f.path === 'string' && /^[a-z]+(\/[A-Za-z0-9._-]+)*$|^[A-Za-z0-9._-]+$/.test(f.path);
    if (
      !safe ||
      f.path.split('/').includes('..') ||
      typeof f.size !== 'number' ||
      !/^[0-9a-f]{64}$/.test(f.sha256)
    )
      throw bad(`file entry ${JSON.stringify(f).slice(0, 100)}`);
  }
  if (m.secrets !== null) {
    try {
      checkSecretsParams(m.secrets);
    } catch (err) {
      throw bad((err as Error).message);
    }
  }
  if (typeof m.counts !== 'object' || m.counts === null) throw bad('no counts');
  return m;
}

/** Whether this version knows the backup's migration (an unknown one is a newer version's). */
export function checkMigrationKnown(manifest: Manifest, known: readonly string[], id: string): void {
  if (!known.includes(manifest.migration))
    throw new AppError(
      'FH_ERR_BACKUP_NEWER',
      `Backup ${id} was made at migration ${manifest.migration}, which this version (${framehouseVersion()}, last migration ${known.at(-1)}) does not know: upgrade Framehouse first.`,
    );
}
