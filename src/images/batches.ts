import { assetRecords } from '../assets/asset-records.ts';
import type { Db } from '../db/database.ts';
import { recordEvent } from '../events/outbox.ts';
import { enqueueJob, jobSpec } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { isoNow } from '../shared/time.ts';
import { imageInfoOf } from './image-probe.ts';
import type { Presets, StoredPreset } from './presets.ts';
import type { Recipe } from './recipe.ts';

// Ten attempts (backoff doubling from 2 s: some 10–17 minutes in all): an item waits
// for its asset's probe when the batch is made right after the uploads.
export const batchItemSpec = jobSpec<{ batchId: string; assetId: string }>('image.batch-item', {
  maxAttempts: 10,
});

export interface BatchJson {
  id: string;
  status: 'running' | 'completed';
  presets: string[];
  total: number;
  done: number;
  failed: number;
  created_at: string;
  finished_at: string | null;
  /** Items finished per second since the batch began. */
  throughput: number | null;
  /** Seconds left at that pace; null before the first item or once finished. */
  eta_seconds: number | null;
  errors: Array<{ asset_id: string; code: string; message: string }>;
}

/**
 * Batches of image assets × presets. Each item is a job (one asset, every preset, reading the
 * stored source by key); counters move atomically with the item they count, so concurrent
 * workers on any node never lose an update. Locks are always taken item first, then batch —
 * one global order, so two items finishing at once cannot deadlock.
 */
export class Batches {
  readonly #db: Db;
  readonly #queue: JobQueue;
  readonly #presets: Presets;

  constructor(deps: { db: Db; queue: JobQueue; presets: Presets }) {
    this.#db = deps.db;
    this.#queue = deps.queue;
    this.#presets = deps.presets;
  }

  async create(assetIds: string[], presetNames: string[], createdBy: string | null): Promise<BatchJson> {
    const unique = [...new Set(assetIds)];
    const presets = await this.resolvePresets(presetNames);
    const id = newId();
    const now = isoNow();
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('image_batches')
        .values({
          id,
          status: 'running',
          presets: JSON.stringify(presets),
          total: unique.length,
          created_by: createdBy,
          created_at: now,
          finished_at: null,
        })
        .execute();
      for (let i = 0; i < unique.length; i += 500) {
        const slice = unique.slice(i, i + 500);
        await trx
          .insertInto('image_batch_items')
          .values(
            slice.map((assetId) => ({
              batch_id: id,
              asset_id: assetId,
              status: 'pending' as const,
              error_code: null,
              error_message: null,
              outputs: null,
              finished_at: null,
            })),
          )
          .execute();
        for (const assetId of slice)
          await enqueueJob(
            this.#queue,
            trx,
            batchItemSpec,
            { batchId: id, assetId },
            { dedupeKey: `batch:${id}:${assetId}` },
          );
      }
      await recordEvent(trx, 'batch.created', null, {
        batch_id: id,
        total: unique.length,
        presets: presets.map(([n]) => n),
      });
    });
    return this.get(id);
  }

  /** The newest batches first, each as `get` shows it. */
  async list(limit: number): Promise<BatchJson[]> {
    const rows = await this.#db
      .selectFrom('image_batches')
      .select('id')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return Promise.all(rows.map((r) => this.get(r.id)));
  }

  async get(id: string): Promise<BatchJson> {
    const b = await this.#db.selectFrom('image_batches').selectAll().where('id', '=', id).executeTakeFirst();
    if (!b) throw new AppError('FH_ERR_BATCH_NOT_FOUND');
    const errors = await this.#db
      .selectFrom('image_batch_items')
      .select(['asset_id', 'error_code', 'error_message'])
      .where('batch_id', '=', id)
      .where('status', '=', 'failed')
      .orderBy('finished_at')
      .limit(100)
      .execute();
    const finished = b.done + b.failed;
    const elapsed =
      ((b.finished_at ? Date.parse(b.finished_at) : Date.now()) - Date.parse(b.created_at)) / 1000;
    const throughput = finished > 0 && elapsed > 0 ? finished / elapsed : null;
    return {
      id: b.id,
      status: b.status,
      presets: (JSON.parse(b.presets) as Array<[string, Recipe]>).map(([name]) => name),
      total: b.total,
      done: b.done,
      failed: b.failed,
      created_at: b.created_at,
      finished_at: b.finished_at,
      throughput: throughput === null ? null : Math.round(throughput * 100) / 100,
      eta_seconds:
        throughput && b.status === 'running' ? Math.round((b.total - finished) / throughput) : null,
      errors: errors.map((e) => ({
        asset_id: e.asset_id,
        code: e.error_code ?? 'FH_ERR_PROCESSING_FAILED',
        message: e.error_message ?? '',
      })),
    };
  }

  /** Presets by name as the Recipes they are now (their watermark asset resolved to its key). */
  async resolvePresets(names: string[]): Promise<Array<[string, Recipe]>> {
    const out: Array<[string, Recipe]> = [];
    const known = await this.#presets.list(); // read once, not once per name
    for (const name of [...new Set(names)]) {
      const found = known.find((p) => p.name === name);
      if (!found) throw new AppError('FH_ERR_PRESET_NOT_FOUND', `There is no preset named "${name}".`);
      out.push([name, await this.#resolve(found.preset)]);
    }
    return out;
  }

  /** The recipes of a batch, for its item jobs. */
  async recipes(batchId: string): Promise<Array<[string, Recipe]>> {
    const b = await this.#db
      .selectFrom('image_batches')
      .select('presets')
      .where('id', '=', batchId)
      .executeTakeFirst();
    return b ? (JSON.parse(b.presets) as Array<[string, Recipe]>) : [];
  }

  /**
   * Records an item's outcome once: the item moves from pending (a retried job finds it done and
   * changes nothing), then the batch's counter moves in the same transaction.
   */
  async finishItem(
    batchId: string,
    assetId: string,
    outcome: { outputs: Record<string, string> } | { code: string; message: string },
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const ok = 'outputs' in outcome;
      const now = isoNow();
      const item = await trx
        .updateTable('image_batch_items')
        .set(
          ok
            ? { status: 'done', outputs: JSON.stringify(outcome.outputs), finished_at: now }
            : {
                status: 'failed',
                error_code: outcome.code,
                error_message: outcome.message.slice(0, 500),
                finished_at: now,
              },
        )
        .where('batch_id', '=', batchId)
        .where('asset_id', '=', assetId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(item.numUpdatedRows) !== 1) return;
      const counter = ok ? 'done' : 'failed';
      const b = await trx
        .updateTable('image_batches')
        .set((eb) => ({ [counter]: eb(counter, '+', 1) }))
        .where('id', '=', batchId)
        .returning(['done', 'failed', 'total'])
        .executeTakeFirstOrThrow();
      const finished = b.done + b.failed;
      if (finished === b.total) {
        await trx
          .updateTable('image_batches')
          .set({ status: 'completed', finished_at: now })
          .where('id', '=', batchId)
          .execute();
        await recordEvent(trx, 'batch.completed', null, {
          batch_id: batchId,
          done: b.done,
          failed: b.failed,
          total: b.total,
        });
      } else if (Math.floor((finished * 20) / b.total) !== Math.floor(((finished - 1) * 20) / b.total)) {
        // Every 5 %: enough for a live bar, few enough for webhooks on a batch of thousands.
        await recordEvent(trx, 'batch.progress', null, {
          batch_id: batchId,
          done: b.done,
          failed: b.failed,
          total: b.total,
        });
      }
    });
  }

  /** A preset's watermark, named by its image asset, becomes that asset's stored key. */
  async #resolve(p: StoredPreset): Promise<Recipe> {
    if (!p.watermark) return { ...p, watermark: null };
    const mark = await assetRecords.get(this.#db, p.watermark.asset_id);
    // A watermark moved to the trash is gone as far as presets are concerned.
    const info = mark && !mark.deleted_at ? imageInfoOf(mark) : null;
    if (!info)
      throw new AppError(
        'FH_ERR_NOT_AN_IMAGE',
        `The watermark ${p.watermark.asset_id} is not a ready image asset.`,
      );
    return {
      ...p,
      watermark: {
        key: info.render_key,
        opacity: p.watermark.opacity,
        position: p.watermark.position as Recipe['gravity'] | 're',
        margin: p.watermark.margin,
        scale: p.watermark.scale,
      },
    };
  }
}
