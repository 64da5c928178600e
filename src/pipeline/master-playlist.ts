import type { LadderPlan } from '../media/ladder.ts';
import { buildMasterPlaylist } from './hls-playlists.ts';
import { AUDIO_RENDITION } from './renditions.ts';

/** Peak and average bits per second of each rendition, measured from its segments. */
export type Measured = Map<string, { peak: number; average: number }>;

/**
 * The master playlist for the rungs of `plan` that are listed: from the plan's estimates while
 * they are being written, from measured segment sizes once known. `state`: whether some are still
 * being encoded, whether more will be listed (see buildMasterPlaylist).
 */
export function masterFor(
  plan: LadderPlan,
  measured: Measured | null,
  state: { encoding?: boolean; moreRungs?: boolean } = {},
): string {
  const audioMeasured = measured?.get(AUDIO_RENDITION);
  const audio = plan.audio
    ? {
        name: AUDIO_RENDITION,
        codecs: plan.audio.codecs,
        channels: plan.audio.channels,
        bandwidth: audioMeasured?.peak ?? plan.audio.bitrate * 1.1,
        averageBandwidth: audioMeasured?.average,
      }
    : null;
  const video = plan.video.map((r) => {
    const m = measured?.get(r.name);
    return {
      name: r.name,
      width: r.width,
      height: r.height,
      fps: r.fps,
      codecs: r.codecs,
      bandwidth: m?.peak ?? r.maxrate * 1.1,
      averageBandwidth: m?.average,
    };
  });
  return buildMasterPlaylist(video, audio, state);
}
