import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { AssetRow } from '../db/schema.ts';
import { AppError } from '../shared/errors.ts';
import type { WorkLimiter } from '../shared/work-limiter.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { imageInfoOf } from './image-probe.ts';
import type { ImageLimits } from './limits.ts';
import { FORMAT_EXTENSION, type Recipe } from './recipe.ts';
import { renderImage } from './render.ts';

/**
 * Renderings of image assets, kept in the object store under a hash of their recipe: the same
 * recipe on the same asset is made once, whichever path asked (a batch, a URL, the API).
 */
export class ImageRenditions {
  readonly store: ObjectStore;
  readonly #limits: ImageLimits;

  constructor(deps: { store: ObjectStore; limits: ImageLimits }) {
    this.store = deps.store;
    this.#limits = deps.limits;
  }

  keyFor(assetId: string, recipe: Recipe): string {
    // Hex: a base64url hash may begin with '-', which object keys refuse.
    const hash = createHash('sha256').update(canonicalRecipe(recipe)).digest('hex').slice(0, 32);
    return mediaKeys.rendition(assetId, hash, FORMAT_EXTENSION[recipe.format]);
  }

  /**
   * The rendering's key, made now if it does not exist yet. `limiter` bounds the rendering
   * itself (requests pass one; batch jobs are bounded by their worker's slots).
   */
  async ensure(asset: AssetRow, recipe: Recipe, limiter?: WorkLimiter): Promise<string> {
    const info = imageInfoOf(asset);
    if (!info || asset.status !== 'ready')
      throw new AppError('FH_ERR_NOT_READY', 'This asset is not a ready image.');
    const key = this.keyFor(asset.id, recipe);
    if (await this.store.stat(key)) return key;
    const render = async () => {
      const out = await this.store.withLocalFile(info.render_key, async (path) =>
        renderImage(path, recipe, {
          size: info.format === 'raw' ? 0 : (await stat(path)).size,
          limits: this.#limits,
          loadWatermark: (wmKey) => this.store.getBuffer(wmKey),
        }),
      );
      await this.store.put(key, out.data);
    };
    await (limiter ? limiter.run(render) : render());
    return key;
  }
}

/** The recipe as a stable string (fixed key order): equal recipes, equal keys. */
export function canonicalRecipe(r: Recipe): string {
  const w = r.watermark;
  return JSON.stringify([
    r.width,
    r.height,
    r.fit,
    r.enlarge,
    r.gravity,
    r.blur,
    r.sharpen,
    w ? [w.key, w.opacity, w.position, w.margin, w.scale] : null,
    r.format,
    r.quality,
  ]);
}
