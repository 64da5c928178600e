import type { Db } from '../db/database.ts';
import type { EventRow } from '../db/schema.ts';

/** `GET /v1/events` and the SSE stream filter on these (their query string's names). */
export interface EventFilters {
  /** Comma-separated event types. */
  type?: string;
  asset_id?: string;
}

const POLL_MS = 500;

/** Polls the outbox while anyone listens and hands each new event to every subscriber. */
export class EventFeed {
  readonly #db: Db;
  readonly #subscribers = new Set<(e: EventRow) => void>();
  #cursor: number | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Db) {
    this.#db = db;
  }

  async newest(): Promise<number> {
    const row = await this.#db
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  subscribe(fn: (e: EventRow) => void): () => void {
    this.#subscribers.add(fn);
    if (!this.#timer) this.#timer = setInterval(() => void this.#poll().catch(() => {}), POLL_MS);
    return () => {
      this.#subscribers.delete(fn);
      if (this.#subscribers.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
        this.#cursor = null;
      }
    };
  }

  close(): void {
    clearInterval(this.#timer);
    this.#subscribers.clear();
  }

  /** Events after `after` (a cursor), oldest first, of the given types and asset. */
  read(f: EventFilters, after: number, limit: number): Promise<EventRow[]> {
    let q = this.#db.selectFrom('events').selectAll().where('seq', '>', after);
    if (f.type) q = q.where('type', 'in', f.type.split(','));
    if (f.asset_id) q = q.where('asset_id', '=', f.asset_id);
    return q.orderBy('seq').limit(limit).execute();
  }

  async #poll(): Promise<void> {
    this.#cursor ??= (await this.newest()) - 1000;
    const rows = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('seq', '>', this.#cursor)
      .orderBy('seq')
      .limit(1000)
      .execute();
    for (const row of rows) {
      this.#cursor = row.seq;
      for (const fn of this.#subscribers) fn(row);
    }
  }
}
