import type { RenditionsTable } from '../db/schema.ts';
import type { LadderPlan } from '../media/ladder.ts';

export const AUDIO_RENDITION = 'audio';

/** The rendition rows an asset gets from its ladder plan (all `queued` until transcoding runs). */
export function renditionRows(plan: LadderPlan, now: string): Omit<RenditionsTable, 'asset_id'>[] {
  const rows: Omit<RenditionsTable, 'asset_id'>[] = plan.video.map((r, i) => ({
    name: r.name,
    type: 'video',
    position: i,
    width: r.width,
    height: r.height,
    bandwidth: r.bandwidth,
    average_bandwidth: null,
    codecs: r.codecs,
    frame_rate: r.fps,
    status: 'queued',
    created_at: now,
    updated_at: now,
  }));
  if (plan.audio) {
    rows.push({
      name: AUDIO_RENDITION,
      type: 'audio',
      position: rows.length,
      width: null,
      height: null,
      bandwidth: plan.audio.bitrate,
      average_bandwidth: null,
      codecs: plan.audio.codecs,
      frame_rate: null,
      status: 'queued',
      created_at: now,
      updated_at: now,
    });
  }
  return rows;
}
