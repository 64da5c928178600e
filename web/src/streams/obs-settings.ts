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
    'Settings → Stream',
    '  Service: Custom…',
    `  Server: ${stream.ingest.rtmp}`,
    '  Stream Key: the stream key above',
    'Settings → Output (Output Mode: Advanced) → Streaming',
    '  Encoder: x264, or your GPU’s H.264 (NVENC, Quick Sync, AMF, Apple VT)',
    '  Rate Control: CBR',
    '  Bitrate: 4500 Kbps for 1080p30, 3000 Kbps for 720p30, 1500 Kbps for 480p (at most two thirds of your upload speed)',
    '  Keyframe Interval: 2 s',
    '  CPU Usage Preset: veryfast',
    '  Profile: high (main for older devices)',
    `  Tune: ${low ? 'zerolatency' : '(none), or zerolatency'}`,
    `  x264 Options: ${low ? 'bframes=0' : '(none)'}${low ? '   (hardware encoders: B-frames 0)' : ''}`,
    'Settings → Audio',
    '  Sample Rate: 48 kHz',
    'Settings → Output → Audio',
    '  Audio Bitrate: 128 (AAC)',
    'Settings → Video',
    '  Output (Scaled) Resolution: 1920x1080 or 1280x720; Common FPS Values: 30',
  ].join('\n');
}
