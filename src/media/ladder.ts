/**
 * planLadder: which HLS renditions to encode from a source, and how.
 *
 * Rungs are named and chosen by the SHORT side, so a portrait phone clip (1080x1920) gets the
 * same five rungs as a landscape 1080p one, just standing up. Never upscale; keep the display
 * aspect ratio; dimensions even (4:2:0 chroma needs it). H.264 caps a frame at 4096 on the
 * long side in practice (level 5.x MaxFS and decoder support), so a wider rung is dropped,
 * except the top one, which is shrunk to fit so 5.7K 360° video still gets a ~4K rendition.
 */
import type { MediaInfo } from './types.ts';

export const SHORT_SIDES = [2160, 1440, 1080, 720, 480, 360, 240] as const;
export const MAX_LONG_SIDE = 4096;
export const MAX_FPS = 60;
export const SEGMENT_SECONDS = 4;

/** kbit/s for x264 veryfast at 16:9, 30 fps, by short side. */
const BITRATE_KBPS: Record<number, number> = {
  240: 400,
  360: 800,
  480: 1400,
  720: 2800,
  1080: 5000,
  1440: 8000,
  2160: 14000,
};

export const AUDIO_BITRATE = 128_000;

export interface VideoRung {
  name: string;
  width: number;
  height: number;
  /** bits/s, a multiple of 1000 so `${bitrate / 1000}k` is exact. */
  bitrate: number;
  maxrate: number;
  bufsize: number;
  profile: 'high';
  level: string;
  codecs: string;
  fps: number;
  /** The HLS BANDWIDTH attribute, bits/s: peak video + audio, plus 10% for the container. */
  bandwidth: number;
}

export interface AudioRung {
  name: 'audio';
  codec: 'aac';
  bitrate: number;
  channels: 2;
  sampleRate: 48000;
  codecs: 'mp4a.40.2';
}

export interface LadderPlan {
  video: VideoRung[];
  audio: AudioRung | null;
  /** The frame rate to convert to when the source is faster than MAX_FPS, else null. */
  fpsCap: number | null;
  segmentSeconds: number;
}

export function planLadder(info: MediaInfo, opts: { maxShortSide?: number } = {}): LadderPlan {
  const audio: AudioRung | null = info.audio
    ? {
        name: 'audio',
        codec: 'aac',
        bitrate: AUDIO_BITRATE,
        channels: 2,
        sampleRate: 48000,
        codecs: 'mp4a.40.2',
      }
    : null;
  const v = info.video;
  if (!v) return { video: [], audio, fpsCap: null, segmentSeconds: SEGMENT_SECONDS };

  const fps = Math.min(v.fps, MAX_FPS);
  const audioBitrate = audio ? audio.bitrate : 0;
  const video = rungSizes(v.width, v.height, opts.maxShortSide ?? Number.POSITIVE_INFINITY).map(
    ({ width, height, nominal }) => videoRung(width, height, nominal, fps, audioBitrate),
  );
  return { video, audio, fpsCap: v.fps > MAX_FPS ? MAX_FPS : null, segmentSeconds: SEGMENT_SECONDS };
}

interface RungSize {
  width: number;
  height: number;
  /** The table row the bitrate is taken from. */
  nominal: number;
}

export function rungSizes(srcWidth: number, srcHeight: number, maxShortSide: number): RungSize[] {
  const short = Math.min(srcWidth, srcHeight);
  const long = Math.max(srcWidth, srcHeight);
  const landscape = srcWidth >= srcHeight;
  const sized = (s: number, l: number, nominal: number): RungSize =>
    landscape ? { width: l, height: s, nominal } : { width: s, height: l, nominal };

  const targets: number[] = SHORT_SIDES.filter((s) => s <= short && s <= maxShortSide);
  // Smaller than the smallest rung (or capped below it): one rung at the source size.
  if (targets.length === 0) targets.push(Math.min(short, maxShortSide));

  const out: RungSize[] = [];
  for (const target of targets) {
    // Rounding to even may go up by one pixel; the clamps keep that from becoming an upscale.
    let s = Math.min(even(target), evenDown(short));
    let l = Math.min(even((long * s) / short), evenDown(long));
    if (l > MAX_LONG_SIDE) {
      if (out.length > 0) continue; // only the top rung is shrunk to fit
      s = even((short * MAX_LONG_SIDE) / long);
      l = MAX_LONG_SIDE;
    }
    if (out.some((r) => Math.min(r.width, r.height) === s)) continue;
    out.push(sized(s, l, nearestNominal(target)));
  }
  return out;
}

function videoRung(
  width: number,
  height: number,
  nominal: number,
  fps: number,
  audioBitrate: number,
): VideoRung {
  const nominalPixels = even((nominal * 16) / 9) * nominal; // 426x240, 854x480, 1920x1080…
  const kbps = (BITRATE_KBPS[nominal] ?? 400) * ((width * height) / nominalPixels) * (fps > 30 ? 1.5 : 1);
  const bitrate = Math.max(100, Math.round(kbps)) * 1000;
  const level = h264Level(width, height, fps, bitrate, 2 * bitrate);
  return {
    name: `${Math.min(width, height)}p`,
    width,
    height,
    bitrate,
    maxrate: bitrate,
    bufsize: 2 * bitrate,
    profile: 'high',
    level: level.name,
    codecs: `avc1.6400${level.idc.toString(16).padStart(2, '0')}`,
    fps,
    bandwidth: Math.round((bitrate + audioBitrate) * 1.1),
  };
}

function nearestNominal(target: number): number {
  return SHORT_SIDES.find((s) => s <= target) ?? 240;
}

/** Nearest even integer, at least 2. */
export function even(x: number): number {
  return Math.max(2, 2 * Math.round(x / 2));
}

function evenDown(x: number): number {
  return Math.max(2, 2 * Math.floor(x / 2));
}

/**
 * H.264 levels (Table A-1): max macroblocks/s, max frame size in macroblocks, and for the High
 * profile max bitrate and CPB size in kbit/s (1.25 × the Baseline/Main figures).
 */
const LEVELS = [
  { name: '3.0', idc: 30, mbps: 40_500, fs: 1_620, br: 12_500, cpb: 12_500 },
  { name: '3.1', idc: 31, mbps: 108_000, fs: 3_600, br: 17_500, cpb: 17_500 },
  { name: '3.2', idc: 32, mbps: 216_000, fs: 5_120, br: 25_000, cpb: 25_000 },
  { name: '4.0', idc: 40, mbps: 245_760, fs: 8_192, br: 25_000, cpb: 31_250 },
  { name: '4.1', idc: 41, mbps: 245_760, fs: 8_192, br: 62_500, cpb: 78_125 },
  { name: '4.2', idc: 42, mbps: 522_240, fs: 8_704, br: 62_500, cpb: 78_125 },
  { name: '5.0', idc: 50, mbps: 589_824, fs: 22_080, br: 168_750, cpb: 168_750 },
  { name: '5.1', idc: 51, mbps: 983_040, fs: 36_864, br: 300_000, cpb: 300_000 },
  { name: '5.2', idc: 52, mbps: 2_073_600, fs: 36_864, br: 300_000, cpb: 300_000 },
] as const;

export function h264Level(
  width: number,
  height: number,
  fps: number,
  maxrate: number,
  bufsize: number,
): { name: string; idc: number } {
  const mbW = Math.ceil(width / 16);
  const mbH = Math.ceil(height / 16);
  const fs = mbW * mbH;
  const fits = (l: (typeof LEVELS)[number]) =>
    fs <= l.fs &&
    // Neither side may exceed sqrt(8 × MaxFS) macroblocks.
    Math.max(mbW, mbH) ** 2 <= 8 * l.fs &&
    fs * fps <= l.mbps &&
    maxrate / 1000 <= l.br &&
    bufsize / 1000 <= l.cpb;
  // Beyond 5.2 there is nothing higher to ask for: say 5.2 and let the decoder cope.
  const level = LEVELS.find(fits) ?? { name: '5.2', idc: 52 };
  return { name: level.name, idc: level.idc };
}
