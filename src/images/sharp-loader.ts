import type Sharp from 'sharp';

type SharpModule = typeof Sharp;

let settings: { threads: number; cacheMemoryMb: number } | null = null;
let loading: Promise<SharpModule> | null = null;

/**
 * sharp, loaded on first use. With it come libvips and its codecs (~20 MB of a process's
 * memory): an api process that renders no image, or a worker that only transcodes video, never
 * pays for them. Settings made before the first use are applied as it loads.
 */
export function loadSharp(): Promise<SharpModule> {
  loading ??= import('sharp').then(({ default: sharp }) => {
    applySettings(sharp);
    return sharp;
  });
  return loading;
}

/**
 * libvips threads per image, and its cache of recent operations' results (ours are kept as
 * renditions in the store instead, so a small cache serves): applied when sharp loads.
 */
export function configureSharp(threads: number, cacheMemoryMb: number): void {
  settings = { threads, cacheMemoryMb };
  if (loading) void loading.then(applySettings);
}

function applySettings(sharp: SharpModule): void {
  if (!settings) return;
  sharp.concurrency(settings.threads);
  sharp.cache({ memory: settings.cacheMemoryMb });
}
