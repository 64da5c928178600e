import { randomBytes } from 'node:crypto';
import { newSrtPassphrase } from '../live/streams/stream-keys.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';
import type { TableInfo } from './table-catalog.ts';

/**
 * What a backup never writes in clear (docs/operations.md, "Secrets"). Password hashes (scrypt)
 * and API-key and stream-key hashes (SHA-256 of 256-bit keys) are not secrets in this sense and
 * stay in the dump.
 */
const SECRET_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  playback_signing_keys: ['secret'],
  webhooks: ['secret'],
  live_streams: ['stream_key', 'srt_passphrase'],
  two_factors: ['secret', 'backupCodes'],
  accounts: ['accessToken', 'refreshToken', 'idToken'],
  instance_settings: ['value'],
};
/** Tables that are secrets as a whole (sign-in sessions, e-mail and reset tokens). */
const SECRET_TABLES: ReadonlySet<string> = new Set(['sessions', 'verifications']);

/**
 * How a table's rows split between the dump and the secrets file:
 * - `none`: all in the dump;
 * - `columns`: the dump holds null in `columns`; the secrets file holds the row's key and them;
 * - `table`: the dump holds no rows; the secrets file holds them all.
 */
export type SecretPlan =
  | { kind: 'none' }
  | {
      kind: 'columns';
      key: string[];
      columns: string[];
      keyAt: number[];
      columnsAt: number[];
      /** A row whose columns hold no secret (in the dump as they are). */
      isPublic?: (row: readonly unknown[]) => boolean;
    }
  | { kind: 'table' };

export function secretPlan(table: TableInfo): SecretPlan {
  if (SECRET_TABLES.has(table.name)) return { kind: 'table' };
  const wanted = SECRET_COLUMNS[table.name];
  const names = table.columns.map((c) => c.name);
  const columns = (wanted ?? []).filter((c) => names.includes(c));
  if (columns.length === 0) return { kind: 'none' };
  if (table.primaryKey.length === 0) throw new Error(`${table.name} holds secrets but has no primary key`);
  return {
    kind: 'columns',
    key: table.primaryKey,
    columns,
    keyAt: table.primaryKey.map((k) => names.indexOf(k)),
    columnsAt: columns.map((c) => names.indexOf(c)),
    ...(table.name === 'instance_settings' ? { isPublic: publicSetting(names) } : {}),
  };
}

/**
 * Instance settings hold secrets (the session-signing key, the room key) beside the outbox
 * readers' cursors (`{reader}_cursor`: the last event each one handed out). The cursors are kept,
 * or a restored cluster without the secrets would never deliver the events that were waiting.
 */
function publicSetting(names: string[]): (row: readonly unknown[]) => boolean {
  const keyAt = names.indexOf('key');
  const valueAt = names.indexOf('value');
  return (row) =>
    typeof row[keyAt] === 'string' &&
    (row[keyAt] as string).endsWith('_cursor') &&
    /^\d+$/.test(String(row[valueAt]));
}

/**
 * The value a secret column gets when the backup's secrets are not restored (or before they
 * are): a fresh one where the column must hold a usable value, otherwise an empty one. Rows
 * whose secret is their whole point (two-factor enrolments, instance settings) are removed
 * afterwards (restore.service.ts).
 */
export function placeholderSecret(table: string, column: string): string | null {
  switch (`${table}.${column}`) {
    case 'webhooks.secret':
      return newWebhookSecret();
    case 'live_streams.srt_passphrase':
      return newSrtPassphrase();
    case 'playback_signing_keys.secret':
      return randomBytes(32).toString('base64url');
    case 'live_streams.stream_key':
    case 'two_factors.secret':
    case 'two_factors.backupCodes':
    case 'instance_settings.value':
      return '';
    default:
      return null;
  }
}
