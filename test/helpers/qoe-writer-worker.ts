import { once } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../src/db/database.ts';
import { type ReportBatch, ReportWriter } from '../../src/qoe/report-writer.ts';

/**
 * A second writer of viewer reports in a thread of its own, with its own connection: on SQLite
 * what another HTTP process of `serve` is (a synchronous connection that waits for the write lock
 * must not block the first writer's thread, as it would in one thread). Says `ready` once
 * connected, writes each batch as a request of its own, all at once, on `go`, and posts back the
 * results.
 */
const { url, batches } = workerData as { url: string; batches: ReportBatch[] };
const port = parentPort;
if (!port) throw new Error('run as a worker thread');
const db = openDatabase(url);
await db.selectFrom('qoe_views').select('id').limit(1).execute();
const writer = new ReportWriter({ db });
port.postMessage('ready');
await once(port, 'message');
const results = await Promise.allSettled(batches.map((b) => writer.write([b])));
port.postMessage(results.map((r) => (r.status === 'fulfilled' ? r.value : { error: String(r.reason) })));
await db.destroy();
