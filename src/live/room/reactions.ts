import type { Db } from '../../db/database.ts';
import { roomRepo as repo } from './room.repo.ts';
import { appendRoomEvent } from './room-log.ts';

export const REACTION_KINDS = ['heart', 'fire', 'clap', 'laugh', 'wow'] as const;
export type ReactionKind = (typeof REACTION_KINDS)[number];
export const FLUSH_MS = 500;

/**
 * Reactions, added up in the process: a busy room's taps (hundreds a second) become one
 * `reactions` event per room every 500 ms at most per process, written with the broadcast's
 * totals (for the summary) in one transaction. What a process holds when it dies is lost: a
 * few hundred milliseconds of hearts.
 */
export class ReactionAggregator {
  readonly #db: Db;
  readonly #onError: (err: unknown) => void;
  #pending = new Map<string, Map<ReactionKind, number>>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | null = null;
  #closed = false;
  /** Taps taken and events written, for the bench. */
  readonly stats = { taps: 0, events: 0 };

  constructor(deps: { db: Db; onError?: (err: unknown) => void }) {
    this.#db = deps.db;
    this.#onError = deps.onError ?? (() => {});
  }

  add(streamId: string, kind: ReactionKind, count: number): void {
    let room = this.#pending.get(streamId);
    if (!room) {
      room = new Map();
      this.#pending.set(streamId, room);
    }
    room.set(kind, (room.get(kind) ?? 0) + count);
    this.stats.taps += count;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, FLUSH_MS);
  }

  /** Writes what has gathered: one event per room. */
  async flush(): Promise<void> {
    // One flush at a time; taps that arrive meanwhile wait for the next.
    if (this.#flushing) return this.#flushing;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = (async () => {
      for (const [streamId, kinds] of batch) {
        const counts = Object.fromEntries(kinds);
        try {
          const state = await repo.state(this.#db, streamId);
          if (!state) continue;
          await this.#db.transaction().execute(async (trx) => {
            await repo.addReactions(trx, streamId, state.broadcast_id ?? '', counts);
            await appendRoomEvent(trx, streamId, 'reactions', { counts });
          });
          this.stats.events++;
        } catch (err) {
          this.#onError(err);
        }
      }
    })().finally(() => {
      this.#flushing = null;
      // Taps that arrived during a slow flush (its timer found it still running) are written by
      // the next one, not left until another tap comes.
      if (this.#pending.size > 0) this.#schedule();
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#flushing) await this.#flushing;
    await this.flush();
  }
}
