import type { Kysely } from 'kysely';
import type { DialectName } from '../db/dialect-helpers.ts';
import { AppError } from '../shared/errors.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { readLines } from './archive-file.ts';
import { secretsKey } from './archive-layout.ts';
import { SecretsAuthError } from './secrets-crypto.ts';
import type { TableInfo } from './table-catalog.ts';
import type { TableHeader } from './table-dump.ts';
import { loadRows } from './table-load.ts';
import { type DumpValue, decodeValue } from './value-codec.ts';

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/**
 * Reads the whole secrets file once, discarding it, so that a wrong passphrase (or a changed
 * file) is found before anything is restored: GCM's tag is only checked at the end.
 */
export async function checkSecretsOpen(target: ObjectStore, id: string, key: Buffer): Promise<void> {
  try {
    for await (const _ of readLines(target, secretsKey(id), { decryptWith: key }));
  } catch (err) {
    // Under a wrong key the plaintext is noise: gunzip usually refuses it before the tag is reached.
    // (The file's SHA-256 matched the manifest's before this: it is not damaged.)
    const zlib = String((err as { code?: unknown }).code ?? '').startsWith('Z_');
    if (err instanceof SecretsAuthError || zlib) throw new AppError('FH_ERR_BACKUP_PASSPHRASE');
    throw err;
  }
}

/**
 * Puts the backup's secrets back into the rows loaded (by primary key) and loads the tables
 * that are secrets as a whole. Returns what it did per table.
 */
export async function applySecrets(
  db: Kysely<unknown>,
  target: ObjectStore,
  id: string,
  key: Buffer,
  tables: Map<string, TableInfo>,
  dialect: DialectName,
): Promise<Record<string, number>> {
  const done: Record<string, number> = {};
  for await (const { header, rows } of sections(readLines(target, secretsKey(id), { decryptWith: key }))) {
    const table = tables.get(header.table);
    if (!table) {
      for await (const _ of rows);
      continue;
    }
    if (!header.key || header.key.length === 0) {
      done[table.name] = (await loadRows(db, table, header.columns, rows, { dialect })).rows;
      continue;
    }
    const kinds = new Map(table.columns.map((c) => [c.name, c.kind]));
    const keyNames = header.key;
    let n = 0;
    for await (const row of rows) {
      const set: Record<string, unknown> = {};
      header.columns.forEach((c, i) => {
        const kind = kinds.get(c);
        if (kind) set[c] = decodeValue(row[keyNames.length + i] ?? null, kind, dialect);
      });
      let q = (db as unknown as AnyDb).updateTable(table.name).set(set);
      keyNames.forEach((k, i) => {
        q = q.where(k, '=', decodeValue(row[i] ?? null, kinds.get(k) ?? 'other', dialect));
      });
      await q.execute();
      n++;
    }
    done[table.name] = n;
  }
  return done;
}

/** The secrets file as sections: each header line with the rows that follow it. */
async function* sections(
  lines: AsyncIterable<string>,
): AsyncIterable<{ header: TableHeader; rows: AsyncIterable<DumpValue[]> }> {
  const it = lines[Symbol.asyncIterator]();
  let pending: unknown;
  let ended = false;
  const next = async (): Promise<unknown> => {
    if (pending !== undefined) {
      const p = pending;
      pending = undefined;
      return p;
    }
    const r = await it.next();
    if (r.done) {
      ended = true;
      return undefined;
    }
    return JSON.parse(r.value) as unknown;
  };
  for (;;) {
    const header = await next();
    if (header === undefined) return;
    if (Array.isArray(header)) throw new Error('The secrets file has rows before any table');
    let sectionDone = false;
    const rows = async function* () {
      while (!ended) {
        const item = await next();
        if (item === undefined) break;
        if (!Array.isArray(item)) {
          pending = item;
          break;
        }
        yield item as DumpValue[];
      }
      sectionDone = true;
    };
    yield { header: header as TableHeader, rows: rows() };
    if (!sectionDone) throw new Error('A section of the secrets file was not read to its end');
  }
}
