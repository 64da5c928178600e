/**
 * The MP4 download: the ladder's own packets put into one progressive MP4, never encoded again.
 * Exact argument arrays, unit-tested in remux-args.test.ts; every input goes through inputArgs()
 * (protocol and demuxer whitelists, `file:`).
 */
import { inputArgs } from './ffprobe.ts';

export interface Mp4RemuxOptions {
  /** A video rung as one fragmented MP4 (its init segment followed by its media segments). */
  video?: string | undefined;
  /** The audio rendition, the same way. */
  audio?: string | undefined;
  /** Absolute path of the MP4 to write. */
  output: string;
  /**
   * Where the video's first frame is presented in the rung's timeline (its stream start time).
   * ffmpeg would rebase each input to zero on its own, which moves the audio against the video
   * by the difference of their start times (the encoder's delays): instead both inputs keep
   * their timestamps (`-copyts`) and move back by this one offset, so the picture starts at 0,
   * the audio stays where it was against it, and the AAC priming before 0 becomes an edit list.
   */
  videoStartSeconds?: number | undefined;
  /** 360° rung: let the mp4 muxer write the spherical metadata it read (sv3d/st3d boxes). */
  spherical?: boolean;
  /** Add `-progress pipe:1 -nostats` (default false: a remux takes seconds). */
  progress?: boolean;
}

export function buildMp4RemuxArgs(o: Mp4RemuxOptions): string[] {
  if (!o.video && !o.audio) throw new Error('buildMp4RemuxArgs needs a video or an audio input');
  const args = ['-nostdin', '-hide_banner', '-y', '-v', 'error'];
  if (o.progress) args.push('-progress', 'pipe:1', '-nostats');
  // One input: ffmpeg's own rebasing to zero is right. Two: see videoStartSeconds.
  const shift = o.video && o.audio ? seconds(-(o.videoStartSeconds ?? 0)) : null;
  if (shift) args.push('-copyts');
  for (const input of [o.video, o.audio]) {
    if (!input) continue;
    if (shift) args.push('-itsoffset', shift);
    args.push(...inputArgs(input));
  }
  if (o.video) args.push('-map', '0:v:0');
  if (o.audio) args.push('-map', `${o.video ? 1 : 0}:a:0`);
  args.push('-c', 'copy');
  if (o.spherical) args.push('-strict', 'unofficial');
  // biome-ignore format: option/value pairs read best side by side
  args.push(
    // moov before mdat: a player (or a browser's <video>) starts before the whole file is in.
    '-movflags', '+faststart',
    '-f', 'mp4',
    o.output,
  );
  return args;
}

/** Seconds as ffmpeg reads them, to the microsecond, without float noise. */
function seconds(t: number): string {
  return String(Math.round(t * 1e6) / 1e6 || 0);
}
