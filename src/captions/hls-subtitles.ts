import { type Captions, cueBlock } from './caption-file.ts';

/** What the master playlist says of a track. */
export interface SubtitleRendition {
  id: string;
  kind: 'subtitles' | 'captions';
  language: string;
  name: string;
  isDefault: boolean;
}

export const SUBTITLE_GROUP = 'subs';

/** Apple's characteristics for captions (SDH): they transcribe dialogue and describe sounds. */
export const CAPTION_CHARACTERISTICS =
  'public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound';

/** Where a track's media playlist is, relative to the master playlist. */
export const subtitlePlaylistUri = (trackId: string) => `subs/${trackId}/index.m3u8`;

/**
 * The master playlist with the tracks as subtitle renditions: one `EXT-X-MEDIA:TYPE=SUBTITLES`
 * each (before the variants), and every variant naming the group. Without tracks it is
 * returned unchanged.
 */
export function withSubtitleRenditions(master: string, tracks: SubtitleRendition[]): string {
  if (tracks.length === 0) return master;
  const media = tracks.map(
    (t) =>
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="${SUBTITLE_GROUP}",NAME="${t.name}",LANGUAGE="${t.language}",` +
      `DEFAULT=${t.isDefault ? 'YES' : 'NO'},AUTOSELECT=YES,FORCED=NO,` +
      (t.kind === 'captions' ? `CHARACTERISTICS="${CAPTION_CHARACTERISTICS}",` : '') +
      `URI="${subtitlePlaylistUri(t.id)}"`,
  );
  const lines = master.split('\n');
  const firstVariant = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
  if (firstVariant === -1) return master;
  const out = lines.map((l) =>
    l.startsWith('#EXT-X-STREAM-INF:') ? `${l},SUBTITLES="${SUBTITLE_GROUP}"` : l,
  );
  out.splice(firstVariant, 0, ...media);
  return out.join('\n');
}

/**
 * The segments of a subtitle track follow the video's segment length (players and validators
 * expect target durations alike across renditions), cut from the asset's duration.
 */
export function segmentDurations(duration: number, targetDuration: number): number[] {
  const count = Math.max(1, Math.ceil(duration / targetDuration - 1e-6));
  return Array.from({ length: count }, (_, i) =>
    i < count - 1 ? targetDuration : Math.max(0.001, duration - targetDuration * (count - 1)),
  );
}

export const segmentName = (index: number) => `seg_${String(index).padStart(5, '0')}.vtt`;
export const SEGMENT_NAME = /^seg_(\d{5})\.vtt$/;

/** A track's media playlist (VOD): WebVTT segments as long as the video's. */
export function subtitleMediaPlaylist(duration: number, targetDuration: number): string {
  const out = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${targetDuration}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
  ];
  for (const [i, d] of segmentDurations(duration, targetDuration).entries()) {
    out.push(`#EXTINF:${d.toFixed(3)},`, segmentName(i));
  }
  out.push('#EXT-X-ENDLIST');
  return `${out.join('\n')}\n`;
}

/**
 * Segment `index` of a track: every cue that shows during it (a cue crossing a boundary is in
 * both segments, as Apple's segmenter does; players drop the repeat), with cue times on the
 * track's own clock and `X-TIMESTAMP-MAP` saying that its 0 is the video's first frame,
 * `mpegts` in 90 kHz units.
 */
export function subtitleSegment(
  captions: Pick<Captions, 'regions' | 'cues'>,
  index: number,
  duration: number,
  targetDuration: number,
  mpegts: number,
): string {
  const count = segmentDurations(duration, targetDuration).length;
  const from = index * targetDuration;
  // The last segment also takes any cue past the end of the video.
  const to = index === count - 1 ? Number.POSITIVE_INFINITY : from + targetDuration;
  const cues = captions.cues.filter((c) => c.start < to && c.end > from);
  const header = `WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:00:00:00.000`;
  return `${[header, ...captions.regions, ...cues.map(cueBlock)].join('\n\n')}\n`;
}
