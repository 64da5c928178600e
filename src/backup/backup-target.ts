import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../shared/errors.ts';
import { createObjectStore } from '../storage/create-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';

/**
 * A backup target is a folder or an `s3://bucket/prefix?…` URL. Both are opened with the
 * object-store adapters (a folder as `file:` + its path), so one code path writes and reads
 * either kind.
 */
export interface BackupTarget {
  store: ObjectStore;
  /** Where it is, without credentials: an absolute folder or the s3:// URL (which never holds any). */
  description: string;
}

export async function openTarget(target: string): Promise<BackupTarget> {
  const url = targetStoreUrl(target);
  try {
    const store = await createObjectStore(url);
    return { store, description: url.startsWith('file:') ? url.slice('file:'.length) : url };
  } catch (err) {
    throw new AppError('FH_ERR_BACKUP_TARGET', `${target}: ${(err as Error).message}`);
  }
}

/** The object-store URL of a target. */
export function targetStoreUrl(target: string): string {
  if (target.startsWith('s3://')) return target;
  if (target.startsWith('file://')) return `file:${fileURLToPath(target)}`;
  if (target.startsWith('file:')) return `file:${resolve(target.slice('file:'.length))}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target))
    throw new AppError('FH_ERR_BACKUP_TARGET', `${target}: a target is a folder or s3://bucket/prefix`);
  return `file:${resolve(target)}`;
}

/**
 * True when one location holds the other: a target inside the store would be copied into
 * itself by every backup, and emptied by a restore's --force.
 */
export function locationsOverlap(targetUrl: string, storeUrl: string): boolean {
  const a = locationOf(targetUrl);
  const b = locationOf(storeUrl);
  if (!a || !b || a.space !== b.space) return false;
  const inside = (x: string, y: string) => x === y || y === '' || x.startsWith(`${y}/`);
  return inside(a.path, b.path) || inside(b.path, a.path);
}

function locationOf(url: string): { space: string; path: string } | null {
  if (url.startsWith('file:')) {
    const path = url.startsWith('file://') ? fileURLToPath(url) : resolve(url.slice('file:'.length));
    return { space: 'file', path: path.split(sep).join('/').replace(/\/+$/, '') };
  }
  if (url.startsWith('s3://')) {
    const u = new URL(url);
    return {
      space: `s3:${u.searchParams.get('endpoint') ?? ''}:${u.hostname}`,
      path: u.pathname.replace(/^\/+|\/+$/g, ''),
    };
  }
  return null;
}
