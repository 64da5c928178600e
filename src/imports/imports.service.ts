import type { AssetsService } from '../assets/assets.service.ts';
import type { AuditWho } from '../audit/audit.ts';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { enqueueJob, jobSpec } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { AppError } from '../shared/errors.ts';
import { assertValidKey, type ObjectStore } from '../storage/object-store.ts';
import { type ImportResult, ObjectImporter } from './importer.ts';
import type { NotifiedObject } from './s3-notification.ts';

export const IMPORTS_PREFIX = 'imports/';

export const importObjectSpec = jobSpec<{ key: string; via: 'hook' | 'scan' }>('imports.object', {
  maxAttempts: 5,
  priority: 5,
});
export const scanImportsSpec = jobSpec<Record<string, never>>('imports.scan', {
  maxAttempts: 1,
  priority: 5,
});

/** Drop-ins are made by the system, not by a person or a key. */
const IMPORTER: AuditWho = { actor: 'system:imports', credential: null, ip: null };
const MAX_BATCH_IMPORT = 10_000;

export interface DropInOptions {
  /** Objects under this folder of imports/ are left for image batches (`source_prefix`). */
  batchPrefix: string;
  /** Scanned objects written more recently than this are left for the next scan. */
  settleMs: number;
  /** 0: no periodic scan (a store that sends notifications needs none). */
  scanIntervalMs: number;
  /** Whether `POST /v1/hooks/storage` is on (a secret is configured). */
  hookOn: boolean;
}

/**
 * Objects put in the bucket under `imports/` become assets: drop-ins (an S3 event notification,
 * or a periodic scan run by one worker at a time through the queue), and image batches naming a
 * prefix. Both go through one ObjectImporter, so each object version becomes one asset however
 * many of them ask. Drop-ins leave imports/ once imported; a batch's objects stay.
 *
 * The two do not fight over an object: the drop-in importer skips `batchPrefix`, and while it is
 * on, a batch may name only prefixes inside `batchPrefix` (anywhere else a scan could take a
 * photo away between its upload and the batch).
 */
export class Imports {
  readonly importer: ObjectImporter;
  readonly #db: Db;
  readonly #queue: JobQueue;
  readonly #store: ObjectStore;
  readonly #options: DropInOptions;

  constructor(deps: {
    db: Db;
    queue: JobQueue;
    store: ObjectStore;
    importer: ObjectImporter;
    options: DropInOptions;
  }) {
    this.importer = deps.importer;
    this.#db = deps.db;
    this.#queue = deps.queue;
    this.#store = deps.store;
    this.#options = deps.options;
  }

  get dropInOn(): boolean {
    return this.#options.hookOn || this.#options.scanIntervalMs > 0;
  }

  /**
   * Whether a key is a drop-in: under imports/ but not the batches' folder, not hidden or a sync
   * tool's partial file (`.partial`, rclone's), and a key the store can hold.
   */
  isDropIn(key: string): boolean {
    if (
      !key.startsWith(IMPORTS_PREFIX) ||
      key.startsWith(this.#options.batchPrefix) ||
      key.endsWith('.partial')
    )
      return false;
    return isStorable(key);
  }

  /** The store's keys of the objects a notification names (other buckets' are dropped). */
  keysOf(objects: NotifiedObject[]): string[] {
    return objects
      .map((o) => (this.#store.keyFromBucket ? this.#store.keyFromBucket(o.bucket, o.key) : o.key))
      .filter((k): k is string => k !== null);
  }

  /** Queues an import job per drop-in key (one live job per key); returns how many are drop-ins. */
  async queue(keys: string[], via: 'hook' | 'scan'): Promise<number> {
    const dropIns = [...new Set(keys)].filter((k) => this.isDropIn(k));
    for (const key of dropIns)
      await enqueueJob(this.#queue, this.#db, importObjectSpec, { key, via }, { dedupeKey: `import:${key}` });
    return dropIns.length;
  }

  /** One drop-in, as its job runs it: an asset, then the object leaves imports/. */
  importDropIn(key: string, via: 'hook' | 'scan'): Promise<ImportResult> {
    if (!this.isDropIn(key)) return Promise.resolve({ status: 'gone' });
    return this.importer.importObject(key, {
      via,
      who: IMPORTER,
      remove: true,
      // A notification comes once the object is whole; a folder being written to is not.
      ...(via === 'scan' ? { settledMs: this.#options.settleMs } : {}),
    });
  }

  /** Lists imports/ and queues every drop-in found; returns how many. */
  async scan(): Promise<number> {
    return this.queue(await this.#store.list(IMPORTS_PREFIX), 'scan');
  }

  /**
   * Every worker node asks for a scan now and then; the queue's dedupe key keeps one scan
   * queued or running at a time across all nodes, each `scanIntervalMs` after the last.
   */
  startScanning(onError: (err: unknown) => void): { stop(): void } {
    const every = this.#options.scanIntervalMs;
    if (every <= 0) return { stop() {} };
    const tick = () =>
      void enqueueJob(
        this.#queue,
        this.#db,
        scanImportsSpec,
        {},
        { dedupeKey: 'imports.scan', delayMs: every },
      ).catch(onError);
    tick();
    const timer = setInterval(tick, Math.max(1000, Math.floor(every / 2)));
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  /** An image batch's `source_prefix`: each object there becomes an asset (once), and stays. */
  async forBatch(prefix: string, who: AuditWho): Promise<string[]> {
    if (!prefix.startsWith(IMPORTS_PREFIX))
      throw new AppError('FH_ERR_VALIDATION', 'Only objects under imports/ can be imported.');
    if (this.dropInOn && !prefix.startsWith(this.#options.batchPrefix))
      throw new AppError(
        'FH_ERR_VALIDATION',
        `Objects under imports/ become assets by themselves on this server (drop-in imports), except under ${this.#options.batchPrefix}: put a batch's photos there and name that prefix, or batch the assets by id.`,
      );
    const keys = (await this.#store.list(prefix)).filter(isStorable);
    if (keys.length === 0) throw new AppError('FH_ERR_NOT_FOUND', `Nothing is stored under ${prefix}.`);
    if (keys.length > MAX_BATCH_IMPORT)
      throw new AppError(
        'FH_ERR_VALIDATION',
        `${keys.length} objects under ${prefix}; at most ${MAX_BATCH_IMPORT} a batch.`,
      );
    const ids: string[] = [];
    for (const key of keys) {
      const r = await this.importer.importObject(key, { via: 'batch', who, remove: false });
      if ('assetId' in r) ids.push(r.assetId);
    }
    return ids;
  }
}

/** Hidden files (`.DS_Store`) and names with control characters are not the store's keys: skipped. */
function isStorable(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

/** The imports feature as the configuration sets it up. */
export function importsFromConfig(
  deps: { db: Db; queue: JobQueue; store: ObjectStore; assets: AssetsService },
  config: Config,
): Imports {
  return new Imports({
    ...deps,
    importer: new ObjectImporter(deps),
    options: {
      batchPrefix: config.importsBatchPrefix,
      settleMs: config.importsSettleSeconds * 1000,
      scanIntervalMs: config.importsScanSeconds * 1000,
      hookOn: config.storageHookSecret !== undefined,
    },
  });
}
