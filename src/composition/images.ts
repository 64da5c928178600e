import type { Config } from '../config/config.ts';
import { batchItemJob } from '../images/batch-item.job.ts';
import { Batches } from '../images/batches.ts';
import { ImageRenditions } from '../images/image-renditions.ts';
import { imgKeysFromHex } from '../images/imgproxy-url.ts';
import { imageLimitsOf } from '../images/limits.ts';
import { Presets } from '../images/presets.ts';
import { configureSharp } from '../images/sharp-loader.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import type { Infrastructure } from './infrastructure.ts';

/** Images: what a source may declare, renderings, presets and batches. */
export function imageServices(config: Config, { db, queue, store }: Infrastructure) {
  const limits = imageLimitsOf(config);
  const renditions = new ImageRenditions({ store, limits });
  const presets = new Presets(db, config.imagePresets);
  const batches = new Batches({ db, queue, presets });
  // libvips threads per image; parallel images come from the worker's slots (see docs/images-scaling.md).
  // Its operation cache (50 MB by default) is kept small: renderings are kept in the store.
  configureSharp(config.imageThreads, 16);
  return { limits, renditions, presets, batches };
}

export type ImageServices = ReturnType<typeof imageServices>;

/** What the HTTP app serves images with: imgproxy-style signed URLs, renderings, presets, batches. */
export function imageHttpOptions(config: Config, { renditions, presets, batches }: ImageServices) {
  return {
    keys: imgKeysFromHex(config.imgKey, config.imgSalt),
    renditions,
    watermarkAssetId: config.imgWatermarkAsset ?? null,
    presets,
    batches,
  };
}

/** One image of a batch, rendered with its presets. */
export function imageJobs(
  { db }: Infrastructure,
  { batches, renditions }: ImageServices,
): AnyJobDefinition[] {
  return [batchItemJob({ db, batches, renditions })];
}
