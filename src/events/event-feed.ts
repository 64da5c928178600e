import type { Db } from '../db/database.ts';
import { type OutboxEvent, type OutboxFilter, outboxHead, readOutbox } from './outbox.ts';

const PAGE = 500;

/** What one poll of the feed found: every event in (from, through], in order. */
interface Batch {
  from: number;
  events: OutboxEvent[];
  through: number;
}

/**
 * Polls the outbox while anyone listens and hands each new batch to every subscriber: one
 * read per poll for all of a process's live streams, however many there are. A subscriber
 * that is behind the feed (a new stream resuming from an older cursor) reads what it lacks
 * itself, then takes the feed's batches.
 */
export class EventFeed {
  readonly #db: Db;
  readonly #pollMs: number;
  readonly #subscribers = new Set<Subscriber>();
  #cursor: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(db: Db, pollMs: number) {
    this.#db = db;
    this.#pollMs = pollMs;
  }

  /**
   * `send` gets every event after `position` that matches `filter`, once each, in order.
   * Returns the unsubscribe function.
   */
  subscribe(position: number, filter: OutboxFilter, send: (e: OutboxEvent) => void): () => void {
    const subscriber = new Subscriber(this.#db, position, filter, send, this.#pollMs);
    this.#subscribers.add(subscriber);
    subscriber.start();
    this.#timer ??= setInterval(() => void this.#poll(), this.#pollMs);
    return () => {
      subscriber.close();
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
        this.#cursor = null;
      }
    };
  }

  close(): void {
    clearInterval(this.#timer);
    for (const s of this.#subscribers) s.close();
    this.#subscribers.clear();
  }

  async #poll(): Promise<void> {
    // One poll at a time: a slow database must not pile reads up.
    if (this.#polling) return;
    this.#polling = true;
    try {
      this.#cursor ??= await outboxHead(this.#db);
      for (;;) {
        const from = this.#cursor;
        const page = await readOutbox(this.#db, from, PAGE);
        this.#cursor = page.through;
        // Even an empty batch: it tells a subscriber that is behind the feed to catch up.
        for (const s of this.#subscribers) s.deliver({ from, events: page.events, through: page.through });
        if (page.events.length < PAGE) break;
      }
    } catch {
      // The database is unreachable for a moment: the next poll tries again.
    } finally {
      this.#polling = false;
    }
  }
}

/** One stream's place in the outbox: everything up to `position` has been sent or filtered out. */
class Subscriber {
  readonly #db: Db;
  readonly #filter: OutboxFilter;
  readonly #send: (e: OutboxEvent) => void;
  readonly #retryMs: number;
  #position: number;
  #pending: Batch[] = [];
  #behind = true;
  #busy = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    db: Db,
    position: number,
    filter: OutboxFilter,
    send: (e: OutboxEvent) => void,
    retryMs: number,
  ) {
    this.#db = db;
    this.#position = position;
    this.#filter = filter;
    this.#send = send;
    this.#retryMs = retryMs;
  }

  start(): void {
    void this.#drain();
  }

  deliver(batch: Batch): void {
    if (this.#closed) return;
    this.#pending.push(batch);
    void this.#drain();
  }

  close(): void {
    this.#closed = true;
    this.#pending = [];
    clearTimeout(this.#retry);
  }

  /** Sends what is due, in order; one drain at a time. */
  async #drain(): Promise<void> {
    if (this.#busy || this.#closed) return;
    this.#busy = true;
    try {
      let justRead = false;
      while (!this.#closed) {
        if (this.#behind) {
          await this.#readBehind();
          this.#behind = false;
          justRead = true;
        }
        const batch = this.#pending[0];
        if (!batch) break;
        if (batch.from > this.#position) {
          this.#behind = true;
          // Our own read stopped short of where the feed has been (a writer that announced
          // itself late holds it back for a moment): read again shortly.
          if (justRead) {
            this.#retryLater();
            break;
          }
          continue;
        }
        this.#pending.shift();
        justRead = false;
        for (const e of batch.events) if (e.seq > this.#position && this.#matches(e)) this.#send(e);
        this.#position = Math.max(this.#position, batch.through);
      }
    } catch {
      this.#behind = true;
      this.#retryLater();
    } finally {
      this.#busy = false;
    }
  }

  async #readBehind(): Promise<void> {
    for (;;) {
      const page = await readOutbox(this.#db, this.#position, PAGE, this.#filter);
      if (this.#closed) return;
      for (const e of page.events) this.#send(e);
      this.#position = page.through;
      if (page.events.length < PAGE) return;
    }
  }

  #matches(e: OutboxEvent): boolean {
    return (
      (!this.#filter.types?.length || this.#filter.types.includes(e.type)) &&
      (!this.#filter.assetId || e.asset_id === this.#filter.assetId)
    );
  }

  #retryLater(): void {
    clearTimeout(this.#retry);
    if (!this.#closed) this.#retry = setTimeout(() => void this.#drain(), this.#retryMs);
  }
}
