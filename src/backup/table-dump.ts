import type { ObjectStore } from '../storage/object-store.ts';
import { type FileDigest, type LineWriter, writeLines } from './archive-file.ts';
import { fileKey, tableFile } from './archive-layout.ts';
import type { DatabaseSnapshot } from './database-snapshot.ts';
import { secretPlan } from './secret-columns.ts';
import { isBackedUp } from './table-catalog.ts';
import { encodeValue } from './value-codec.ts';

/** A line of a table file before its rows, and of the secrets file before each table's part. */
export interface TableHeader {
  table: string;
  columns: string[];
  /** Secrets file only: the columns naming the row (empty: whole rows, to insert). */
  key?: string[];
}

export interface DumpResult {
  files: Array<FileDigest & { path: string }>;
  /** Rows per table, as written to the dump. */
  rows: Record<string, number>;
}

/**
 * Writes every backed-up table of the snapshot as `database/{NNN}-{table}.ndjson.gz` (NNN: its
 * place in foreign-key order), streaming: rows go from the database cursor through gzip into
 * the target. Secret values go to `secrets` when given, and nowhere otherwise.
 */
export async function dumpTables(
  snapshot: DatabaseSnapshot,
  target: ObjectStore,
  backupId: string,
  opts: { secrets?: LineWriter; onRows?: (rows: number) => void; signal?: AbortSignal },
): Promise<DumpResult> {
  const result: DumpResult = { files: [], rows: {} };
  const tables = snapshot.tables.filter((t) => isBackedUp(t.name));
  for (const [i, table] of tables.entries()) {
    const path = tableFile(i + 1, table.name);
    const out = writeLines(target, fileKey(backupId, path));
    const columns = table.columns.map((c) => c.name);
    const plan = secretPlan(table);
    let written = 0;
    try {
      await out.write(JSON.stringify({ table: table.name, columns } satisfies TableHeader));
      if (plan.kind !== 'none' && opts.secrets) {
        const header: TableHeader =
          plan.kind === 'table'
            ? { table: table.name, columns, key: [] }
            : { table: table.name, columns: plan.columns, key: plan.key };
        await opts.secrets.write(JSON.stringify(header));
      }
      let sinceReport = 0;
      for await (const raw of snapshot.rows(table)) {
        const row = raw.map(encodeValue);
        if (plan.kind === 'table') {
          if (opts.secrets) await opts.secrets.write(JSON.stringify(row));
        } else {
          if (plan.kind === 'columns' && !plan.isPublic?.(raw)) {
            if (opts.secrets)
              await opts.secrets.write(
                JSON.stringify([...plan.keyAt.map((k) => row[k]), ...plan.columnsAt.map((c) => row[c])]),
              );
            for (const c of plan.columnsAt) row[c] = null;
          }
          await out.write(JSON.stringify(row));
          written++;
        }
        if (++sinceReport === 1000) {
          opts.signal?.throwIfAborted();
          opts.onRows?.(sinceReport);
          sinceReport = 0;
        }
      }
      if (sinceReport) opts.onRows?.(sinceReport);
      result.files.push({ path, ...(await out.close()) });
      result.rows[table.name] = written;
    } catch (err) {
      await out.abort(err as Error);
      throw err;
    }
  }
  return result;
}
