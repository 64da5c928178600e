/**
 * Looks at a file's first bytes before any media tool opens it, for two decisions ffprobe
 * can't make safely or clearly:
 *
 * 1. Is it a playlist or reference file (HLS, DASH, concat, SDP, PLS, a list of URLs)? Those
 *    are rejected without ever being handed to ffprobe: a demuxer that follows references
 *    would read local files or call a network address. The demuxer whitelist in ffprobe.ts
 *    blocks them too; this check is the first wall and gives the precise error code.
 * 2. Does a known container signature start the file? When ffprobe then fails, that tells
 *    "damaged" (a recognised container, e.g. an MP4 cut before its moov) from "not media"
 *    (random bytes, text). ffprobe's own messages can't: it picks the mov demuxer for any
 *    name ending in .mp4 and says "moov atom not found" for a text file too.
 */

export const SNIFF_BYTES = 4096;

export function sniffPlaylist(head: Buffer): string | null {
  if (!looksLikeText(head)) return null;
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (/^#EXT(M3U|INF)/i.test(text) || /^#EXT-X-/im.test(text)) return 'hls';
  if (/^ffconcat\s+version/i.test(text) || /^\s*file\s+\S/im.test(text)) return 'concat';
  if (/^\[playlist\]/i.test(text)) return 'pls';
  if (/^v=0\r?\n/.test(text)) return 'sdp';
  if (text.startsWith('<')) {
    if (/<MPD[\s>]/.test(text)) return 'dash';
    if (/<smil[\s>]/i.test(text)) return 'smil';
    if (/<(CompositionPlaylist|AssetMap|PackingList)[\s>]/.test(text)) return 'imf';
    if (/<(asx|playlist)[\s>]/i.test(text)) return 'xml-playlist';
  }
  // A plain .m3u or any list of references: a line that is a URL or a file: path.
  if (/^\s*([a-z][a-z0-9+.-]*:\/\/|file:)/im.test(text)) return 'url-list';
  return null;
}

/** Text if there is no NUL byte and almost every byte is printable or whitespace. */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  let odd = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) odd++;
  }
  return odd / head.length < 0.02;
}

const ISO_BMFF_BOXES = new Set([
  'ftyp',
  'moov',
  'mdat',
  'free',
  'skip',
  'wide',
  'pnot',
  'styp',
  'moof',
  'sidx',
]);

/** The container family whose signature starts the file, or null. Conservative on purpose. */
export function sniffContainer(head: Buffer): string | null {
  const ascii = (from: number, to: number) => head.toString('latin1', from, to);
  const hex = (from: number, to: number) => head.toString('hex', from, to);
  if (head.length < 4) return null;
  if (head.length >= 8 && ISO_BMFF_BOXES.has(ascii(4, 8))) return 'isobmff';
  if (hex(0, 4) === '1a45dfa3') return 'matroska';
  if (ascii(0, 4) === 'RIFF' || ascii(0, 4) === 'RF64' || ascii(0, 4) === 'riff') return 'riff';
  if (ascii(0, 3) === 'FLV') return 'flv';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(0, 3) === 'ID3') return 'id3';
  if (ascii(0, 4) === 'FORM' && /^AIF[FC]$/.test(ascii(8, 12))) return 'aiff';
  if (ascii(0, 4) === 'caff') return 'caf';
  if (ascii(0, 4) === 'wvpk') return 'wavpack';
  if (ascii(0, 4) === 'MAC ') return 'ape';
  if (ascii(0, 5) === '#!AMR') return 'amr';
  if (hex(0, 8) === '3026b2758e66cf11') return 'asf';
  if (hex(0, 4) === '060e2b34') return 'mxf';
  if (hex(0, 4) === '000001ba') return 'mpeg-ps';
  if (hex(0, 4) === '000001b3') return 'mpeg-video';
  if (isTransportStream(head)) return 'mpegts';
  if (isMpegAudioFrame(head)) return 'mpeg-audio';
  if (ascii(0, 4) === 'GIF8') return 'gif';
  if (hex(0, 8) === '89504e470d0a1a0a') return 'png';
  if (hex(0, 3) === 'ffd8ff') return 'jpeg';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'tiff';
  return null;
}

/** Sync byte 0x47 every 188 bytes (or every 192 for M2TS, after a 4-byte timestamp). */
function isTransportStream(head: Buffer): boolean {
  for (const [start, stride] of [
    [0, 188],
    [4, 192],
  ] as const) {
    if (head.length < start + 2 * stride + 1) continue;
    if (head[start] === 0x47 && head[start + stride] === 0x47 && head[start + 2 * stride] === 0x47)
      return true;
  }
  return false;
}

/** An MPEG audio / ADTS frame header with valid version, layer, bitrate and rate fields. */
function isMpegAudioFrame(head: Buffer): boolean {
  const [b0, b1, b2] = [head[0] ?? 0, head[1] ?? 0, head[2] ?? 0];
  if (b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return false;
  if ((b1 & 0xf6) === 0xf0) return ((b2 >> 2) & 0x0f) < 13; // ADTS: layer 0, sampling index < 13
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3;
  return version !== 1 && layer !== 0 && b2 >> 4 !== 0x0f && ((b2 >> 2) & 3) !== 3;
}
