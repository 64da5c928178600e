import { ObjectNotFoundError, type ObjectStore } from '../storage/object-store.ts';
import { digestStored } from './archive-file.ts';
import { fileKey, poolKey } from './archive-layout.ts';
import type { Manifest } from './manifest.ts';
import { type InventoryEntry, readInventory } from './object-inventory.ts';
import { mapOrdered } from './ordered-map.ts';

/** What a verification found wrong: every problem counted, the first 100 kept (docs/operations.md). */
export class Problems {
  static readonly KEEP = 100;
  readonly list: string[] = [];
  count = 0;

  add(problem: string): void {
    this.count++;
    if (this.list.length < Problems.KEEP) this.list.push(problem);
  }

  /** The kept problems, and how many more there were. */
  summary(): string[] {
    const more = this.count - this.list.length;
    return more > 0 ? [...this.list, `… and ${more} more`] : [...this.list];
  }
}

/** Stat calls at once while checking the pool: light requests, so more than the copies. */
const CHECK_CONCURRENCY = 8;

/** Every file of the backup read back and compared with the manifest's size and SHA-256. */
export async function verifyFiles(
  target: ObjectStore,
  id: string,
  files: Manifest['files'],
  problems: Problems,
  onFile?: () => void,
): Promise<void> {
  async function* list() {
    yield* files;
  }
  for await (const _ of mapOrdered(list(), 4, async (f) => {
    try {
      const got = await digestStored(target, fileKey(id, f.path));
      if (got.size !== f.size || got.sha256 !== f.sha256)
        problems.add(
          `${f.path}: ${got.size} bytes, sha256 ${got.sha256.slice(0, 12)}…; the manifest says ${f.size} bytes, ${f.sha256.slice(0, 12)}…`,
        );
    } catch (err) {
      if (!(err instanceof ObjectNotFoundError)) throw err;
      problems.add(`${f.path}: missing`);
    }
    onFile?.();
  }));
}

/** Every inventory entry's pool object present, with its size. */
export async function verifyPool(
  target: ObjectStore,
  id: string,
  problems: Problems,
  onObject?: () => void,
): Promise<number> {
  let checked = 0;
  for await (const _ of mapOrdered(readInventory(target, id), CHECK_CONCURRENCY, async (e) => {
    const info = await target.stat(poolKey(e.sha256));
    if (!info) problems.add(`${e.key}: its copy ${e.sha256.slice(0, 12)}… is not in the pool`);
    else if (info.size !== e.size)
      problems.add(`${e.key}: its copy in the pool has ${info.size} bytes, not ${e.size}`);
    checked++;
    onObject?.();
  }));
  return checked;
}

/**
 * A restored (or kept) object checked against its inventory entry: present, same size, same
 * SHA-256 read back from the store.
 */
export async function verifyStoredObject(
  store: ObjectStore,
  e: InventoryEntry,
  problems: Problems,
): Promise<boolean> {
  try {
    const got = await digestStored(store, e.key);
    if (got.size !== e.size) problems.add(`${e.key}: ${got.size} bytes, the backup had ${e.size}`);
    else if (got.sha256 !== e.sha256)
      problems.add(`${e.key}: its content differs from the backup's (sha256)`);
    else return true;
  } catch (err) {
    if (!(err instanceof ObjectNotFoundError)) throw err;
    problems.add(`${e.key}: missing`);
  }
  return false;
}
