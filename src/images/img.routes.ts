import type { FastifyInstance } from 'fastify';
import type { AssetsService } from '../assets/assets.service.ts';
import { sendObject } from '../delivery/serve-object.ts';
import { AppError } from '../shared/errors.ts';
import { WorkLimiter } from '../shared/work-limiter.ts';
import { imageInfoOf } from './image-probe.ts';
import type { ImageRenditions } from './image-renditions.ts';
import { type ImageOptions, type ImgproxyKeys, ImgproxyUrlError, parseImgproxyPath } from './imgproxy-url.ts';
import type { OutputFormat, Recipe } from './recipe.ts';

/** A signed URL names one image for ever: shared caches may keep it a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Deps {
  assets: AssetsService;
  renditions: ImageRenditions;
  keys: ImgproxyKeys | null;
  /** The image asset that `wm:` options put on pictures (FRAMEHOUSE_IMG_WATERMARK_ASSET), if any. */
  watermarkAssetId: string | null;
  /** Renderings made at once on this node; more wait, and past twice that many get a 503. */
  maxRendering: number;
}

/**
 * `GET /img/{signature}/{options}/plain/assets/{id}[@format]`: imgproxy-compatible, signed,
 * on-the-fly variants of image assets (see imgproxy-url.ts for what is understood), made once
 * and kept in the object store.
 */
export function registerImgRoutes(app: FastifyInstance, deps: Deps): void {
  const limiter = new WorkLimiter(deps.maxRendering, deps.maxRendering * 2);

  app.get('/img/*', { schema: { hide: true } }, async (request, reply) => {
    let parsed: ReturnType<typeof parseImgproxyPath>;
    try {
      parsed = parseImgproxyPath(request.url.slice('/img'.length), deps.keys);
    } catch (e) {
      if (e instanceof ImgproxyUrlError) throw new AppError(e.code, e.message);
      throw e;
    }
    const asset = await deps.assets.row(parsed.assetId);
    const info = asset ? imageInfoOf(asset) : null;
    if (!asset || !info) throw new AppError('FH_ERR_NOT_FOUND', 'No image asset has this id.');
    if (asset.status !== 'ready') throw new AppError('FH_ERR_NOT_READY');
    const negotiated = parsed.options.format === 'auto';
    const format = outputFormat(parsed.options.format, request.headers.accept, info.format);
    const mark =
      parsed.options.watermark && deps.watermarkAssetId
        ? await deps.assets.row(deps.watermarkAssetId)
        : undefined;
    const recipe = recipeOf(parsed.options, format, (mark && imageInfoOf(mark)?.render_key) ?? null);
    // Only a rendering that is missing costs work, and only that waits for a turn.
    const key = await deps.renditions.ensure(asset, recipe, limiter);
    if (negotiated) reply.header('vary', 'Accept');
    return sendObject(request, reply, deps.renditions.store, key, IMMUTABLE);
  });
}

/** `auto` picks the best the browser says it takes; no format keeps the source's, where it can. */
export function outputFormat(
  asked: ImageOptions['format'],
  accept: string | undefined,
  source: string,
): OutputFormat {
  if (asked && asked !== 'auto') return asked;
  if (asked === 'auto') {
    if (accept?.includes('image/avif')) return 'avif';
    if (accept?.includes('image/webp')) return 'webp';
    return 'jpeg';
  }
  return source === 'png' || source === 'webp' || source === 'avif' ? source : 'jpeg';
}

/** imgproxy's options as our Recipe (sizes times `dpr`; offsets become the watermark's margin). */
export function recipeOf(o: ImageOptions, format: OutputFormat, watermarkKey: string | null): Recipe {
  if (o.watermark && !watermarkKey)
    throw new AppError(
      'FH_ERR_IMG_OPTIONS',
      'No watermark image is configured on this server (FRAMEHOUSE_IMG_WATERMARK_ASSET).',
    );
  return {
    width: Math.round(o.resize.width * o.dpr),
    height: Math.round(o.resize.height * o.dpr),
    fit: o.resize.type,
    enlarge: o.resize.enlarge,
    // A focus point is placed as the centre (libvips crops by gravity, not by a point).
    gravity: o.gravity.type === 'fp' ? 'ce' : o.gravity.type,
    blur: o.blur,
    sharpen: o.sharpen,
    watermark:
      o.watermark && watermarkKey
        ? {
            key: watermarkKey,
            opacity: o.watermark.opacity,
            position: o.watermark.position,
            margin: Math.max(o.watermark.x, o.watermark.y),
            scale: o.watermark.scale,
          }
        : null,
    format,
    quality: o.quality,
  };
}
