/**
 * probeFile: what is in an uploaded file, read by ffprobe without letting the file steer it.
 *
 * - Playlists and reference files are refused from their first bytes, before ffprobe runs.
 * - ffprobe may only use the `file` protocol and the demuxers in ALLOWED_DEMUXERS: real
 *   containers and elementary streams, none that opens other files or URLs (hls, dash,
 *   concat, image2, sdp, rtsp, imf, …). ffprobe picks the demuxer by probing and then refuses
 *   it unless it is on the list, so a playlist named .mp4 fails closed.
 * - The input is `file:<absolute path>` so no file name is ever parsed as a protocol.
 * - A time limit SIGKILLs it.
 */
import { open, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { AppError } from '../shared/errors.ts';
import { abortError, runProcess } from './process.ts';
import { SNIFF_BYTES, sniffContainer, sniffPlaylist } from './sniff.ts';
import type { ProbeJson } from './types.ts';

/**
 * Demuxer short names ffmpeg may use on an upload. A name matches any component of a demuxer's
 * comma-separated name ("mov" matches "mov,mp4,m4a,3gp,3g2,mj2"). Checked against
 * `ffprobe -demuxers` in ffprobe.test.ts.
 */
// biome-ignore format: one family per line reads better than one name per line
export const ALLOWED_DEMUXERS: readonly string[] = [
  'mov', 'mp4', 'matroska', 'webm', 'avi', 'flv', 'mpegts', 'mpeg', 'mpegvideo', 'asf', 'mxf', 'dv',
  'h264', 'hevc', 'm4v',
  'mp3', 'aac', 'wav', 'flac', 'ogg', 'amr', 'ac3', 'eac3', 'aiff', 'caf', 'w64', 'wv', 'ape',
  'gif', 'jpeg_pipe', 'png_pipe', 'webp_pipe', 'tiff_pipe', 'bmp_pipe',
];

/** Demuxers that read other files or URLs: refusing them is a playlist rejection. */
const REFERENCE_DEMUXERS = new Set([
  'hls',
  'dash',
  'concat',
  'sdp',
  'rtsp',
  'rtp',
  'imf',
  'webm_dash_manifest',
]);

/** The input half of every ffmpeg/ffprobe command line we build. */
export function inputArgs(absPath: string): string[] {
  if (!isAbsolute(absPath)) throw new Error(`media input must be an absolute path, got ${absPath}`);
  return [
    '-protocol_whitelist',
    'file',
    '-format_whitelist',
    ALLOWED_DEMUXERS.join(','),
    '-i',
    `file:${absPath}`,
  ];
}

export function buildProbeArgs(absPath: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...inputArgs(absPath)];
}

export interface ProbeOptions {
  ffprobePath?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const MAX_JSON_BYTES = 16 * 1024 * 1024;

export async function probeFile(path: string, opts: ProbeOptions = {}): Promise<ProbeJson> {
  const abs = resolve(path);
  const info = await stat(abs);
  if (!info.isFile()) throw new AppError('FH_ERR_NOT_MEDIA', 'The upload is not a regular file.');
  if (info.size === 0) throw new AppError('FH_ERR_EMPTY_FILE');

  const head = await readHead(abs);
  const playlist = sniffPlaylist(head);
  if (playlist) throw playlistError(playlist);

  const timeoutMs = opts.timeoutMs ?? 60_000;
  const run = await runProcess(opts.ffprobePath ?? 'ffprobe', buildProbeArgs(abs), {
    timeoutMs,
    signal: opts.signal,
    collectStdout: MAX_JSON_BYTES,
  });
  if (run.aborted) throw abortError(opts.signal, 'ffprobe');
  if (run.timedOut) {
    throw new AppError(
      'FH_ERR_MEDIA_TIMEOUT',
      `Reading the file took longer than ${Math.round(timeoutMs / 1000)} s.`,
    );
  }
  if (run.stdoutOverflow)
    throw new AppError('FH_ERR_UNSUPPORTED_MEDIA', 'The file describes too many streams.');
  const excerpt = cleanStderr(run.stderrTail, abs);
  if (run.exitCode !== 0) throw failureError(excerpt, head);
  try {
    return JSON.parse(run.stdout.toString('utf8')) as ProbeJson;
  } catch {
    throw new AppError('FH_ERR_NOT_MEDIA', undefined, { ffprobe: excerpt });
  }
}

async function readHead(abs: string): Promise<Buffer> {
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function playlistError(kind: string): AppError {
  return new AppError(
    'FH_ERR_PLAYLIST_REJECTED',
    `The file is a playlist or reference file (${kind}), not media. Upload the video or audio file itself: references to other files or addresses are never followed.`,
  );
}

/** Map a failed ffprobe run to the error a person can act on. */
function failureError(excerpt: string, head: Buffer): AppError {
  const details = { ffprobe: excerpt };
  // "[image2] Format not on whitelist '…'": the demuxer ffprobe's probing picked, then refused.
  const refused = /\[([^\]]+)\] Format not on whitelist/.exec(excerpt)?.[1]?.split(',')[0];
  const signature = sniffContainer(head);
  if (refused) {
    if (REFERENCE_DEMUXERS.has(refused)) return playlistError(refused);
    if (refused === 'image2' || refused.endsWith('_pipe')) return imageError();
    if (!signature) return new AppError('FH_ERR_NOT_MEDIA', undefined, details);
    return new AppError(
      'FH_ERR_UNSUPPORTED_MEDIA',
      `Files of this format (${refused}) are not accepted.`,
      details,
    );
  }
  if (signature) {
    const reason = summary(excerpt);
    return new AppError(
      'FH_ERR_MEDIA_DAMAGED',
      `The file looks like ${signature} media but is damaged or truncated${reason ? ` (${reason})` : ''}.`,
      details,
    );
  }
  return new AppError('FH_ERR_NOT_MEDIA', undefined, details);
}

export function imageError(): AppError {
  return new AppError(
    'FH_ERR_UNSUPPORTED_MEDIA',
    'This is a still image in a format the image pipeline does not take (it takes JPEG, PNG, WebP, AVIF, TIFF, GIF and camera RAW).',
  );
}

/** Our storage path is nobody's business: replace it before stderr can reach a message. */
function cleanStderr(stderr: string, abs: string): string {
  return stderr
    .split(`file:${abs}`)
    .join('input')
    .split(abs)
    .join('input')
    .replace(/ @ 0x[0-9a-f]+/g, '')
    .trim();
}

/** ffprobe's lines without their "[demuxer]" / "input:" prefixes, deduplicated, bounded. */
function summary(excerpt: string): string {
  const lines = excerpt
    .split('\n')
    .map((l) =>
      l
        .replace(/^input: /, '')
        .replace(/^\[[^\]]*\]\s*/, '')
        .trim(),
    )
    .filter(Boolean);
  return [...new Set(lines)].join('; ').slice(0, 200);
}
