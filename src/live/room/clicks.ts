import type { Db } from '../../db/database.ts';
import { roomRepo as repo } from './room.repo.ts';

export const CLICKS_FLUSH_MS = 1_000;

/**
 * Product clicks, added up in the process: a pinned product clicked by thousands of viewers at
 * once becomes one write per product every second per process (the product's total and its
 * broadcast's, in one transaction), not a transaction per click. What a process holds when it
 * dies is lost: a second of clicks.
 */
export class ClickAggregator {
  readonly #db: Db;
  readonly #onError: (err: unknown) => void;
  /** stream id → product id → clicks. */
  #pending = new Map<string, Map<string, number>>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | null = null;
  #closed = false;

  constructor(deps: { db: Db; onError?: (err: unknown) => void }) {
    this.#db = deps.db;
    this.#onError = deps.onError ?? (() => {});
  }

  add(streamId: string, productId: string): void {
    let room = this.#pending.get(streamId);
    if (!room) {
      room = new Map();
      this.#pending.set(streamId, room);
    }
    room.set(productId, (room.get(productId) ?? 0) + 1);
    this.#schedule();
  }

  /** Writes what has gathered; clicks that arrive meanwhile wait for the next flush. */
  async flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = (async () => {
      for (const [streamId, products] of batch) {
        try {
          const state = await repo.state(this.#db, streamId);
          if (!state) continue;
          await this.#db.transaction().execute(async (trx) => {
            for (const [productId, n] of products)
              await repo.addClicks(trx, streamId, productId, state.broadcast_id ?? '', n);
          });
        } catch (err) {
          this.#onError(err);
        }
      }
    })().finally(() => {
      this.#flushing = null;
      // What arrived during a slow flush is written by the next one, not left waiting for a click.
      if (this.#pending.size > 0) this.#schedule();
    });
    return this.#flushing;
  }

  /** Writes what is left (after a flush in progress): nothing is scheduled any more. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#flushing) await this.#flushing;
    await this.flush();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, CLICKS_FLUSH_MS);
  }
}
