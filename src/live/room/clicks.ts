import type { Db } from '../../db/database.ts';
import { roomRepo as repo } from './room.repo.ts';
import { RoomTally } from './room-tally.ts';

export const CLICKS_FLUSH_MS = 1_000;

/**
 * Product clicks, added up in the process: a pinned product clicked by thousands of viewers at
 * once becomes one write per room every second per process (each product's total and its
 * broadcast's, in one transaction), not a transaction per click.
 */
export class ClickAggregator {
  readonly #tally: RoomTally<string>;

  constructor(deps: { db: Db; onError?: (err: unknown) => void }) {
    const { db } = deps;
    this.#tally = new RoomTally<string>({
      periodMs: CLICKS_FLUSH_MS,
      ...(deps.onError ? { onError: deps.onError } : {}),
      async write(streamId, products) {
        const state = await repo.state(db, streamId);
        if (!state) return;
        await db.transaction().execute(async (trx) => {
          for (const [productId, n] of products)
            await repo.addClicks(trx, streamId, productId, state.broadcast_id ?? '', n);
        });
      },
    });
  }

  add(streamId: string, productId: string): void {
    this.#tally.add(streamId, productId, 1);
  }

  flush(): Promise<void> {
    return this.#tally.flush();
  }

  close(): Promise<void> {
    return this.#tally.close();
  }
}
