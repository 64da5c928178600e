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
setInterval(() => {
  try {
    checkpoint.get();
  } catch (err) {
    parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
}, everyMs);
