/**
 * planLiveLadder: the renditions one live ffmpeg makes from a publisher's stream.
 *
 * Live differs from VOD (src/media/ladder.ts) in what it can afford: every rung is encoded in
 * real time on the live node, so the ladder is short (at most `maxRungs`; 3 by default, and the
 * measurements in the transcoder's report say what a 2-core box keeps up with), and the source
 * itself is the top rung whenever it can be (no encode at all, no quality loss). It can be when
 * it is H.264 and its keyframes come regularly at most one segment apart: every segment of the
 * copied rung then starts on a source keyframe, and the transcoded rungs are told to put their
 * keyframes on exactly those frames (`-force_key_frames source`), so segments align across rungs.
 *
 * Rungs are chosen by the SHORT side (a portrait phone gets the same ladder standing up), never
 * upscaled, aspect ratio kept, sizes even (4:2:0 chroma).
 */
import { AppError } from '../../shared/errors.ts';

export interface LiveSource {
  width: number;
  height: number;
  fps: number | null;
  /** bits/s of the source video when known (RTMP stats, SRT probe); sizes the copied rung. */
  videoBitrate: number | null;
  /** The publisher's keyframe interval, ms (null: unknown yet). */
  keyframeIntervalMs: number | null;
  /**
   * False when the intervals seen so far vary (an encoder with scene-cut keyframes): the source
   * cannot be the top rung then, as its segments would not line up with the transcoded ones.
   * Unset means "regular" (RTMP reports one interval).
   */
  keyframesRegular?: boolean;
  hasAudio: boolean;
  /** 'h264', 'hevc', … */
  videoCodec: string;
  /** 'aac', 'mp3', … or null when there is no audio. */
  audioCodec: string | null;
  /** 'avc1.64001f' from the AVCDecoderConfigurationRecord, for the copied rung's CODECS. */
  videoCodecString?: string | null;
  /** 'mp4a.40.2' (LC) or 'mp4a.40.5' (HE), for copied audio. */
  audioCodecString?: string | null;
}

export interface LiveRung {
  /** '1080p', '720p', … (short side); the copied source is named the same way. */
  name: string;
  width: number;
  height: number;
  /** bits/s (for a copied rung: the source's, or an estimate). */
  videoBitrate: number;
  /** bits/s of the AAC track (0 without audio). */
  audioBitrate: number;
  /** True: the source video is copied, not encoded. */
  copy: boolean;
  /** True: the source AAC is copied into this rung; false: encoded (or no audio). */
  audioCopy: boolean;
  /** HLS CODECS: 'avc1.64001f,mp4a.40.2' */
  codecs: string;
  /** Frames per second of the rung (the source's; live keeps the publisher's rate). */
  fps: number;
  /** HLS BANDWIDTH: peak video + audio + 10% for the container, bits/s. */
  bandwidth: number;
}

export interface LiveLadderOptions {
  /** At most this many rungs, the top one included (≥ 1). */
  maxRungs: number;
  /** The packager's segment length; the source's keyframe interval must fit in it to be copied. */
  segmentSeconds: number;
}

export const DEFAULT_LIVE_MAX_RUNGS = 3;
/** Live keyframe interval of the transcoded rungs (when the source is not copied), seconds. */
export const LIVE_GOP_SECONDS = 2;
/** The biggest rung we encode live; a bigger source is copied or brought down to this. */
export const MAX_LIVE_SHORT_SIDE = 1080;
export const LIVE_AUDIO_BITRATE = 128_000;
const DEFAULT_FPS = 30;

/**
 * kbit/s at 30 fps, by short side, for x264 superfast/veryfast zerolatency (no B-frames, no
 * lookahead: it needs somewhat more than VOD's veryfast for the same look).
 */
const BITRATE_KBPS: Record<number, number> = { 1080: 5000, 720: 3000, 480: 1400, 360: 900, 240: 450 };

/**
 * Lower rungs in the order they are worth having: 720p and 360p first (a wide spread serves the
 * most networks with the fewest encodes), then 480p and 240p.
 */
const LOWER_RUNG_PRIORITY = [720, 360, 480, 240] as const;

export function planLiveLadder(source: LiveSource, opts: LiveLadderOptions): LiveRung[] {
  if (!(source.width > 0 && source.height > 0 && source.width <= 16384 && source.height <= 16384)) {
    throw new AppError(
      'FH_ERR_UNSUPPORTED_MEDIA',
      `The live video has no usable size (${source.width}x${source.height}).`,
    );
  }
  const maxRungs = Math.max(1, Math.floor(opts.maxRungs));
  const fps = source.fps && source.fps > 0 && source.fps <= 240 ? source.fps : DEFAULT_FPS;
  const audio = audioPlan(source);
  const landscape = source.width >= source.height;
  const sourceShort = Math.min(source.width, source.height);

  const rungs: LiveRung[] = [];
  let topShort: number;
  if (canCopySource(source, opts.segmentSeconds)) {
    topShort = sourceShort;
    const videoBitrate =
      source.videoBitrate && source.videoBitrate > 0
        ? Math.round(source.videoBitrate)
        : bitrateFor(sourceShort, fps);
    const videoCodec =
      source.videoCodecString && /^avc[13]\.[0-9a-fA-F]{6}$/.test(source.videoCodecString)
        ? source.videoCodecString
        : avcCodecString(source.width, source.height, fps);
    rungs.push({
      name: `${sourceShort}p`,
      width: source.width,
      height: source.height,
      videoBitrate,
      audioBitrate: audio.bitrate,
      copy: true,
      audioCopy: audio.copy,
      codecs: audio.codec ? `${videoCodec},${audio.codec}` : videoCodec,
      fps,
      // A copied source can burst above its average: count 1.5× for it (we cannot cap it).
      bandwidth: Math.round((videoBitrate * 1.5 + audio.bitrate) * 1.1),
    });
  } else {
    topShort = Math.min(sourceShort, MAX_LIVE_SHORT_SIDE);
    rungs.push(encodedRung(source, topShort, fps, audio));
  }
  const lower = LOWER_RUNG_PRIORITY.filter((s) => s < topShort && s <= sourceShort)
    .slice(0, maxRungs - 1)
    .sort((a, b) => b - a);
  for (const short of lower) rungs.push(encodedRung(source, short, fps, audio));
  // Two rungs of one size (a source just above a standard size, e.g. 728 lines): keep the first.
  const seen = new Set<string>();
  return rungs.filter((r) => {
    const key = landscape ? `${r.height}` : `${r.width}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether the source's own video can be the top rung (see the header). */
export function canCopySource(source: LiveSource, segmentSeconds: number): boolean {
  if (source.videoCodec !== 'h264') return false;
  const k = source.keyframeIntervalMs;
  if (k === null || !Number.isFinite(k) || k <= 0) return false;
  if (source.keyframesRegular === false) return false;
  // A few ms over (timestamp rounding in FLV) still fits.
  return k <= segmentSeconds * 1000 + 50;
}

interface AudioPlan {
  copy: boolean;
  bitrate: number;
  codec: string | null;
}

function audioPlan(source: LiveSource): AudioPlan {
  if (!source.hasAudio) return { copy: false, bitrate: 0, codec: null };
  if (source.audioCodec === 'aac') {
    const codec =
      source.audioCodecString && /^mp4a\.40\.(2|5|29)$/.test(source.audioCodecString)
        ? source.audioCodecString
        : 'mp4a.40.2';
    return { copy: true, bitrate: LIVE_AUDIO_BITRATE, codec };
  }
  return { copy: false, bitrate: LIVE_AUDIO_BITRATE, codec: 'mp4a.40.2' };
}

function encodedRung(source: LiveSource, short: number, fps: number, audio: AudioPlan): LiveRung {
  const { width, height } = scaledSize(source.width, source.height, short);
  const videoBitrate = bitrateFor(short, fps);
  const video = avcCodecString(width, height, fps);
  return {
    name: `${short}p`,
    width,
    height,
    videoBitrate,
    audioBitrate: audio.bitrate,
    copy: false,
    audioCopy: audio.copy,
    codecs: audio.codec ? `${video},${audio.codec}` : video,
    fps,
    // maxrate = videoBitrate (see liveTranscodeArgs), so this is a true peak.
    bandwidth: Math.round((videoBitrate + audio.bitrate) * 1.1),
  };
}

/** Scale so the short side is `short`, aspect ratio kept, both sides even. */
export function scaledSize(width: number, height: number, short: number): { width: number; height: number } {
  const landscape = width >= height;
  const srcShort = landscape ? height : width;
  const srcLong = landscape ? width : height;
  const s = Math.min(short, srcShort);
  const long = Math.max(2, Math.round((srcLong * s) / srcShort / 2) * 2);
  const even = Math.max(2, Math.round(s / 2) * 2);
  return landscape ? { width: long, height: even } : { width: even, height: long };
}

function bitrateFor(short: number, fps: number): number {
  // Interpolate between the table's sizes by pixels; above 30 fps a frame costs less per frame.
  const sizes = Object.keys(BITRATE_KBPS)
    .map(Number)
    .sort((a, b) => a - b);
  let kbps = BITRATE_KBPS[sizes[0] as number] as number;
  for (const s of sizes) if (s <= short) kbps = BITRATE_KBPS[s] as number;
  const fpsFactor = fps > 31 ? 1 + 0.5 * Math.min(1, (fps - 30) / 30) : 1;
  return Math.round(kbps * fpsFactor) * 1000;
}

/**
 * 'avc1.PPCCLL' for the High profile at the smallest level that holds this size and rate. The
 * encoder is given the same level (`-level:v`, see liveTranscodeArgs), so the string is exact.
 */
export function avcCodecString(width: number, height: number, fps: number): string {
  return `avc1.6400${h264Level(width, height, fps).toString(16).padStart(2, '0')}`;
}

/** H.264 Table A-1: MaxFS (macroblocks per frame) and MaxMBPS per level. */
const LEVELS: [level: number, maxFs: number, maxMbps: number][] = [
  [20, 396, 11880],
  [21, 792, 19800],
  [22, 1620, 20250],
  [30, 1620, 40500],
  [31, 3600, 108000],
  [32, 5120, 216000],
  [40, 8192, 245760],
  [42, 8704, 522240],
  [50, 22080, 589824],
  [51, 36864, 983040],
  [52, 36864, 2073600],
];

export function h264Level(width: number, height: number, fps: number): number {
  const mbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const mbps = mbs * fps;
  for (const [level, maxFs, maxMbps] of LEVELS) if (mbs <= maxFs && mbps <= maxMbps) return level;
  return 52;
}
