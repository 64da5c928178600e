/**
 * classify: from ffprobe's JSON to what the pipeline needs to know (MediaInfo), or an AppError
 * a person understands. All of ffprobe's string-typed numbers are parsed here and nowhere else.
 */
import { AppError } from '../shared/errors.ts';
import { imageError } from './ffprobe.ts';
import type { AudioInfo, MediaInfo, ProbeJson, ProbeStream, VideoInfo } from './types.ts';

/** Codecs that are pictures, not motion, when a stream holds a single frame of them. */
const IMAGE_CODECS = new Set(['mjpeg', 'png', 'bmp', 'tiff', 'webp', 'gif', 'jpeg2000', 'jpegls', 'apng']);

/** The largest video picture a source may have: 16K 360° (16384 × 8192). */
export const MAX_SOURCE_SIDE = 16_384;
export const MAX_SOURCE_PIXELS = 16_384 * 8192;

export function classify(probe: ProbeJson, fileSize: number): MediaInfo {
  const streams = probe.streams ?? [];
  const format = probe.format ?? {};
  const container = format.format_name ?? 'unknown';

  // Cover art (attached_pic) is a video stream in ffprobe's eyes but a picture in ours.
  const videos = streams.filter((s) => s.codec_type === 'video');
  const audios = streams.filter((s) => s.codec_type === 'audio');
  const videoStream = videos.find((s) => !s.disposition?.attached_pic);
  const audioStream = audios[0];

  if (container.endsWith('_pipe') || (videoStream && !audioStream && isStill(videoStream)))
    throw imageError();
  if (!videoStream && !audioStream) {
    throw new AppError('FH_ERR_NOT_MEDIA', 'The file holds no audio or video stream that we can read.');
  }

  const duration = num(format.duration) ?? Math.max(0, ...streams.map((s) => num(s.duration) ?? 0));
  const video = videoStream ? videoInfo(videoStream, videos.indexOf(videoStream)) : undefined;
  const audio = audioStream ? audioInfo(audioStream, 0) : undefined;
  const projection = videoStream ? sphericalProjection(videoStream) : undefined;

  const info: MediaInfo = {
    kind: video ? 'video' : 'audio',
    container,
    duration,
    sizeBytes: fileSize,
    is360: projection !== undefined,
  };
  if (video) info.video = video;
  if (audio) info.audio = audio;
  if (projection) info.projection = projection;
  return info;
}

function isStill(s: ProbeStream): boolean {
  if (!IMAGE_CODECS.has(s.codec_name ?? '')) return false;
  const frames = num(s.nb_frames);
  if (frames !== undefined) return frames <= 1;
  // No frame count (e.g. Matroska): a still has no duration, or one frame's worth.
  const duration = num(s.duration);
  return duration === undefined || duration <= 0.1;
}

function videoInfo(s: ProbeStream, streamIndex: number): VideoInfo {
  const codedWidth = s.width ?? 0;
  const codedHeight = s.height ?? 0;
  if (codedWidth <= 0 || codedHeight <= 0) {
    throw new AppError('FH_ERR_NOT_MEDIA', 'The video stream has no picture size: it cannot be decoded.');
  }
  // A pixel bomb: a few kilobytes of JPEG frames declaring 16000 × 16000 decode to 384 MB each.
  // The largest real sources (16K 360°, 16384 × 8192) fit; the ladder never goes above 4K anyway.
  if (
    codedWidth > MAX_SOURCE_SIDE ||
    codedHeight > MAX_SOURCE_SIDE ||
    codedWidth * codedHeight > MAX_SOURCE_PIXELS
  ) {
    throw new AppError(
      'FH_ERR_UNSUPPORTED_MEDIA',
      `The video's picture is ${codedWidth} × ${codedHeight}: at most ${MAX_SOURCE_SIDE} on a side and ${Math.round(MAX_SOURCE_PIXELS / 1e6)} megapixels are processed.`,
    );
  }
  // Anamorphic sources store narrower pixels: the display width is the stored width × SAR.
  const sar = ratio(s.sample_aspect_ratio);
  const sarWidth = sar && sar > 0 ? Math.round(codedWidth * sar) : codedWidth;
  const rotation = rotationOf(s);
  const quarterTurn = rotation === 90 || rotation === 270;
  return {
    codec: s.codec_name ?? 'unknown',
    streamIndex,
    width: quarterTurn ? codedHeight : sarWidth,
    height: quarterTurn ? sarWidth : codedHeight,
    codedWidth,
    codedHeight,
    rotation,
    fps: frameRate(s),
    pixFmt: s.pix_fmt ?? 'unknown',
    bitDepth: bitDepth(s),
    interlaced: ['tt', 'bb', 'tb', 'bt'].includes(s.field_order ?? ''),
    hdr: s.color_transfer === 'smpte2084' ? 'pq' : s.color_transfer === 'arib-std-b67' ? 'hlg' : null,
  };
}

function audioInfo(s: ProbeStream, streamIndex: number): AudioInfo {
  return {
    codec: s.codec_name ?? 'unknown',
    streamIndex,
    channels: s.channels ?? 0,
    sampleRate: num(s.sample_rate) ?? 0,
  };
}

/**
 * Clockwise degrees in [0, 360). ffprobe's Display Matrix "rotation" is counter-clockwise
 * (av_display_rotation_get), hence the minus; the legacy `rotate` tag is already clockwise.
 */
export function rotationOf(s: ProbeStream): number {
  const matrix = s.side_data_list?.find((d) => d.side_data_type === 'Display Matrix');
  const degrees = typeof matrix?.rotation === 'number' ? -matrix.rotation : (num(s.tags?.rotate) ?? 0);
  const quarter = Math.round(degrees / 90) * 90; // players only honour quarter turns
  return ((quarter % 360) + 360) % 360;
}

/** avg_frame_rate, else r_frame_rate; 30 when neither is a believable rate. */
function frameRate(s: ProbeStream): number {
  for (const value of [s.avg_frame_rate, s.r_frame_rate]) {
    const fps = ratio(value);
    if (fps !== undefined && fps >= 1 && fps <= 300) return Math.round(fps * 1000) / 1000;
  }
  return 30;
}

function bitDepth(s: ProbeStream): number {
  const fromFormat = /p(9|10|12|14|16)(le|be)?$/.exec(s.pix_fmt ?? '')?.[1];
  if (fromFormat) return Number(fromFormat);
  const raw = num(s.bits_per_raw_sample);
  return raw && raw > 0 ? raw : 8;
}

function sphericalProjection(s: ProbeStream): string | undefined {
  const sd = s.side_data_list?.find((d) => d.side_data_type === 'Spherical Mapping');
  if (!sd) return undefined;
  return typeof sd.projection === 'string' ? sd.projection : 'equirectangular';
}

function num(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'N/A') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** "30000/1001" or "16:9" → number; undefined for "0/0", "N/A" and the like. */
function ratio(value: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)[/:](\d+(?:\.\d+)?)$/.exec(value ?? '');
  if (!m) return num(value);
  const d = Number(m[2]);
  return d > 0 ? Number(m[1]) / d : undefined;
}
