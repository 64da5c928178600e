import { setTimeout as sleep } from 'node:timers/promises';
import { ERRORS, type Lock, type Locker, type RequestRelease } from '@tus/utils';
import type { Db } from '../db/database.ts';
import { newId } from '../shared/ids.ts';

interface Options {
  /** How long a lock outlives its holder's last heartbeat (a crashed node's locks free up). */
  leaseMs?: number;
  /** How often a holder renews its lease and looks for a request to let go. */
  heartbeatMs?: number;
  /** How long a request waits for a busy upload before giving up with tus's lock timeout. */
  acquireTimeoutMs?: number;
  pollMs?: number;
}

/**
 * tus allows one request at a time per upload. @tus/server's own locker only sees its process;
 * this one keeps the lock in the database so every api node sees it. A client that retries a
 * stalled PATCH through another node asks the holder to let go (tus's "request release"): the
 * flag is set on the row, the holder sees it at its next heartbeat and ends its request, and
 * the newcomer takes over, as with the in-memory locker on one node.
 *
 * Written by hand: no maintained tus locker targets SQL databases (the published ones need Redis).
 * Leases compare node clocks, so nodes should run NTP; a skew only shortens or lengthens a
 * dead holder's lease.
 */
export class DatabaseLocker implements Locker {
  readonly db: Db;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly acquireTimeoutMs: number;
  readonly pollMs: number;

  constructor(db: Db, opts: Options = {}) {
    this.db = db;
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.heartbeatMs = opts.heartbeatMs ?? 500;
    this.acquireTimeoutMs = opts.acquireTimeoutMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 100;
  }

  newLock(id: string): Lock {
    return new DatabaseLock(this, id);
  }
}

class DatabaseLock implements Lock {
  readonly #locker: DatabaseLocker;
  readonly #id: string;
  readonly #holder = newId();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(locker: DatabaseLocker, id: string) {
    this.#locker = locker;
    this.#id = id;
  }

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const deadline = Date.now() + this.#locker.acquireTimeoutMs;
    while (!(await this.#tryAcquire())) {
      if (signal.aborted || Date.now() > deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
      await this.#askHolderToRelease();
      await sleep(this.#locker.pollMs);
    }
    this.#startHeartbeat(requestRelease);
  }

  async unlock(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    await this.#locker.db
      .deleteFrom('upload_locks')
      .where('upload_id', '=', this.#id)
      .where('holder', '=', this.#holder)
      .execute();
  }

  /** Takes a free lock (no row) or an expired one (its holder stopped renewing). */
  async #tryAcquire(): Promise<boolean> {
    const { db, leaseMs } = this.#locker;
    const now = Date.now();
    const inserted = await db
      .insertInto('upload_locks')
      .values({ upload_id: this.#id, holder: this.#holder, expires_at: now + leaseMs, release_requested: 0 })
      .onConflict((oc) => oc.column('upload_id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return true;
    const taken = await db
      .updateTable('upload_locks')
      .set({ holder: this.#holder, expires_at: now + leaseMs, release_requested: 0 })
      .where('upload_id', '=', this.#id)
      .where('expires_at', '<', now)
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1;
  }

  async #askHolderToRelease(): Promise<void> {
    await this.#locker.db
      .updateTable('upload_locks')
      .set({ release_requested: 1 })
      .where('upload_id', '=', this.#id)
      .where('release_requested', '=', 0)
      .execute();
  }

  /** Renews the lease; ends the request when another one asked for the upload or the lease was lost. */
  #startHeartbeat(requestRelease: RequestRelease): void {
    let released = false;
    const beat = async () => {
      const row = await this.#locker.db
        .updateTable('upload_locks')
        .set({ expires_at: Date.now() + this.#locker.leaseMs })
        .where('upload_id', '=', this.#id)
        .where('holder', '=', this.#holder)
        .returning('release_requested')
        .executeTakeFirst();
      if (!released && (!row || row.release_requested === 1)) {
        released = true;
        await requestRelease();
      }
    };
    this.#heartbeat = setInterval(() => void beat().catch(() => {}), this.#locker.heartbeatMs);
    this.#heartbeat.unref();
  }
}
