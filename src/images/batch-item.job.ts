import { assetRecords } from '../assets/asset-records.ts';
import type { Db } from '../db/database.ts';
import { defineJob } from '../queue/jobs.ts';
import { AppError } from '../shared/errors.ts';
import { type Batches, batchItemSpec } from './batches.ts';
import { imageInfoOf } from './image-probe.ts';
import type { ImageRenditions } from './image-renditions.ts';

/**
 * One batch item: every preset of the batch for one image asset, each read from the stored
 * source and written back to the store (workers hand keys to each other, never bitmaps). A bad
 * image fails its item only; trouble that is not the image's (the store) is retried.
 */
export const batchItemJob = (deps: { db: Db; batches: Batches; renditions: ImageRenditions }) =>
  defineJob<{ batchId: string; assetId: string }>(batchItemSpec.type, {
    ...batchItemSpec,
    onDead: ({ batchId, assetId }, error) =>
      deps.batches.finishItem(batchId, assetId, { code: 'FH_ERR_PROCESSING_FAILED', message: error }),
    async handler({ payload: { batchId, assetId } }) {
      const asset = await assetRecords.get(deps.db, assetId);
      const fail = (e: AppError) =>
        deps.batches.finishItem(batchId, assetId, { code: e.code, message: e.message });
      // An asset in the trash is as good as gone: its item fails, the batch goes on.
      if (!asset || asset.deleted_at) return fail(new AppError('FH_ERR_ASSET_NOT_FOUND'));
      // Uploaded a moment ago: the probe has not run yet, so wait for it (the queue retries).
      if (asset.status === 'waiting') throw new Error(`asset ${assetId} is not probed yet`);
      if (!imageInfoOf(asset)) {
        const why =
          asset.status === 'errored'
            ? (JSON.parse(asset.errors) as Array<{ message: string }>)[0]?.message
            : null;
        return fail(new AppError('FH_ERR_NOT_AN_IMAGE', why ?? undefined));
      }
      const outputs: Record<string, string> = {};
      try {
        for (const [name, recipe] of await deps.batches.recipes(batchId))
          outputs[name] = await deps.renditions.ensure(asset, recipe);
      } catch (e) {
        if (e instanceof AppError) return fail(e);
        throw e;
      }
      await deps.batches.finishItem(batchId, assetId, { outputs });
    },
  });
