/**
 * What to make of an image: the shape every path shares (presets, batches, the CLI and the
 * imgproxy-compatible URLs all come down to one Recipe).
 */
export type Fit = 'fit' | 'fill' | 'fill-down' | 'force' | 'auto';
export type Gravity = 'no' | 'so' | 'ea' | 'we' | 'noea' | 'nowe' | 'soea' | 'sowe' | 'ce' | 'sm';
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'avif';

export interface WatermarkSpec {
  /** Object-store key of the watermark image (a PNG with transparency, usually). */
  key: string;
  /** 0–1. */
  opacity: number;
  /** Where on the picture; `re` repeats it as a tile. */
  position: Gravity | 're';
  /** Pixels from the edges it is placed against. */
  margin: number;
  /** Its width as a share of the picture's width (0–1); 0 keeps its own size. */
  scale: number;
}

export interface Recipe {
  /** 0 keeps the aspect ratio from the other side; both 0 keep the size. */
  width: number;
  height: number;
  fit: Fit;
  /** Make small images bigger (off by default: upscaling adds nothing). */
  enlarge: boolean;
  gravity: Gravity;
  /** Gaussian blur sigma; 0 for none. */
  blur: number;
  /** Sharpen sigma; 0 for none. */
  sharpen: number;
  watermark: WatermarkSpec | null;
  format: OutputFormat;
  /** 1–100; null for the format's default. */
  quality: number | null;
}

export const DEFAULT_RECIPE: Recipe = {
  width: 0,
  height: 0,
  fit: 'fit',
  enlarge: false,
  gravity: 'ce',
  blur: 0,
  sharpen: 0,
  watermark: null,
  format: 'jpeg',
  quality: null,
};

/** The presets every installation has; configuration and the API add or replace them. */
export const DEFAULT_PRESETS: Record<string, Recipe> = {
  '4k': { ...DEFAULT_RECIPE, width: 3840, height: 2160, quality: 85 },
  '1080p': { ...DEFAULT_RECIPE, width: 1920, height: 1080, quality: 82 },
  // Small pictures lose crispness when scaled down this far: a light sharpen restores it.
  thumbnail: {
    ...DEFAULT_RECIPE,
    width: 320,
    height: 320,
    fit: 'fill',
    sharpen: 0.5,
    format: 'webp',
    quality: 75,
  },
};

/** The file extension of each output format (object keys, output file names). */
export const FORMAT_EXTENSION: Record<OutputFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
};
