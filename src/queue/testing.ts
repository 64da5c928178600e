import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Db, migrateToLatest, openDatabase } from '../db/database.ts';

/** Test support for the queue: a migrated SQLite file per test, extra connections, a clock. */
export interface TestDatabase {
  db: Db;
  url: string;
  /** Another Kysely instance (own connection) on the same file, closed by `close`. */
  connect(): Db;
  close(): Promise<void>;
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'framehouse-queue-'));
  const url = `sqlite:${join(dir, 'test.db')}`;
  const db = openDatabase(url);
  await migrateToLatest(db);
  const extra: Db[] = [];
  return {
    db,
    url,
    connect() {
      const other = openDatabase(url);
      extra.push(other);
      return other;
    },
    async close() {
      for (const other of extra) await other.destroy();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ManualClock {
  now: () => number;
  advance(ms: number): void;
}

export function manualClock(start = Date.parse('2030-01-01T00:00:00.000Z')): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}
