import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * `VACUUM INTO` on a connection of its own, in a thread: node:sqlite is synchronous, and
 * copying a large database must not stop the process's other work (a worker running the
 * scheduled backup keeps claiming jobs and renewing leases meanwhile). One statement, one read
 * transaction: writers in WAL mode go on, and cannot make it start over as `backup()` would.
 */
const { source, target } = workerData as { source: string; target: string };
try {
  const db = new DatabaseSync(source);
  try {
    db.exec('PRAGMA busy_timeout = 5000;');
    db.prepare('VACUUM INTO ?').run(target);
  } finally {
    db.close();
  }
  parentPort?.postMessage({ ok: true });
} catch (err) {
  parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
