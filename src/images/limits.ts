import type { Metadata } from 'sharp';
import { AppError } from '../shared/errors.ts';
import { loadSharp } from './sharp-loader.ts';

export interface ImageLimits {
  /** Width × height (× frames for animations) a source may declare. */
  maxMegapixels: number;
  maxBytes: number;
  maxFrames: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxMegapixels: 100,
  maxBytes: 200 * 1024 * 1024,
  maxFrames: 200,
};

/** The limits as configured (FRAMEHOUSE_IMAGE_MAX_*). */
export const imageLimitsOf = (c: {
  imageMaxMegapixels: number;
  imageMaxBytes: number;
  imageMaxFrames: number;
}) => ({
  maxMegapixels: c.imageMaxMegapixels,
  maxBytes: c.imageMaxBytes,
  maxFrames: c.imageMaxFrames,
});

/** Refuses a source from its byte size alone (before reading it, where the caller can). */
export function assertFileSize(size: number, limits: ImageLimits): void {
  if (size > limits.maxBytes) {
    throw new AppError(
      'FH_ERR_IMAGE_TOO_LARGE',
      `The image file is ${(size / 1e6).toFixed(0)} MB; at most ${(limits.maxBytes / 1e6).toFixed(0)} MB are accepted.`,
    );
  }
}

export interface ImageHeader {
  format: string;
  width: number;
  height: number;
  frames: number;
  /** EXIF orientation 1–8, when the file states one. */
  orientation: number | null;
}

/**
 * Reads what an image declares — from its header only, before any pixel is decoded — and
 * refuses bombs: a 50,000 × 50,000 PNG is a few kilobytes on disk and 10 GB once decoded.
 */
export async function inspectImage(
  input: string | Buffer,
  size: number,
  limits: ImageLimits,
): Promise<ImageHeader> {
  assertFileSize(size, limits);
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false, failOn: 'none' }).metadata();
  } catch (e) {
    throw new AppError('FH_ERR_MEDIA_DAMAGED', `The image cannot be read: ${(e as Error).message}`);
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  const frames = meta.pages ?? 1;
  if (!width || !height) throw new AppError('FH_ERR_MEDIA_DAMAGED', 'The image states no size.');
  const megapixels = (width * height * Math.min(frames, limits.maxFrames)) / 1e6;
  if (megapixels > limits.maxMegapixels) {
    throw new AppError(
      'FH_ERR_IMAGE_TOO_LARGE',
      `The image declares ${width} × ${height}${frames > 1 ? ` × ${frames} frames` : ''} pixels (${megapixels.toFixed(0)} MP); at most ${limits.maxMegapixels} MP are processed.`,
    );
  }
  if (frames > limits.maxFrames) {
    throw new AppError(
      'FH_ERR_IMAGE_TOO_LARGE',
      `The animation has ${frames} frames; at most ${limits.maxFrames}.`,
    );
  }
  return { format: meta.format ?? 'unknown', width, height, frames, orientation: meta.orientation ?? null };
}
