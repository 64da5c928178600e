import type { Selectable, Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database, EventsTable } from '../db/schema.ts';

const BATCH = 200;

export type OutboxEvent = Pick<Selectable<EventsTable>, 'seq' | 'id' | 'type' | 'asset_id' | 'created_at'>;

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
  #running: Promise<void> = Promise.resolve();

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
      this.#running = this.#running.then(() => this.tick().then(() => undefined, this.#onError));
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
    const events = await this.#db
      .selectFrom('events')
      .select(['seq', 'id', 'type', 'asset_id', 'created_at'])
      .where('seq', '>', cursor)
      .orderBy('seq')
      .limit(BATCH)
      .execute();
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

  /** The last event handed out; at the very first start, the newest event (history is not replayed). */
  async #cursor(): Promise<number> {
    const existing = await this.#db
      .selectFrom('instance_settings')
      .select('value')
      .where('key', '=', this.#cursorKey)
      .executeTakeFirst();
    if (existing) return Number(existing.value);
    const newest = await this.#db
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    await this.#db
      .insertInto('instance_settings')
      .values({ key: this.#cursorKey, value: String(newest?.seq ?? 0) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return this.#cursor();
  }
}
