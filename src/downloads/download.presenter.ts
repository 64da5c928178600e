import type { AssetRow, DownloadRow } from '../db/schema.ts';
import { downloadTarget, type RenditionSummary } from './download-target.ts';

export type DownloadStatusJson = 'waiting' | 'preparing' | 'ready' | 'errored';

/**
 * An asset's `downloads`: the ones made or being made, and the one it will get once its rung
 * lands (`waiting`). `url` is on the asset's first playback id (add `?token=` when it is signed).
 */
export function presentDownloads(
  asset: Pick<AssetRow, 'mp4_support'>,
  renditions: readonly RenditionSummary[],
  rows: readonly DownloadRow[],
  playbackId: string | undefined,
) {
  const url = (name: string) =>
    playbackId ? `/play/${playbackId}/download.${name.endsWith('.m4a') ? 'm4a' : 'mp4'}` : null;
  const out: Array<{
    name: string;
    width: number | null;
    height: number | null;
    size: number | null;
    status: DownloadStatusJson;
    url: string | null;
  }> = rows.map((r) => ({
    name: r.name,
    width: r.width,
    height: r.height,
    size: r.status === 'ready' ? r.size : null,
    status: r.status,
    url: url(r.name),
  }));
  const target = downloadTarget(asset.mp4_support, renditions);
  if (target && !rows.some((r) => r.name === target.name)) {
    out.push({
      name: target.name,
      width: target.width,
      height: target.height,
      size: null,
      status: 'waiting',
      url: url(target.name),
    });
  }
  return out;
}
