import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * Wakes workers when a job becomes visible, so they claim at once instead of at their next poll.
 * Polling stays the source of truth: a lost notification only costs one poll interval.
 *
 * `notify` receives the executor the job was written with. The in-process adapter ignores it;
 * the PostgreSQL adapter (next issue) runs `SELECT pg_notify(…)` on it, which PostgreSQL
 * delivers when — and only if — the caller's transaction commits.
 */
export interface JobNotifier {
  notify(executor: Kysely<Database>, type: string): Promise<void>;
  /** Returns the function that unsubscribes the listener. */
  subscribe(listener: (type: string) => void): () => void;
}

/**
 * One process, one event emitter. Listeners run on the next turn of the event loop, never inside
 * the caller's transaction. On SQLite one Kysely instance has one connection, so a worker's claim
 * triggered while the enqueuing transaction is still open waits for it to commit.
 */
export class InProcessNotifier implements JobNotifier {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Every worker pool of the process subscribes; that is not a leak.
    this.#emitter.setMaxListeners(0);
  }

  async notify(_executor: Kysely<Database>, type: string): Promise<void> {
    setImmediate(() => this.#emitter.emit('enqueued', type));
  }

  subscribe(listener: (type: string) => void): () => void {
    this.#emitter.on('enqueued', listener);
    return () => this.#emitter.off('enqueued', listener);
  }
}
