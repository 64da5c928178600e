import { type Logger, pino, stdSerializers } from 'pino';
import type { Config } from '../config/config.ts';
import { type Db, isPostgresUrl, migrateToLatest, openDatabase } from '../db/database.ts';
import { urlForLog } from '../http/access-log.ts';
import { recordDeadJobEvents } from '../ops/dead-job-events.ts';
import { JobQueue } from '../queue/queue.ts';
import { openStoreWithColdTier } from '../storage/create-store.ts';
import type { ObjectStore } from '../storage/object-store.ts';

/** The ports every role runs on, chosen from configuration here and nowhere else. */
export interface Infrastructure {
  log: Logger;
  /** Migrated to the latest schema. */
  db: Db;
  /** STORAGE_URL's store; with a cold store configured, read through it (see TieredObjectStore). */
  store: ObjectStore;
  queue: JobQueue;
  /** Last, once nothing uses them: the queue's wake-up connection, then the database. */
  close(): Promise<void>;
}

/** Logger, database (SQLite or PostgreSQL, migrated), object store (folder or S3), job queue. */
export async function openInfrastructure(config: Config): Promise<Infrastructure> {
  const log: Logger = pino(
    {
      level: config.logLevel,
      enabled: config.logLevel !== 'silent',
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      // A request in an error line (Fastify's own) shows its URL without credentials, as the
      // access log does.
      serializers: {
        req: (req: Parameters<typeof stdSerializers.req>[0]) => {
          const out = stdSerializers.req(req);
          out.url = urlForLog(out.url);
          return out;
        },
      },
    },
    // Written in batches off the request path (a synchronous write per line cost 6 % of a small
    // request's CPU); pino flushes what is left when the process exits. Past 16 MiB waiting (a
    // stalled reader of stdout) lines are dropped rather than held in memory without bound.
    pino.destination({ dest: 1, sync: false, maxLength: 16 * 1024 * 1024 }),
  );
  const db = openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const store = await openObjectStore(config);
  // PostgreSQL wakes idle workers of every process at once; SQLite serves one machine in-process.
  // (Its module, and with it `pg`, loaded only then: 10 MB an embedded process does without.)
  const notifier = isPostgresUrl(config.databaseUrl)
    ? new (await import('../queue/pg-notifier.ts')).PostgresNotifier(config.databaseUrl, (err) =>
        log.warn({ err }, 'job wake-up connection lost'),
      )
    : null;
  await notifier?.start();
  // The queue knows no events: a job that dies records `job.dead` through this hook, in the
  // transaction that kills it.
  const queue = new JobQueue({ db, onDeadLetter: recordDeadJobEvents, ...(notifier ? { notifier } : {}) });
  return {
    log,
    db,
    store,
    queue,
    async close() {
      await notifier?.close();
      await db.destroy();
    },
  };
}

/**
 * The object store every role uses: STORAGE_URL's, with the cold store of
 * FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_URL behind it when one is set, so that reads of objects the
 * lifecycle rules moved there fall back to it wherever they happen.
 */
export async function openObjectStore(
  config: Pick<Config, 'storageUrl' | 'lifecycleColdStorageUrl'>,
): Promise<ObjectStore> {
  return openStoreWithColdTier(config.storageUrl, config.lifecycleColdStorageUrl);
}
