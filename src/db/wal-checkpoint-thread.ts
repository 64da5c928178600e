import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * The thread of a WalCheckpointer (src/db/wal-checkpointer.ts): its own connection, a PASSIVE
 * checkpoint every `everyMs` (never waiting for readers or writers). Errors go to the parent.
 */
const { path, everyMs } = workerData as { path: string; everyMs: number };
const db = new DatabaseSync(path);
db.exec('PRAGMA busy_timeout = 1000;');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
/** Another process's checkpoint (or a writer holding a lock) under way: the next round will do. */
const BUSY_OR_LOCKED = new Set([5, 6]);
setInterval(() => {
  try {
    checkpoint.get();
  } catch (err) {
    if (BUSY_OR_LOCKED.has((err as { errcode?: number }).errcode ?? 0)) return;
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}, everyMs);
