/** Reading MP4 files in tests: their top-level boxes, ffprobe's view, packet checksums. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FFMPEG, ffprobeJson } from '../fixtures/media.ts';

const run = promisify(execFile);

/** The types of the top-level boxes, in file order (`ftyp`, `moov`, `mdat`…). */
export function topLevelBoxes(file: Buffer): string[] {
  const types: string[] = [];
  for (let at = 0; at + 8 <= file.length; ) {
    let size = file.readUInt32BE(at);
    if (size === 1) size = Number(file.readBigUInt64BE(at + 8));
    else if (size === 0) size = file.length - at;
    types.push(file.toString('latin1', at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return types;
}

export interface Probed {
  streams: Array<{
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    start_time?: string;
    duration?: string;
    side_data_list?: Array<{ side_data_type?: string; projection?: string }>;
  }>;
  format: { duration: string; format_name: string };
}

export async function probe(file: string): Promise<Probed> {
  return (await ffprobeJson(file)) as Probed;
}

/**
 * The packets of one stream as ffmpeg's framemd5 muxer sees them when copying (no decoding):
 * the codec's extradata checksum and each packet's size and MD5, without timestamps (a remux
 * may move them). Equal lists mean the same bytes: nothing was encoded again.
 */
export async function packetChecksums(file: string, stream: 'v:0' | 'a:0') {
  const { stdout } = await run(
    FFMPEG,
    ['-nostdin', '-v', 'error', '-i', file, '-map', `0:${stream}`, '-c', 'copy', '-f', 'framemd5', '-'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const lines = stdout.split('\n');
  const extradata =
    lines
      .find((l) => l.startsWith('#extradata'))
      ?.split(',')
      .pop()
      ?.trim() ?? null;
  const packets = lines
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const cols = l.split(',').map((c) => c.trim());
      return `${cols[4]}:${cols[5]}`; // size:md5
    });
  return { extradata, packets };
}
