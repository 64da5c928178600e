import type { Db } from '../../db/database.ts';
import { roomRepo as repo } from './room.repo.ts';
import { appendRoomEvent } from './room-log.ts';
import { RoomTally } from './room-tally.ts';

export const REACTION_KINDS = ['heart', 'fire', 'clap', 'laugh', 'wow'] as const;
export type ReactionKind = (typeof REACTION_KINDS)[number];
export const FLUSH_MS = 500;

/**
 * Reactions, added up in the process: a busy room's taps (hundreds a second) become one
 * `reactions` event per room every 500 ms at most per process, written with the broadcast's
 * totals (for the summary) in one transaction.
 */
export class ReactionAggregator {
  readonly #tally: RoomTally<ReactionKind>;
  /** Taps taken and events written, for the bench. */
  readonly stats = { taps: 0, events: 0 };

  constructor(deps: { db: Db; onError?: (err: unknown) => void }) {
    const { db } = deps;
    const stats = this.stats;
    this.#tally = new RoomTally<ReactionKind>({
      periodMs: FLUSH_MS,
      ...(deps.onError ? { onError: deps.onError } : {}),
      async write(streamId, kinds) {
        const counts = Object.fromEntries(kinds);
        const state = await repo.state(db, streamId);
        if (!state) return;
        await db.transaction().execute(async (trx) => {
          await repo.addReactions(trx, streamId, state.broadcast_id ?? '', counts);
          await appendRoomEvent(trx, streamId, 'reactions', { counts });
        });
        stats.events++;
      },
    });
  }

  add(streamId: string, kind: ReactionKind, count: number): void {
    this.stats.taps += count;
    this.#tally.add(streamId, kind, count);
  }

  flush(): Promise<void> {
    return this.#tally.flush();
  }

  close(): Promise<void> {
    return this.#tally.close();
  }
}
