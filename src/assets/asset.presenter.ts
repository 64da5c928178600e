import { presentTrack } from '../captions/track.presenter.ts';
import type { AssetRow, DownloadRow, PlaybackIdRow, RenditionRow, TrackRow } from '../db/schema.ts';
import { presentDownloads } from '../downloads/download.presenter.ts';
import { purgeAfter } from './trash.ts';

/**
 * The public shape of an asset (ARCHITECTURE.md "API contract"): snake_case, ISO times.
 * `trashDays`: the trash period, for `purge_after` of an asset in the trash.
 */
export function presentAsset(
  asset: AssetRow,
  renditions: RenditionRow[],
  playbackIds: PlaybackIdRow[],
  tracks: TrackRow[] = [],
  downloads: DownloadRow[] = [],
  trashDays = 0,
) {
  const primary = playbackIds[0];
  return {
    id: asset.id,
    status: asset.status,
    kind: asset.kind,
    title: asset.title,
    duration: asset.duration,
    width: asset.width,
    height: asset.height,
    is_360: asset.is_360 === 1,
    progress: asset.progress,
    renditions: renditions.map((r) => ({
      name: r.name,
      type: r.type,
      width: r.width,
      height: r.height,
      bandwidth: r.bandwidth,
      codecs: r.codecs,
      frame_rate: r.frame_rate,
      status: r.status,
    })),
    playback_ids: playbackIds.map((p) => ({ id: p.id, policy: p.policy })),
    tracks: tracks.map(presentTrack),
    playback: primary ? playbackPaths(primary.id) : null,
    source: { filename: asset.source_filename, size: asset.source_size, sha256: asset.source_sha256 },
    errors: JSON.parse(asset.errors) as { code: string; message: string }[],
    mp4_support: asset.mp4_support,
    downloads: presentDownloads(asset, renditions, downloads, primary?.id),
    created_at: asset.created_at,
    updated_at: asset.updated_at,
    // In the trash: since when, and the earliest it may be purged (later while a backup is awaited).
    deleted_at: asset.deleted_at ?? null,
    purge_after: asset.deleted_at ? purgeAfter(asset.deleted_at, trashDays) : null,
  };
}

export type AssetJson = ReturnType<typeof presentAsset>;

/** Absolute paths on this server; the delivery routes answer them. */
export function playbackPaths(playbackId: string) {
  return {
    hls: `/play/${playbackId}/master.m3u8`,
    thumbnail: `/play/${playbackId}/thumbnail.jpg`,
    storyboard: `/play/${playbackId}/storyboard.vtt`,
  };
}
