import * as m from '../i18n/generated/messages.js';
import type { LiveStream } from './live-stream.ts';

/**
 * The OBS settings that suit this stream, as a short block to copy or follow. The key itself is
 * not in it: it stays behind its own Show button. Why these values: the live transcoder copies
 * the source as the top rung when its keyframes fall every 2 s (the segment length), x264's
 * `zerolatency` and no B-frames keep the encoder's own delay near zero, and CBR keeps the
 * parts of a low-latency stream evenly sized.
 */
export function obsSettings(stream: Pick<LiveStream, 'ingest' | 'latency_mode'>): string {
  const low = stream.latency_mode === 'low';
  return [
    m.live_obs_stream_section(),
    `  ${m.live_obs_service()}`,
    `  ${m.live_obs_server({ url: stream.ingest.rtmp })}`,
    `  ${m.live_obs_key()}`,
    m.live_obs_output_section(),
    `  ${m.live_obs_encoder()}`,
    `  ${m.live_obs_rate_control()}`,
    `  ${m.live_obs_bitrate()}`,
    `  ${m.live_obs_keyframe()}`,
    `  ${m.live_obs_preset()}`,
    `  ${m.live_obs_profile()}`,
    `  ${low ? m.live_obs_tune_low() : m.live_obs_tune_standard()}`,
    `  ${low ? m.live_obs_x264_low() : m.live_obs_x264_standard()}`,
    m.live_obs_audio_section(),
    `  ${m.live_obs_sample_rate()}`,
    m.live_obs_output_audio_section(),
    `  ${m.live_obs_audio_bitrate()}`,
    m.live_obs_video_section(),
    `  ${m.live_obs_resolution()}`,
  ].join('\n');
}
