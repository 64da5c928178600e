/** Where each asset's outputs live in the object store. One place, so nothing builds keys by hand. */
export const mediaKeys = {
  source: (assetId: string) => `sources/${assetId}/original`,
  hlsPrefix: (assetId: string) => `hls/${assetId}/`,
  hls: (assetId: string, file: string) => `hls/${assetId}/${file}`,
  imagesPrefix: (assetId: string) => `images/${assetId}/`,
  poster: (assetId: string) => `images/${assetId}/poster.jpg`,
  thumbnail: (assetId: string, timeMs: number, width: number) =>
    `images/${assetId}/thumbs/${timeMs}_${width}.jpg`,
  /** A camera RAW developed to a 16-bit TIFF once, the input of every rendering after. */
  developedRaw: (assetId: string) => `images/${assetId}/developed.tif`,
  /** Renderings (presets, batches, imgproxy-style URLs), by a hash of what was asked. */
  rendition: (assetId: string, hash: string, ext: string) => `images/${assetId}/r/${hash}.${ext}`,
  storyboardImage: (assetId: string) => `images/${assetId}/storyboard.jpg`,
  storyboardVtt: (assetId: string) => `images/${assetId}/storyboard.vtt`,
  sourcePrefix: (assetId: string) => `sources/${assetId}/`,
  /** Subtitle and caption tracks, as WebVTT: outside hls/, which a transcode rewrites whole. */
  track: (assetId: string, trackId: string) => `captions/${assetId}/${trackId}.vtt`,
  tracksPrefix: (assetId: string) => `captions/${assetId}/`,
  /** MP4 downloads, a key of their own each time one is made (see pipeline/make-download.job.ts). */
  downloadsPrefix: (assetId: string) => `downloads/${assetId}/`,
  download: (assetId: string, file: string) => `downloads/${assetId}/${file}`,
};

/**
 * The top folder of a stored key and the id after it (`hls/{assetId}/…`, `live/{broadcastId}/…`);
 * null for keys without both (`tus/abc`, `hls/abc`). Which folders mean what is the caller's.
 */
export function folderOfKey(key: string): { folder: string; id: string } | null {
  const slash = key.indexOf('/');
  const next = key.indexOf('/', slash + 1);
  if (slash < 0 || next < 0) return null;
  return { folder: key.slice(0, slash), id: key.slice(slash + 1, next) };
}
