/**
 * Reading the media playlists ffmpeg writes and writing our own master playlist. ffmpeg's own
 * master lacks FRAME-RATE and AVERAGE-BANDWIDTH and lists an audio-only variant beside the
 * video ones; ours is built from the ladder plan and, at the end, from measured segment sizes.
 */
export interface MediaPlaylist {
  initUri: string | null;
  segments: { uri: string; duration: number }[];
  ended: boolean;
}

/** Parses a media playlist written by ffmpeg (our own output, in our work folder). */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split(/\r?\n/);
  let initUri: string | null = null;
  const segments: MediaPlaylist['segments'] = [];
  let pendingDuration: number | null = null;
  for (const line of lines) {
    if (line.startsWith('#EXT-X-MAP:')) initUri = /URI="([^"]+)"/.exec(line)?.[1] ?? null;
    else if (line.startsWith('#EXTINF:')) pendingDuration = Number.parseFloat(line.slice(8));
    else if (line && !line.startsWith('#') && pendingDuration !== null) {
      segments.push({ uri: line.trim(), duration: pendingDuration });
      pendingDuration = null;
    }
  }
  return { initUri, segments, ended: lines.some((l) => l.trim() === '#EXT-X-ENDLIST') };
}

/**
 * A media playlist as published. Once complete, it is a VOD playlist: players may cache and seek
 * it freely. Before that it is an EVENT playlist (segments are only added), which players treat
 * as live: EXT-X-START makes them start at the beginning rather than at its growing end.
 */
export function finalizePlaylist(text: string): string {
  return text.includes('#EXT-X-ENDLIST')
    ? text.replace('#EXT-X-PLAYLIST-TYPE:EVENT', '#EXT-X-PLAYLIST-TYPE:VOD')
    : text.replace(
        '#EXT-X-PLAYLIST-TYPE:EVENT\n',
        '#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-START:TIME-OFFSET=0\n',
      );
}

export interface MasterVariant {
  name: string;
  width: number;
  height: number;
  fps: number;
  bandwidth: number;
  averageBandwidth?: number;
  codecs: string;
}

export interface MasterAudio {
  name: string;
  codecs: string;
  channels: number;
  bandwidth: number;
  averageBandwidth?: number;
}

/** Says in a master playlist that more rungs will be listed: our player watches for them. */
export const MORE_RUNGS = '#EXT-X-SESSION-DATA:DATA-ID="com.framehouse.ladder",VALUE="pending"';

/**
 * `encoding`: some rungs listed are still being encoded. Their media playlists are EVENT
 * playlists without ENDLIST until done, which players treat as live and would join at their
 * growing end: EXT-X-START tells them to start at the beginning, as on demand.
 * `moreRungs`: rungs are still to be listed. Other players ignore the session data saying so;
 * ours watches the master playlist for them (hls.js reads it only once).
 */
export function buildMasterPlaylist(
  video: MasterVariant[],
  audio: MasterAudio | null,
  { encoding = false, moreRungs = false }: { encoding?: boolean; moreRungs?: boolean } = {},
): string {
  const out = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (encoding) out.push('#EXT-X-START:TIME-OFFSET=0');
  if (moreRungs) out.push(MORE_RUNGS);
  if (video.length === 0 && audio) {
    // Audio-only source: one variant, the audio rendition itself.
    out.push(
      streamInf({
        BANDWIDTH: audio.bandwidth,
        'AVERAGE-BANDWIDTH': audio.averageBandwidth,
        CODECS: q(audio.codecs),
      }),
    );
    out.push(`${audio.name}/index.m3u8`);
    return `${out.join('\n')}\n`;
  }
  if (audio) {
    out.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Default",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="${audio.channels}",URI="${audio.name}/index.m3u8"`,
    );
  }
  for (const v of video) {
    out.push(
      streamInf({
        BANDWIDTH: v.bandwidth + (audio?.bandwidth ?? 0),
        'AVERAGE-BANDWIDTH':
          v.averageBandwidth !== undefined
            ? v.averageBandwidth + (audio?.averageBandwidth ?? audio?.bandwidth ?? 0)
            : undefined,
        CODECS: q(audio ? `${v.codecs},${audio.codecs}` : v.codecs),
        RESOLUTION: `${v.width}x${v.height}`,
        'FRAME-RATE': v.fps.toFixed(3),
        AUDIO: audio ? q('audio') : undefined,
      }),
    );
    out.push(`${v.name}/index.m3u8`);
  }
  return `${out.join('\n')}\n`;
}

function streamInf(attrs: Record<string, string | number | undefined>): string {
  const parts = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v) : v}`);
  return `#EXT-X-STREAM-INF:${parts.join(',')}`;
}

const q = (s: string) => `"${s}"`;

/** Peak and average bits per second of a rendition, from its segments' sizes and durations. */
export function measureBandwidth(segments: { bytes: number; duration: number }[]): {
  peak: number;
  average: number;
} {
  let peak = 0;
  let bytes = 0;
  let seconds = 0;
  for (const s of segments) {
    if (s.duration <= 0) continue;
    // A short last segment says little about the sustained rate: count it in the average only.
    if (s.duration >= 0.5) peak = Math.max(peak, (s.bytes * 8) / s.duration);
    bytes += s.bytes;
    seconds += s.duration;
  }
  const average = seconds > 0 ? (bytes * 8) / seconds : 0;
  return { peak: Math.max(peak, average), average };
}
