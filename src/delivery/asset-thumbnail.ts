import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AssetRow } from '../db/schema.ts';
import type { ImageRenditions } from '../images/image-renditions.ts';
import { DEFAULT_RECIPE } from '../images/recipe.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { HotObjects } from './hot-objects.ts';
import { sendObject } from './serve-object.ts';
import type { Thumbnailer } from './thumbnails.ts';

const IMAGE = 'public, max-age=86400';
// Signed: nothing shared caches may keep for browsers; CDNs that check the token themselves may.
const SIGNED_IMAGE = 'private, max-age=86400';

/**
 * An asset's thumbnail as an HTTP answer: a photo's is the photo, scaled; a video's a frame (the
 * poster by default). Shared by `/play/{id}/thumbnail.jpg` and the live room's poster and product
 * images, which must not hand out a playback token of the asset to show it.
 */
export class AssetThumbnails {
  readonly #deps: {
    store: ObjectStore;
    thumbnails: Thumbnailer;
    images: ImageRenditions;
    hot?: HotObjects | undefined;
  };

  constructor(deps: {
    store: ObjectStore;
    thumbnails: Thumbnailer;
    images: ImageRenditions;
    hot?: HotObjects | undefined;
  }) {
    this.#deps = deps;
  }

  async send(
    request: FastifyRequest,
    reply: FastifyReply,
    asset: AssetRow,
    query: { time?: number; width?: number },
    signed: boolean,
  ): Promise<FastifyReply> {
    const { store, thumbnails, images, hot } = this.#deps;
    const key =
      asset.kind === 'image'
        ? await images.ensure(asset, {
            ...DEFAULT_RECIPE,
            width: Math.min(query.width ?? 640, asset.width ?? 640),
            quality: 80,
          })
        : await thumbnails.ensure(asset, query);
    return sendObject(
      request,
      reply,
      store,
      key,
      signed ? SIGNED_IMAGE : IMAGE,
      signed ? { 'cdn-cache-control': IMAGE } : {},
      hot ? { tier: hot, immutable: false } : undefined,
    );
  }
}
