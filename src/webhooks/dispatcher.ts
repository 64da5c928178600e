import type { Db } from '../db/database.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { deliverWebhookSpec } from './delivery.ts';

const CURSOR_KEY = 'webhook_dispatch_cursor';
const BATCH = 200;

/**
 * Turns outbox events into delivery jobs, once each, whichever worker node gets there first:
 * the cursor (last event handed out) moves by compare-and-set in the same transaction that
 * enqueues the jobs, so a node that lost the race enqueues nothing.
 */
export class WebhookDispatcher {
  readonly #db: Db;
  readonly #queue: JobQueue;
  readonly #onError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(db: Db, queue: JobQueue, onError: (err: unknown) => void) {
    this.#db = db;
    this.#queue = queue;
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

  /** Hands out the next batch of events; the number handed out (0 if another node did it). */
  async tick(): Promise<number> {
    const cursor = await this.#cursor();
    const events = await this.#db
      .selectFrom('events')
      .select(['seq', 'id', 'type', 'created_at'])
      .where('seq', '>', cursor)
      .orderBy('seq')
      .limit(BATCH)
      .execute();
    const last = events.at(-1);
    if (!last) return 0;
    const webhooks = (
      await this.#db
        .selectFrom('webhooks')
        .select(['id', 'events', 'created_at'])
        .where('enabled', '=', 1)
        .execute()
    ).map((w) => ({ ...w, types: new Set(JSON.parse(w.events) as string[]) }));
    return this.#db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('instance_settings')
        .set({ value: String(last.seq) })
        .where('key', '=', CURSOR_KEY)
        .where('value', '=', String(cursor))
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return 0;
      let jobs = 0;
      for (const event of events) {
        for (const w of webhooks) {
          // An endpoint hears of what happens after it was made, of the types it asked for.
          if (event.created_at < w.created_at || !(w.types.has('*') || w.types.has(event.type))) continue;
          await enqueueJob(this.#queue, trx, deliverWebhookSpec, {
            webhookId: w.id,
            eventId: event.id,
            attempt: 1,
          });
          jobs++;
        }
      }
      return jobs;
    });
  }

  /** The last event handed out; at the very first start, the newest event (history is not replayed). */
  async #cursor(): Promise<number> {
    const existing = await this.#db
      .selectFrom('instance_settings')
      .select('value')
      .where('key', '=', CURSOR_KEY)
      .executeTakeFirst();
    if (existing) return Number(existing.value);
    const newest = await this.#db
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    await this.#db
      .insertInto('instance_settings')
      .values({ key: CURSOR_KEY, value: String(newest?.seq ?? 0) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return this.#cursor();
  }
}
