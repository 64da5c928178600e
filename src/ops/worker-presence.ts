import { hostname } from 'node:os';
import type { Db } from '../db/database.ts';
import type { WorkerPool } from '../queue/worker.ts';
import { isoNow } from '../shared/time.ts';

const BEAT_MS = 10_000;
/** A node not seen for this long is shown as gone (and forgotten after a day). */
export const WORKER_STALE_MS = 3 * BEAT_MS;

/**
 * Each process with job slots says it is alive every 10 s (`worker_nodes`), so admins can see
 * every worker of the cluster — its host, role, slots and last heartbeat — from any api node.
 */
export class WorkerPresence {
  readonly #db: Db;
  readonly #pool: WorkerPool;
  readonly #role: string;
  readonly #slots: number;
  readonly #startedAt = isoNow();
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Db, pool: WorkerPool, role: string, slots: number) {
    this.#db = db;
    this.#pool = pool;
    this.#role = role;
    this.#slots = slots;
  }

  async start(onError: (err: unknown) => void): Promise<void> {
    await this.#beat();
    this.#timer = setInterval(() => void this.#beat().catch(onError), BEAT_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#db.deleteFrom('worker_nodes').where('id', '=', this.#pool.workerId).execute();
  }

  async #beat(): Promise<void> {
    const now = isoNow();
    const row = {
      id: this.#pool.workerId,
      host: hostname(),
      role: this.#role,
      types: JSON.stringify(this.#pool.types),
      slots: this.#slots,
      busy: this.#pool.activeCount,
      started_at: this.#startedAt,
      last_seen_at: now,
    };
    await this.#db
      .insertInto('worker_nodes')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ busy: row.busy, slots: row.slots, last_seen_at: now }),
      )
      .execute();
    await this.#db
      .deleteFrom('worker_nodes')
      .where('last_seen_at', '<', new Date(Date.now() - 24 * 3_600_000).toISOString())
      .execute();
  }
}

/** Every worker process seen in the last day, oldest first (the admin page's list). */
export function listWorkerNodes(db: Db) {
  return db.selectFrom('worker_nodes').selectAll().orderBy('started_at').execute();
}
