/**
 * ffmpeg command lines as exact argument arrays: pure functions, no I/O, unit-tested on their
 * output. Every input goes through inputArgs() (protocol and demuxer whitelists, `file:`).
 */
import { inputArgs } from './ffprobe.ts';
import { even, type LadderPlan } from './ladder.ts';
import type { MediaInfo } from './types.ts';

const COMMON = ['-nostdin', '-hide_banner', '-y', '-v', 'error'];

export interface TranscodeOptions {
  /** Absolute path of the source. */
  input: string;
  /** Output folder: OUT/master.m3u8 and OUT/<rung name>/{index.m3u8, init_N.mp4, seg_NNNNN.m4s}. */
  outDir: string;
  plan: LadderPlan;
  info: MediaInfo;
  preset?: string;
  segmentSeconds?: number;
  keyframeSeconds?: number;
  crf?: number;
  /** ffmpeg has zscale: convert PQ/HLG sources to SDR (otherwise they play washed out). */
  tonemap?: boolean;
  /** Add `-progress pipe:1 -nostats` (default true). */
  progress?: boolean;
  /**
   * The pass only feeds rungs far smaller than the source: decode without the in-loop deblocking
   * filter (`-skip_loop_filter all`, about a seventh of an H.264 decode). Its blocking drifts
   * until the next keyframe, so only for sources where that does not survive the downscale.
   */
  skipLoopFilter?: boolean;
  /**
   * One thread for the decoder, the filters and the encoders: for a small pass running beside a
   * big one, which fills the other cores anyway; threads would only add their overhead.
   */
  singleThreaded?: boolean;
}

/**
 * One ffmpeg pass for the whole ladder as CMAF (fMP4) HLS: decode once, `split` into one scaler
 * per rung, keyframes forced every keyframeSeconds on every rung (and x264's scene-cut
 * keyframes off) so segment boundaries line up across rungs and a player can switch anywhere.
 *
 * Naming, as ffmpeg 5.1 does it: with several variant streams the hls muxer appends the
 * variant number to the init file name, so each rung folder holds `init_N.mp4` where N is the
 * variant's position in -var_stream_map (video rungs first, then audio); with a single variant
 * it stays `init.mp4`. The pipeline reads the name from each playlist's EXT-X-MAP; hlsVariants()
 * states the rule for the tests.
 *
 * Rotation: ffmpeg autorotates decoded frames before the filter graph, so the rungs come out
 * upright with no display matrix, which is what every player handles.
 *
 * 360°: the hls muxer drops spherical metadata; patch each init segment (hlsVariants() lists
 * them) with injectSphericalV1() once ffmpeg has written it.
 *
 * HDR: tonemapped to SDR BT.709 when `tonemap` (zscale) is on; without it the rungs are 8-bit
 * but keep the source's PQ/HLG tags, which only HDR displays render well.
 */
export function buildTranscodeArgs(o: TranscodeOptions): string[] {
  const { plan, info } = o;
  const segmentSeconds = o.segmentSeconds ?? plan.segmentSeconds;
  const keyframeSeconds = o.keyframeSeconds ?? 2;
  const args = [...COMMON];
  if (o.progress ?? true) args.push('-progress', 'pipe:1', '-nostats');
  if (o.singleThreaded) args.push('-filter_complex_threads', '1', '-threads', '1');
  // Decoder options: they go before the input they apply to.
  if (o.skipLoopFilter) args.push('-skip_loop_filter', 'all');
  args.push(...inputArgs(o.input));

  const rungs = plan.video;
  const v = info.video;
  if (rungs.length > 0 && v) {
    args.push('-filter_complex', ladderFilter(o));
    for (let i = 0; i < rungs.length; i++) args.push('-map', `[o${i}]`);
  }
  if (plan.audio && info.audio) args.push('-map', `0:a:${info.audio.streamIndex}`);

  if (rungs.length > 0) {
    // biome-ignore format: option/value pairs read best side by side
    args.push(
      '-c:v', 'libx264', '-preset', o.preset ?? 'veryfast', '-profile:v', 'high', '-crf', String(o.crf ?? 23),
      '-x264-params', 'scenecut=0', '-force_key_frames', `expr:gte(t,n_forced*${keyframeSeconds})`,
    );
    for (const [i, r] of rungs.entries()) {
      const n = `v:${i}`;
      args.push(`-level:${n}`, r.level, `-maxrate:${n}`, kbps(r.maxrate), `-bufsize:${n}`, kbps(r.bufsize));
    }
    if (o.singleThreaded) args.push('-threads:v', '1');
  }
  if (plan.audio) {
    const a = plan.audio;
    args.push('-c:a', 'aac', '-b:a', kbps(a.bitrate), '-ac', String(a.channels), '-ar', String(a.sampleRate));
  }

  // biome-ignore format: option/value pairs read best side by side
  args.push(
    '-f', 'hls',
    '-hls_time', String(segmentSeconds),
    '-hls_playlist_type', 'event',
    '-hls_segment_type', 'fmp4',
    '-hls_flags', 'independent_segments+temp_file',
    '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_filename', `${o.outDir}/%v/seg_%05d.m4s`,
    '-var_stream_map', varStreamMap(plan),
    '-master_pl_name', 'master.m3u8',
    `${o.outDir}/%v/index.m3u8`,
  );
  return args;
}

/** The raw-ffmpeg baseline of the benchmark: the same single pass, without progress output. */
export function buildRawLadderArgs(o: TranscodeOptions): string[] {
  return buildTranscodeArgs({ ...o, progress: false });
}

/** `[0:v:N]` deinterlace → fps cap → tonemap → split → one scale/format chain per rung. */
export function ladderFilter(o: Pick<TranscodeOptions, 'plan' | 'info' | 'tonemap'>): string {
  const v = o.info.video;
  const rungs = o.plan.video;
  if (!v || rungs.length === 0) throw new Error('ladderFilter needs a video stream and at least one rung');
  const pre: string[] = [];
  if (v.interlaced) pre.push('yadif');
  if (o.plan.fpsCap !== null) pre.push(`fps=${o.plan.fpsCap}`);
  if (v.hdr && o.tonemap) {
    pre.push(
      'zscale=t=linear:npl=100',
      'format=gbrpf32le',
      'zscale=p=bt709',
      'tonemap=tonemap=hable:desat=0',
      'zscale=t=bt709:m=bt709:r=tv',
      // zscale converts but leaves the frames' colour tags unset: say what they now are.
      'setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709',
    );
  }
  const scale = (r: { width: number; height: number }) =>
    `scale=${r.width}:${r.height},setsar=1,format=yuv420p`;
  const head = `[0:v:${v.streamIndex}]${pre.map((f) => `${f},`).join('')}`;
  const only = rungs[0];
  if (rungs.length === 1 && only) return `${head}${scale(only)}[o0]`;
  const labels = rungs.map((_, i) => `[s${i}]`).join('');
  const chains = rungs.map((r, i) => `[s${i}]${scale(r)}[o${i}]`);
  return [`${head}split=${rungs.length}${labels}`, ...chains].join(';');
}

/** Video rungs share one audio rendition (group "aud"); no group without audio or without video. */
export function varStreamMap(plan: LadderPlan): string {
  const group = plan.audio && plan.video.length > 0 ? ',agroup:aud' : '';
  const entries = plan.video.map((r, i) => `v:${i}${group},name:${r.name}`);
  if (plan.audio) entries.push(`a:0${group},name:${plan.audio.name}`);
  return entries.join(' ');
}

export interface HlsVariant {
  name: string;
  type: 'video' | 'audio';
  /** Paths relative to outDir. */
  playlist: string;
  init: string;
}

/**
 * Where buildTranscodeArgs' outputs land, per variant, in -var_stream_map order. ffmpeg 5.1
 * names the init segment `init_N.mp4` when there are several variants, `init.mp4` when there
 * is one (an audio-only source, or one rung and no audio).
 */
export function hlsVariants(plan: LadderPlan): HlsVariant[] {
  const names: Array<Pick<HlsVariant, 'name' | 'type'>> = plan.video.map((r) => ({
    name: r.name,
    type: 'video',
  }));
  if (plan.audio) names.push({ name: plan.audio.name, type: 'audio' });
  return names.map((v, i) => ({
    ...v,
    playlist: `${v.name}/index.m3u8`,
    init: names.length === 1 ? `${v.name}/init.mp4` : `${v.name}/init_${i}.mp4`,
  }));
}

function kbps(bitsPerSecond: number): string {
  return `${Math.round(bitsPerSecond / 1000)}k`;
}

export interface ThumbnailOptions {
  input: string;
  timeSeconds: number;
  width: number;
  /** Index among video streams (MediaInfo.video.streamIndex); 0 by default. */
  videoIndex?: number;
}

/**
 * One JPEG frame on stdout. `-ss` before `-i` seeks by the index (fast) and then decodes to the
 * exact time. The height follows the DISPLAY aspect ratio (`dar`, so anamorphic sources are not
 * squeezed), rounded to even. A time past the end yields no frame: clamp it before calling.
 */
export function buildThumbnailArgs(o: ThumbnailOptions): string[] {
  // biome-ignore format: option/value pairs read best side by side
  return [
    ...COMMON,
    '-ss', seconds(o.timeSeconds),
    ...inputArgs(o.input),
    '-map', `0:v:${o.videoIndex ?? 0}`,
    '-frames:v', '1',
    '-vf', `scale=${Math.round(o.width)}:'max(2,trunc(ow/dar/2)*2)',setsar=1`,
    '-f', 'image2',
    '-c:v', 'mjpeg',
    '-q:v', '3',
    'pipe:1',
  ];
}

export interface StoryboardLayout {
  /** Seconds between tiles. */
  interval: number;
  count: number;
  cols: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

export const STORYBOARD_TILE_WIDTH = 160;
export const STORYBOARD_MAX_TILES = 100;
const STORYBOARD_MAX_COLS = 10;

/** Computed once and passed to both the ffmpeg command and the WebVTT, so they agree. */
export function storyboardLayout(o: { duration: number; width: number; height: number }): StoryboardLayout {
  const interval = Math.max(1, Math.ceil(o.duration / STORYBOARD_MAX_TILES));
  const count = tileCount(o.duration, interval);
  const cols = Math.min(STORYBOARD_MAX_COLS, count);
  const tileHeight = even((STORYBOARD_TILE_WIDTH * o.height) / o.width);
  return {
    interval,
    count,
    cols,
    rows: Math.ceil(count / cols),
    tileWidth: STORYBOARD_TILE_WIDTH,
    tileHeight,
  };
}

function tileCount(duration: number, interval: number): number {
  return Math.max(1, Math.ceil(duration / interval));
}

export interface StoryboardOptions {
  input: string;
  layout: StoryboardLayout;
  outFile: string;
  videoIndex?: number;
  /** Decode keyframes only: much faster, exact enough on a source with short GOPs (our rungs). */
  keyframesOnly?: boolean;
}

/** One sprite JPEG: a frame every `interval` seconds, scaled to a tile, laid out in a grid. */
export function buildStoryboardArgs(o: StoryboardOptions): string[] {
  const { interval, cols, rows, tileWidth, tileHeight } = o.layout;
  // biome-ignore format: option/value pairs read best side by side
  return [
    ...COMMON,
    ...(o.keyframesOnly ? ['-skip_frame', 'nokey'] : []),
    ...inputArgs(o.input),
    '-map', `0:v:${o.videoIndex ?? 0}`,
    '-vf', `fps=1/${interval},scale=${tileWidth}:${tileHeight},setsar=1,tile=${cols}x${rows}`,
    '-frames:v', '1',
    '-update', '1',
    '-f', 'image2',
    '-c:v', 'mjpeg',
    '-q:v', '4',
    o.outFile,
  ];
}

/** WebVTT whose cues point into the sprite with media fragments (`#xywh=x,y,w,h`). */
export function storyboardVtt(o: {
  duration: number;
  interval: number;
  cols: number;
  tileWidth: number;
  tileHeight: number;
  spriteUrl: string;
}): string {
  const lines = ['WEBVTT', ''];
  const count = tileCount(o.duration, o.interval);
  for (let i = 0; i < count; i++) {
    const start = i * o.interval;
    const end = Math.min((i + 1) * o.interval, Math.max(o.duration, start + 0.001));
    const x = (i % o.cols) * o.tileWidth;
    const y = Math.floor(i / o.cols) * o.tileHeight;
    lines.push(
      `${vttTime(start)} --> ${vttTime(end)}`,
      `${o.spriteUrl}#xywh=${x},${y},${o.tileWidth},${o.tileHeight}`,
      '',
    );
  }
  return lines.join('\n');
}

function vttTime(t: number): string {
  const ms = Math.round(t * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/** Seconds as ffmpeg reads them, without float noise (12.3 not 12.299999999999999). */
function seconds(t: number): string {
  return String(Math.max(0, Math.round(t * 1000) / 1000));
}
