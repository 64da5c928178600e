import type { Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { type OutboxEvent, outboxHead, readOutbox } from './outbox.ts';

const BATCH = 200;

/**
 * Reads the outbox in order and hands each batch to `handle` exactly once across all nodes:
 * the cursor (the last event handed out, in `instance_settings` under `name`) moves by
 * compare-and-set in the same transaction as whatever `handle` writes (jobs), so a node that
 * lost the race writes nothing. Webhook deliveries and e-mail notices are two such consumers.
 */
export class OutboxDispatcher {
  readonly #db: Db;
  readonly #cursorKey: string;
  readonly #handle: (trx: Transaction<Database>, events: OutboxEvent[]) => Promise<number>;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;

  constructor(
    db: Db,
    name: string,
    handle: (trx: Transaction<Database>, events: OutboxEvent[]) => Promise<number>,
    onError: (err: unknown) => void,
  ) {
    this.#db = db;
    this.#cursorKey = `${name}_cursor`;
    this.#handle = handle;
    this.#onError = onError;
  }

  /** Settles the cursor before anything can happen (so no event of this run is skipped), then polls. */
  async start(intervalMs = 500): Promise<void> {
    await this.#cursor();
    this.#timer = setInterval(() => {
      // One tick at a time, and none queued behind it: a slow database must not pile ticks up
      // (stop would wait for them all).
      this.#running ??= this.tick()
        .then(() => undefined, this.#onError)
        .finally(() => {
          this.#running = null;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Hands out the next batch; what `handle` reports (0 when another node did it). */
  async tick(): Promise<number> {
    const cursor = await this.#cursor();
    const { events } = await readOutbox(this.#db, cursor, BATCH);
    const last = events.at(-1);
    if (!last) return 0;
    return this.#db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('instance_settings')
        .set({ value: String(last.seq) })
        .where('key', '=', this.#cursorKey)
        .where('value', '=', String(cursor))
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return 0;
      return this.#handle(trx, events);
    });
  }

  /** The last event handed out; at the very first start, the outbox's head (history is not replayed). */
  async #cursor(): Promise<number> {
    const existing = await this.#db
      .selectFrom('instance_settings')
      .select('value')
      .where('key', '=', this.#cursorKey)
      .executeTakeFirst();
    if (existing) return Number(existing.value);
    const head = await outboxHead(this.#db);
    await this.#db
      .insertInto('instance_settings')
      .values({ key: this.#cursorKey, value: String(head) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return this.#cursor();
  }
}
