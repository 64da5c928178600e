import { EventEmitter } from 'node:events';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../db/schema.ts';
import type { JobNotifier } from './notifier.ts';

const JOBS_CHANNEL = 'framehouse_jobs';

/**
 * Wakes idle workers of every process through PostgreSQL's LISTEN/NOTIFY. `notify` runs
 * `pg_notify` on the enqueuing transaction, so the wake-up is sent when — and only if — it
 * commits. One dedicated connection listens; when it drops it reconnects, and meanwhile the
 * workers' polling carries on (a lost wake-up costs one poll interval, never a job).
 */
export class PostgresNotifier implements JobNotifier {
  readonly #url: string;
  readonly #channel: string;
  readonly #emitter = new EventEmitter();
  #client: pg.Client | null = null;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #onError: (e: unknown) => void;

  /** `channel`: another channel than the job queue's (the live room's wake-ups use this class too). */
  constructor(url: string, onError: (e: unknown) => void = () => {}, channel = JOBS_CHANNEL) {
    this.#url = url;
    this.#channel = channel;
    this.#onError = onError;
    this.#emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on('notification', (msg) => {
      if (msg.channel === this.#channel && msg.payload !== undefined)
        this.#emitter.emit('enqueued', msg.payload);
    });
    client.on('error', (e) => {
      this.#onError(e);
      this.#reconnect(client);
    });
    client.on('end', () => this.#reconnect(client));
    await client.connect();
    await client.query(`LISTEN ${this.#channel}`);
    this.#client = client;
  }

  #reconnect(dead: pg.Client): void {
    if (this.#closed || this.#client !== dead || this.#retry) return;
    this.#client = null;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.start().catch((e) => {
        this.#onError(e);
        this.#client = dead; // let the next failure schedule another try
        this.#reconnect(dead);
      });
    }, 1000);
    this.#retry.unref();
  }

  async notify(executor: Kysely<Database>, type: string): Promise<void> {
    await sql`select pg_notify(${this.#channel}, ${type})`.execute(executor);
  }

  subscribe(listener: (type: string) => void): () => void {
    this.#emitter.on('enqueued', listener);
    return () => this.#emitter.off('enqueued', listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }
}
