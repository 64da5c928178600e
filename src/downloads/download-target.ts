import type { Mp4Support, RenditionRow } from '../db/schema.ts';
import { AppError } from '../shared/errors.ts';

/**
 * Which download an asset offers, from its `mp4_support` and its ladder:
 * - `standard`: the highest video rung;
 * - `capped-1080p`: the highest video rung whose short side is at most 1080 (a portrait
 *   1080×1920 rung counts as 1080p, as the ladder names it);
 * - an audio-only asset gets its audio as `audio.m4a` either way (AAC in MP4, the file type
 *   players expect for sound without picture);
 * - `none`, or an asset without a ladder (an image, one not probed yet): nothing.
 */
export const MP4_SUPPORT: readonly Mp4Support[] = ['none', 'standard', 'capped-1080p'];
const CAPPED_SHORT_SIDE = 1080;

export type RenditionSummary = Pick<RenditionRow, 'name' | 'type' | 'width' | 'height' | 'status'>;

export interface DownloadTarget {
  /** The file's name, which is also how the download is listed: `720p.mp4`, `audio.m4a`. */
  name: string;
  ext: 'mp4' | 'm4a';
  /** The video rung it is remuxed from, null for audio only. */
  video: string | null;
  /** The audio rendition muxed with it, null when the asset has no sound. */
  audio: string | null;
  width: number | null;
  height: number | null;
  /** Every rendition it is made from has landed, so it can be made now. */
  ready: boolean;
}

export function downloadTarget(
  mp4Support: Mp4Support,
  renditions: readonly RenditionSummary[],
): DownloadTarget | null {
  if (mp4Support === 'none') return null;
  const audio = renditions.find((r) => r.type === 'audio') ?? null;
  const video = renditions
    .filter((r) => r.type === 'video' && r.width !== null && r.height !== null)
    .filter((r) => mp4Support !== 'capped-1080p' || shortSide(r) <= CAPPED_SHORT_SIDE)
    .sort((a, b) => shortSide(b) - shortSide(a))[0];
  if (video) {
    return {
      name: `${video.name}.mp4`,
      ext: 'mp4',
      video: video.name,
      audio: audio?.name ?? null,
      width: video.width,
      height: video.height,
      ready: video.status === 'ready' && (!audio || audio.status === 'ready'),
    };
  }
  if (renditions.some((r) => r.type === 'video')) return null; // only rungs over the cap: none
  if (!audio) return null;
  return {
    name: `${audio.name}.m4a`,
    ext: 'm4a',
    video: null,
    audio: audio.name,
    width: null,
    height: null,
    ready: audio.status === 'ready',
  };
}

const shortSide = (r: RenditionSummary) => Math.min(r.width ?? 0, r.height ?? 0);

/** A value from a form field or tus metadata: one of MP4_SUPPORT, or a coded 400. */
export function parseMp4Support(value: string | null | undefined): Mp4Support {
  const v = (value ?? '').trim();
  if (v === '') return 'none';
  const known = MP4_SUPPORT.find((m) => m === v);
  if (!known) {
    throw new AppError(
      'FH_ERR_VALIDATION',
      `mp4_support must be one of ${MP4_SUPPORT.join(', ')} (got ${JSON.stringify(v.slice(0, 40))}).`,
    );
  }
  return known;
}
