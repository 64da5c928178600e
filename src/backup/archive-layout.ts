import { randomInt } from 'node:crypto';

/**
 * Where each part of a backup lives in a target (docs/operations.md, "The archive"). Every
 * backup of a target shares one pool of objects, named by content.
 */
export const POOL_PREFIX = 'objects/sha256/';
/** Objects being copied into the pool before their hash (and so their key) is known. */
export const POOL_TMP_PREFIX = 'objects/tmp/';
export const BACKUPS_PREFIX = 'backups/';

export const poolKey = (sha256: string): string => `${POOL_PREFIX}${sha256.slice(0, 2)}/${sha256}`;
export const backupPrefix = (id: string): string => `${BACKUPS_PREFIX}${id}/`;
export const manifestKey = (id: string): string => `${backupPrefix(id)}manifest.json`;
export const inventoryKey = (id: string): string => `${backupPrefix(id)}inventory.ndjson.gz`;
export const secretsKey = (id: string): string => `${backupPrefix(id)}secrets.json.enc`;

/** `database/{NNN}-{table}.ndjson.gz`, relative to the backup's folder (as in the manifest). */
export const tableFile = (index: number, table: string): string =>
  `database/${String(index).padStart(3, '0')}-${table}.ndjson.gz`;

/** A path of the manifest's `files` list as a key of the target. */
export const fileKey = (id: string, path: string): string => `${backupPrefix(id)}${path}`;

const ID_PATTERN = /^(\d{8}T\d{6}Z)-[a-z0-9]{6}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * `YYYYMMDDTHHMMSSZ-{6}`: names sort by time. The six characters begin with the milliseconds in
 * base 36 (two digits, which sort as the numbers do), so two backups of one second sort too;
 * four random ones follow.
 */
export function newBackupId(at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  let suffix = at.getUTCMilliseconds().toString(36).padStart(2, '0');
  for (let i = 0; i < 4; i++) suffix += ALPHABET[randomInt(ALPHABET.length)];
  return `${stamp}-${suffix}`;
}

export const isBackupId = (id: string): boolean => ID_PATTERN.test(id);

/** When a backup began, read from its id (null for a name that is not one of ours). */
export function backupIdTime(id: string): Date | null {
  const m = ID_PATTERN.exec(id);
  if (!m?.[1]) return null;
  const s = m[1];
  return new Date(
    `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`,
  );
}
