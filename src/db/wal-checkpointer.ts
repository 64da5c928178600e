import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** The thread's module beside this one: .ts from the sources, .js from the build. */
const THREAD = new URL(`./wal-checkpoint-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Copies a SQLite database's write-ahead log back into it from a thread of its own. SQLite does
 * it itself at the end of a commit once the log holds 1,000 pages, on the committing connection:
 * node:sqlite is synchronous, so that commit's process stops for the checkpoint's two fsyncs
 * (tens of ms on a virtual disk). Under a steady stream of small writes (viewer reports: several
 * hundred commits a second) that is several times a second, every request of the process held
 * up each time. Checkpointed often from here, the log never reaches SQLite's threshold, and the
 * fsyncs happen beside the writes (a PASSIVE checkpoint neither waits for nor blocks them).
 * Started on first use; the thread never keeps the process alive.
 */
export class WalCheckpointer {
  readonly #path: string;
  readonly #everyMs: number;
  readonly #onError: (err: unknown) => void;
  #worker: Worker | null = null;

  constructor(opts: { path: string; everyMs?: number; onError?: (err: unknown) => void }) {
    this.#path = opts.path;
    this.#everyMs = opts.everyMs ?? 100;
    this.#onError = opts.onError ?? (() => {});
  }

  start(): void {
    if (this.#worker) return;
    const worker = new Worker(THREAD, { workerData: { path: this.#path, everyMs: this.#everyMs } });
    worker.unref();
    worker.on('message', (m: { error?: string }) => {
      if (m.error) this.#onError(new Error(`WAL checkpoint: ${m.error}`));
    });
    worker.on('error', (err) => {
      this.#onError(err);
      if (this.#worker === worker) this.#worker = null;
    });
    this.#worker = worker;
  }

  async stop(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }
}
