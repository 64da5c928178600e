import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { StoredObject } from './backup-sites.ts';

/**
 * Reads a backup target (a folder, or a bucket prefix) the way an auditor would, from the
 * layout docs/operations.md gives ("The archive"), without the engine's code: the manifest, the
 * per-table dump files, the inventory.
 */
export interface ArchiveReader {
  /** Paths relative to the target. */
  list(): Promise<string[]>;
  read(path: string): Promise<Buffer>;
}

export function folderArchive(dir: string): ArchiveReader {
  return {
    async list() {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort();
    },
    read: (path) => readFile(join(dir, path)),
  };
}

export function bucketArchive(
  b: { listAll(prefix?: string): Promise<{ key: string }[]>; read(key: string): Promise<Buffer> },
  prefix: string,
): ArchiveReader {
  return {
    async list() {
      return (await b.listAll(`${prefix}/`)).map((o) => o.key.slice(prefix.length + 1)).sort();
    },
    read: (path) => b.read(`${prefix}/${path}`),
  };
}

export interface Manifest {
  format: number;
  migration: string;
  dialect: string;
  snapshot_at: string;
  objects: 'all' | 'none';
  counts: {
    tables: Record<string, number>;
    assets: number;
    users: number;
    live_streams: number;
    objects: number;
    object_bytes: number;
  };
  files: { path: string; size: number; sha256: string }[];
  secrets: null | Record<string, unknown>;
  source: { database: string; storage: string };
}

/** The backups of a target that have a manifest (complete), oldest first. */
export async function completeBackups(archive: ArchiveReader): Promise<{ id: string; manifest: Manifest }[]> {
  const ids = (await archive.list())
    .map((p) => /^backups\/([^/]+)\/manifest\.json$/.exec(p)?.[1])
    .filter((id): id is string => Boolean(id))
    .sort();
  const found = [];
  for (const id of ids)
    found.push({
      id,
      manifest: JSON.parse((await archive.read(`backups/${id}/manifest.json`)).toString()) as Manifest,
    });
  return found;
}

export async function newestBackup(archive: ArchiveReader): Promise<{ id: string; manifest: Manifest }> {
  const all = await completeBackups(archive);
  const last = all.at(-1);
  assert.ok(last, 'the target holds a complete backup');
  return last;
}

const ndjson = (gz: Buffer) =>
  gunzipSync(gz)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);

/** The rows of one table as the dump holds them (column name → value). */
export async function dumpedRows(
  archive: ArchiveReader,
  id: string,
  table: string,
): Promise<Record<string, unknown>[]> {
  const file = (await archive.list()).find((p) =>
    new RegExp(`^backups/${id}/database/\\d+-${table}\\.ndjson\\.gz$`).test(p),
  );
  if (!file) return [];
  const [header, ...rows] = ndjson(await archive.read(file)) as [
    { table: string; columns: string[] },
    ...unknown[][],
  ];
  assert.equal(header.table, table);
  return rows.map((row) => Object.fromEntries(header.columns.map((c, i) => [c, row[i]])));
}

/** The inventory: every object of the store at backup time, key → size and SHA-256. */
export async function inventoryOf(archive: ArchiveReader, id: string): Promise<Map<string, StoredObject>> {
  const entries = ndjson(await archive.read(`backups/${id}/inventory.ndjson.gz`)) as {
    key?: string;
    size?: number;
    sha256?: string;
  }[];
  const found = new Map<string, StoredObject>();
  for (const e of entries) if (e.key && e.sha256) found.set(e.key, { size: e.size ?? -1, sha256: e.sha256 });
  return found;
}

/** Which of `secrets` appear anywhere in the backup's files, gzip or not (none should). */
export async function secretsInClear(
  archive: ArchiveReader,
  id: string,
  secrets: string[],
): Promise<string[]> {
  const seen = new Set<string>();
  for (const path of await archive.list()) {
    if (!path.startsWith(`backups/${id}/`)) continue;
    const raw = await archive.read(path);
    const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    for (const s of secrets) if (s && text.includes(s)) seen.add(`${s.slice(0, 6)}… in ${path}`);
  }
  return [...seen];
}
