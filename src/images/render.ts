import type { FitEnum, OverlayOptions, Sharp, SharpOptions } from 'sharp';
import { AppError } from '../shared/errors.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits, inspectImage } from './limits.ts';
import type { Fit, Gravity, Recipe, WatermarkSpec } from './recipe.ts';
import { loadSharp } from './sharp-loader.ts';

export interface RenderedImage {
  data: Buffer;
  width: number;
  height: number;
  format: Recipe['format'];
}

const GRAVITY: Record<Exclude<Gravity, 'sm'>, string> = {
  no: 'north',
  so: 'south',
  ea: 'east',
  we: 'west',
  noea: 'northeast',
  nowe: 'northwest',
  soea: 'southeast',
  sowe: 'southwest',
  ce: 'centre',
};

const FIT: Record<Exclude<Fit, 'auto'>, keyof FitEnum> = {
  fit: 'inside',
  fill: 'cover',
  'fill-down': 'cover',
  force: 'fill',
};

/**
 * Source → Recipe → encoded image, with sharp: the header is checked against the limits before
 * decoding; EXIF orientation is applied, colour converted to sRGB (CMYK and 16-bit sources
 * included), and metadata — location with it — left out of the output. Animated sources stay
 * animated where the format can hold it (WebP), and become their first frame otherwise.
 */
export async function renderImage(
  input: string | Buffer,
  recipe: Recipe,
  opts: {
    size: number;
    limits?: ImageLimits;
    /** The watermark's bytes, by key (from the object store). */
    loadWatermark?: (key: string) => Promise<Buffer>;
  },
): Promise<RenderedImage> {
  const limits = opts.limits ?? DEFAULT_IMAGE_LIMITS;
  const header = await inspectImage(input, opts.size, limits);
  const sharp = await loadSharp();
  const animated = header.frames > 1 && recipe.format === 'webp';
  const decodeOpts: SharpOptions = {
    limitInputPixels: Math.ceil(limits.maxMegapixels * 1e6),
    animated,
    // A truncated file is an error, not half a picture.
    failOn: 'truncated',
  };
  try {
    let image = sharp(input, decodeOpts).rotate().toColourspace('srgb');
    const fit = recipe.fit === 'auto' ? autoFit(header, recipe) : recipe.fit;
    if (recipe.width || recipe.height) {
      image = image.resize({
        width: recipe.width || undefined,
        height: recipe.height || undefined,
        fit: FIT[fit],
        position: recipe.gravity === 'sm' ? sharp.strategy.attention : GRAVITY[recipe.gravity],
        withoutEnlargement: !recipe.enlarge || fit === 'fill-down',
      });
    }
    if (recipe.blur > 0) image = image.blur(Math.max(0.3, recipe.blur));
    if (recipe.sharpen > 0) image = image.sharpen({ sigma: recipe.sharpen });

    if (recipe.watermark && opts.loadWatermark && !animated) {
      // The watermark is placed on the final size, so the picture is sized first.
      const { data, info } = await image.toBuffer({ resolveWithObject: true });
      const mark = await prepareWatermark(
        await opts.loadWatermark(recipe.watermark.key),
        recipe.watermark,
        info.width,
      );
      image = sharp(data).composite([placement(mark, recipe.watermark, info.width, info.height)]);
    }
    image = encode(image, recipe);
    const { data, info } = await image.toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.pageHeight ?? info.height, format: recipe.format };
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError('FH_ERR_MEDIA_DAMAGED', `The image cannot be processed: ${(e as Error).message}`);
  }
}

/** imgproxy's `auto`: fill when source and target have the same orientation, fit otherwise. */
function autoFit(header: { width: number; height: number }, recipe: Recipe): Exclude<Fit, 'auto'> {
  if (!recipe.width || !recipe.height) return 'fit';
  return header.width >= header.height === recipe.width >= recipe.height ? 'fill' : 'fit';
}

function encode(image: Sharp, recipe: Recipe): Sharp {
  const quality = recipe.quality ?? undefined;
  switch (recipe.format) {
    case 'jpeg':
      // Progressive: a large photo shows whole, then sharpens, on a slow connection.
      return image.jpeg({ quality, progressive: true, mozjpeg: false });
    case 'png':
      return image.png({ compressionLevel: 6 });
    case 'webp':
      return image.webp({ quality });
    case 'avif':
      return image.avif({ quality, effort: 4 });
  }
}

interface PreparedMark {
  data: Buffer;
  width: number;
  height: number;
}

/** The watermark at its size on this picture, with its opacity multiplied into its alpha. */
async function prepareWatermark(
  bytes: Buffer,
  spec: WatermarkSpec,
  pictureWidth: number,
): Promise<PreparedMark> {
  const sharp = await loadSharp();
  const own = await sharp(bytes).metadata();
  const width = Math.max(
    1,
    Math.min(
      pictureWidth,
      spec.scale > 0 ? Math.round(pictureWidth * spec.scale) : (own.width ?? pictureWidth),
    ),
  );
  const { data: rgba, info } = await sharp(bytes)
    .resize({ width })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  // Opacity multiplies the mark's own alpha (a logo's transparent parts stay transparent).
  const opacity = Math.max(0, Math.min(1, spec.opacity));
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = Math.round((rgba[i] ?? 0) * opacity);
  const data = await sharp(rgba, { raw: { width: info.width, height: info.height, channels: 4 } })
    .png()
    .toBuffer();
  return { data, width: info.width, height: info.height };
}

/** Where the watermark goes: against an edge or corner with the margin, centred, or tiled. */
function placement(mark: PreparedMark, spec: WatermarkSpec, width: number, height: number): OverlayOptions {
  if (spec.position === 're') return { input: mark.data, tile: true, gravity: 'northwest' };
  const m = spec.margin;
  const maxLeft = Math.max(0, width - mark.width);
  const maxTop = Math.max(0, height - mark.height);
  const clamp = (v: number, hi: number) => Math.max(0, Math.min(hi, Math.round(v)));
  const g = spec.position === 'sm' ? 'ce' : spec.position;
  const left = g.endsWith('we') ? m : g.endsWith('ea') ? maxLeft - m : maxLeft / 2;
  const top = g.startsWith('no') ? m : g.startsWith('so') ? maxTop - m : maxTop / 2;
  return { input: mark.data, left: clamp(left, maxLeft), top: clamp(top, maxTop) };
}
