import type { Db } from '../../db/database.ts';
import { roomRepo as repo } from './room.repo.ts';
import type { RoomFeed } from './room-feed.ts';
import { pruneRoomLog } from './room-log.ts';

/**
 * Every 3 s, and a process not heard from for 7 s no longer counts (a crashed one drops out by
 * itself): the count a viewer sees is never more than 10 s behind the truth (7 s of a dead
 * process's rows, plus up to 3 s until the next push), which the issue asks for.
 */
export const PRESENCE_INTERVAL_MS = 3_000;
export const PRESENCE_FRESH_MS = 7_000;
const SAMPLE_BUCKET_MS = 10_000;
const PRUNE_EVERY = 100; // ticks: every 5 minutes

/**
 * Viewer counts across processes. Every 3 s each process writes how many event streams it holds
 * per room (its own rows), reads the sum over processes heard from in the last 7 s, and pushes
 * that to its own viewers of each room. The same counts, per broadcast on air and 10 s bucket,
 * are the summary's samples (peak and average).
 */
export class Presence {
  readonly #db: Db;
  readonly #feed: RoomFeed;
  readonly #nodeId: string;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #reported = new Set<string>();
  #ticks = 0;
  #ticking: Promise<void> | null = null;
  /** The last sums read, per room, with when. */
  readonly #sums = new Map<string, { count: number; at: number }>();

  constructor(deps: { db: Db; feed: RoomFeed; nodeId: string; onError?: (err: unknown) => void }) {
    this.#db = deps.db;
    this.#feed = deps.feed;
    this.#nodeId = deps.nodeId;
    this.#onError = deps.onError ?? (() => {});
  }

  start(intervalMs = PRESENCE_INTERVAL_MS): void {
    this.#timer = setInterval(() => {
      this.#ticking ??= this.tick()
        .catch(this.#onError)
        .finally(() => {
          this.#ticking = null;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Viewers of a room now: the last sum (at most a second old), or read afresh. */
  async viewers(streamId: string): Promise<number> {
    const known = this.#sums.get(streamId);
    if (known && Date.now() - known.at < 1000) return known.count;
    const counts = await repo.viewerCounts(this.#db, [streamId], Date.now() - PRESENCE_FRESH_MS);
    // This process's own connections count at once, before its next report.
    const own = this.#feed.counts().get(streamId) ?? 0;
    const reported = this.#reported.has(streamId);
    const count = Math.max(counts.get(streamId) ?? 0, reported ? 0 : own);
    this.#sums.set(streamId, { count, at: Date.now() });
    return count;
  }

  /** One report: write ours, read the sums, push them, sample broadcasts on air. */
  async tick(now = Date.now()): Promise<void> {
    const counts = this.#feed.counts();
    const gone = [...this.#reported].filter((id) => !counts.has(id));
    await repo.writePresence(this.#db, this.#nodeId, counts, now);
    await repo.dropPresence(this.#db, this.#nodeId, gone);
    this.#reported = new Set(counts.keys());
    const rooms = [...counts.keys()];
    const sums = await repo.viewerCounts(this.#db, rooms, now - PRESENCE_FRESH_MS);
    for (const streamId of rooms) {
      const count = sums.get(streamId) ?? 0;
      this.#sums.set(streamId, { count, at: now });
      this.#feed.sendLocal(streamId, 'viewers', { count });
    }
    for (const id of this.#sums.keys()) if (!counts.has(id)) this.#sums.delete(id);
    const onAir = await repo.broadcastsOnAir(this.#db, rooms);
    const bucket = Math.floor(now / SAMPLE_BUCKET_MS) * SAMPLE_BUCKET_MS;
    await repo.writeSamples(
      this.#db,
      this.#nodeId,
      bucket,
      [...onAir].map(([streamId, broadcastId]) => [broadcastId, counts.get(streamId) ?? 0]),
    );
    if (++this.#ticks % PRUNE_EVERY === 1) {
      await repo.prunePresence(this.#db, now - 10 * PRESENCE_FRESH_MS);
      await pruneRoomLog(this.#db, now);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#ticking;
    await repo.dropPresence(this.#db, this.#nodeId).catch(this.#onError);
  }
}
