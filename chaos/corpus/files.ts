/**
 * Hostile files: empty, truncated, mislabelled, polyglot, playlists and reference files, bombs
 * and absurd media. Each is uploaded as multipart (some through tus) and must settle as the
 * entry says. Playlists point at the canary (file: and ../ paths), the bait server on loopback
 * and the cloud metadata address: none of those may be read or called.
 */
import { readFile } from 'node:fs/promises';
import {
  assetAnswer,
  type CorpusEntry,
  type Family,
  type Harness,
  settle,
  uploadMultipart,
  uploadTus,
} from './harness.ts';
import { box, cut, zipTail } from './make.ts';

type Bytes = (h: Harness) => Promise<Buffer> | Buffer;

function upload(
  id: string,
  family: Family,
  what: string,
  expect: string,
  filename: string,
  bytes: Bytes,
  onReady?: Parameters<typeof settle>[2],
): CorpusEntry {
  return {
    id,
    family,
    what,
    expect,
    async run(h) {
      const res = await uploadMultipart(h, { bytes: await bytes(h), filename });
      if (!onReady || res.status !== 202) return assetAnswer(h, res);
      const { data } = (await res.json()) as { data: { id: string } };
      return settle(h, data.id, onReady);
    },
  };
}

const made = (name: string) => async (h: Harness) => readFile(await h.make(name));
const text = (f: (h: Harness) => string) => (h: Harness) => Buffer.from(f(h), 'utf8');
/** A relative path from anywhere in the server's data folder up to the canary. */
const dotdot = (h: Harness) => `${'../'.repeat(16)}${h.canaryPath.replace(/^\//, '')}`;
const NUL_PAD = Buffer.alloc(4200, 0);

const hls = (uri: string) =>
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n${uri}\n#EXT-X-ENDLIST\n`;
const dash = (base: string) =>
  `<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10S" minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">\n<BaseURL>${base}</BaseURL>\n<Period><AdaptationSet mimeType="video/mp4"><Representation id="1" bandwidth="1000" codecs="avc1.42c00d" width="64" height="48"><BaseURL>${base}</BaseURL><SegmentBase indexRange="0-100"/></Representation></AdaptationSet></Period>\n</MPD>\n`;
const ffconcat = (path: string) => `ffconcat version 1.0\nfile '${path}'\nduration 10\n`;

const PLAYLIST_REJECTED = 'errored FH_ERR_PLAYLIST_REJECTED';

export const fileEntries: CorpusEntry[] = [
  // ── empty ──
  upload(
    'empty-multipart',
    'empty',
    '0-byte file named .mp4, multipart',
    'errored FH_ERR_EMPTY_FILE',
    'clip.mp4',
    () => Buffer.alloc(0),
  ),
  {
    id: 'empty-tus',
    family: 'empty',
    what: 'tus upload with Upload-Length: 0',
    expect: 'errored FH_ERR_EMPTY_FILE',
    run: (h) =>
      uploadTus(h, new Uint8Array(0), {
        'upload-metadata': `filename ${Buffer.from('clip.mp4').toString('base64')}`,
      }),
  },
  upload(
    'whitespace-only',
    'empty',
    '4 KB of spaces and newlines named .mov',
    'errored FH_ERR_NOT_MEDIA',
    'clip.mov',
    () => Buffer.from(' \n'.repeat(2048)),
  ),

  // ── truncated ──
  upload(
    'mp4-no-moov',
    'truncated',
    'MP4 cut at 60 % (its moov, at the end, gone)',
    'errored FH_ERR_MEDIA_DAMAGED',
    'cut.mp4',
    async (h) => cut(await h.make('good.mp4'), 0.6),
  ),
  upload(
    'mp4-ftyp-only',
    'truncated',
    'the first 32 bytes of an MP4',
    'errored FH_ERR_MEDIA_DAMAGED',
    'cut.mp4',
    async (h) => (await readFile(await h.make('good.mp4'))).subarray(0, 32),
  ),
  upload(
    'mkv-header-cut',
    'truncated',
    'Matroska cut inside its header (300 bytes)',
    'errored FH_ERR_MEDIA_DAMAGED',
    'cut.mkv',
    async (h) => (await readFile(await h.make('good.mkv'))).subarray(0, 300),
  ),
  upload(
    'mp4-mdat-cut',
    'truncated',
    'faststart MP4 cut mid-mdat (index whole, half the frames gone): the surviving half plays',
    'ready video',
    'cut.mp4',
    async (h) => cut(await h.make('faststart.mp4'), 0.5),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    'png-cut',
    'truncated',
    'PNG cut in half: libvips reads the rows that are there',
    'ready image',
    'cut.png',
    async (h) => cut(await h.make('good.png'), 0.5),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    'jpeg-cut',
    'truncated',
    'JPEG cut after 200 bytes',
    'errored FH_ERR_MEDIA_DAMAGED',
    'cut.jpg',
    async (h) => (await readFile(await h.make('good.jpg'))).subarray(0, 200),
  ),

  // ── mislabelled ──
  upload('text-as-mp4', 'mislabelled', 'plain text named .mp4', 'errored FH_ERR_NOT_MEDIA', 'movie.mp4', () =>
    Buffer.from('Hello, this is not a video.\n'.repeat(50)),
  ),
  upload(
    'html-as-mp4',
    'mislabelled',
    'an HTML page with a script named .mp4',
    'errored FH_ERR_NOT_MEDIA',
    'movie.mp4',
    () => Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n'),
  ),
  upload('pdf-as-mp4', 'mislabelled', 'a PDF named .mp4', 'errored FH_ERR_NOT_MEDIA', 'movie.mp4', () =>
    Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'),
  ),
  upload(
    'random-as-mkv',
    'mislabelled',
    '64 KB of random bytes named .mkv',
    'errored FH_ERR_NOT_MEDIA',
    'movie.mkv',
    () => {
      // Deterministic noise (no container signature can start it by chance).
      const b = Buffer.alloc(65536);
      let x = 0x12345678;
      for (let i = 0; i < b.length; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        b[i] = x >>> 24;
      }
      b[0] = 0x7f;
      return b;
    },
  ),
  upload(
    'elf-as-mp4',
    'mislabelled',
    'a Linux executable named .mp4',
    'errored FH_ERR_NOT_MEDIA',
    'movie.mp4',
    () => readFile('/bin/true'),
  ),
  upload(
    'png-as-mov',
    'mislabelled',
    'a PNG named .mov: taken for what it is, an image',
    'ready image',
    'clip.mov',
    made('good.png'),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    'mp4-as-png',
    'mislabelled',
    'an MP4 named .png: taken for what it is, a video',
    'ready video',
    'photo.png',
    made('good.mp4'),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    'wav-as-jpg',
    'mislabelled',
    'a WAV named .jpg: taken for what it is, audio',
    'ready audio',
    'photo.jpg',
    made('good.wav'),
    (a) => `ready ${a.kind}`,
  ),

  // ── polyglot ──
  upload(
    'hls-binary-polyglot',
    'polyglot',
    'starts as an HLS playlist naming the canary, then NULs and an MP4 (not text to a sniffer)',
    PLAYLIST_REJECTED,
    'clip.mp4',
    async (h) =>
      Buffer.concat([
        Buffer.from(hls(`file:${h.canaryPath}`)),
        NUL_PAD,
        await readFile(await h.make('good.mp4')),
      ]),
  ),
  upload(
    'ffconcat-binary-polyglot',
    'polyglot',
    'starts as an ffconcat list naming the canary, then NULs and an MP4',
    PLAYLIST_REJECTED,
    'clip.mp4',
    async (h) =>
      Buffer.concat([Buffer.from(ffconcat(h.canaryPath)), NUL_PAD, await readFile(await h.make('good.mp4'))]),
  ),
  upload(
    'hls-noisy-header',
    'polyglot',
    'an HLS playlist naming the bait, padded with control bytes so it does not look like text',
    PLAYLIST_REJECTED,
    'clip.ts',
    (h) =>
      Buffer.concat([
        Buffer.from(hls(`${h.baitUrl}/noisy.ts`)),
        Buffer.from('\x01\x02\x03\x04'.repeat(300), 'latin1'),
      ]),
  ),
  upload(
    'mp4-free-box-playlist',
    'polyglot',
    'a valid MP4 with a free box holding an HLS playlist naming the canary: the MP4 is played, the playlist never read',
    'ready video',
    'clip.mp4',
    async (h) =>
      Buffer.concat([
        await readFile(await h.make('good.mp4')),
        box('free', Buffer.from(`\n${hls(`file:${h.canaryPath}`)}`)),
      ]),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    'mp4-zip-html-tail',
    'polyglot',
    'a valid MP4 that is also a ZIP with an HTML comment (archive tail)',
    'ready video',
    'clip.mp4',
    async (h) =>
      Buffer.concat([
        await readFile(await h.make('good.mp4')),
        zipTail('<html><script>alert(1)</script></html>'),
      ]),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    'html-then-mp4',
    'polyglot',
    'an HTML page followed by a whole MP4',
    'errored FH_ERR_NOT_MEDIA',
    'clip.mp4',
    async (h) =>
      Buffer.concat([
        Buffer.from('<html><body><video src="x"></video></body></html>\n'),
        NUL_PAD.subarray(0, 16),
        await readFile(await h.make('good.mp4')),
      ]),
  ),
  upload(
    'gif-js-polyglot',
    'polyglot',
    'GIF89a header that is also JavaScript',
    'errored FH_ERR_MEDIA_DAMAGED',
    'anim.gif',
    () =>
      Buffer.from('GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;fetch("http://169.254.169.254/");//', 'latin1'),
  ),
  upload(
    'svg-external-refs',
    'polyglot',
    'SVG named .png whose images are the canary and the bait',
    'errored FH_ERR_NOT_MEDIA',
    'photo.png',
    (h) =>
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64"><image xlink:href="file://${h.canaryPath}" width="64" height="64"/><image href="${h.baitUrl}/svg.png" width="64" height="64"/></svg>\n`,
      ),
  ),

  // ── playlists and reference files, uploaded as files ──
  upload(
    'hls-file-canary',
    'playlist',
    'HLS playlist naming file:<canary>',
    PLAYLIST_REJECTED,
    'list.m3u8',
    text((h) => hls(`file:${h.canaryPath}`)),
  ),
  upload(
    'hls-dotdot-as-mp4',
    'playlist',
    'HLS playlist naming ../…/<canary>, named .mp4',
    PLAYLIST_REJECTED,
    'clip.mp4',
    text((h) => hls(dotdot(h))),
  ),
  upload(
    'hls-loopback',
    'playlist',
    'HLS playlist naming the loopback bait',
    PLAYLIST_REJECTED,
    'list.m3u8',
    text((h) => hls(`${h.baitUrl}/seg0.ts`)),
  ),
  upload(
    'hls-metadata',
    'playlist',
    'HLS playlist naming 169.254.169.254, named .mov',
    PLAYLIST_REJECTED,
    'clip.mov',
    text((h) => hls(`${h.metadataUrl}/latest/meta-data/iam/security-credentials/`)),
  ),
  upload(
    'hls-key-uri',
    'playlist',
    'HLS playlist whose EXT-X-KEY and EXT-X-MAP URIs are the bait',
    PLAYLIST_REJECTED,
    'list.m3u8',
    text(
      (h) =>
        `#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:METHOD=AES-128,URI="${h.baitUrl}/key"\n#EXT-X-MAP:URI="${h.baitUrl}/init.mp4"\n#EXTINF:4,\nseg.m4s\n#EXT-X-ENDLIST\n`,
    ),
  ),
  upload(
    'hls-bom-crlf',
    'playlist',
    'HLS playlist behind a BOM, blank CRLF lines, naming the canary',
    PLAYLIST_REJECTED,
    'clip.mp4',
    text((h) => `\uFEFF\r\n\r\n  ${hls(`file://${h.canaryPath}`).replace(/\n/g, '\r\n')}`),
  ),
  upload(
    'hls-utf16',
    'playlist',
    'HLS playlist in UTF-16 naming the canary (its BOM reads as an MPEG audio sync: "damaged")',
    'errored FH_ERR_MEDIA_DAMAGED',
    'list.m3u8',
    (h) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(hls(`file:${h.canaryPath}`), 'utf16le')]),
  ),
  upload(
    'dash-file-canary',
    'playlist',
    'DASH MPD whose BaseURL is file:<canary>',
    PLAYLIST_REJECTED,
    'manifest.mpd',
    text((h) => dash(`file://${h.canaryPath}`)),
  ),
  upload(
    'dash-loopback-as-mp4',
    'playlist',
    'DASH MPD naming the loopback bait, named .mp4',
    PLAYLIST_REJECTED,
    'clip.mp4',
    text((h) => dash(`${h.baitUrl}/dash/`)),
  ),
  upload(
    'dash-metadata',
    'playlist',
    'DASH MPD naming 169.254.169.254',
    PLAYLIST_REJECTED,
    'manifest.mpd',
    text((h) => dash(`${h.metadataUrl}/latest/`)),
  ),
  upload(
    'ffconcat-file-canary',
    'playlist',
    'ffconcat list naming the canary by absolute path',
    PLAYLIST_REJECTED,
    'list.txt',
    text((h) => ffconcat(h.canaryPath)),
  ),
  upload(
    'ffconcat-dotdot-as-mp4',
    'playlist',
    'ffconcat list naming ../…/<canary>, named .mp4',
    PLAYLIST_REJECTED,
    'clip.mp4',
    text((h) => ffconcat(dotdot(h))),
  ),
  upload(
    'ffconcat-loopback',
    'playlist',
    'ffconcat list naming the bait over http',
    PLAYLIST_REJECTED,
    'clip.mkv',
    text((h) => ffconcat(`${h.baitUrl}/concat.mp4`)),
  ),
  upload(
    'concat-no-header',
    'playlist',
    "bare concat lines (file '…') without the ffconcat header, named .mov",
    PLAYLIST_REJECTED,
    'clip.mov',
    text((h) => `file '${dotdot(h)}'\nfile 'file:${h.canaryPath}'\n`),
  ),
  upload(
    'sdp-loopback',
    'playlist',
    'SDP description of an RTP stream on loopback, named .mp4',
    PLAYLIST_REJECTED,
    'clip.mp4',
    text(
      () =>
        'v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 5004 RTP/AVP 96\na=rtpmap:96 H264/90000\n',
    ),
  ),
  upload(
    'm3u-url-list',
    'playlist',
    'a plain .m3u list of URLs (metadata address, bait) named .mp3',
    PLAYLIST_REJECTED,
    'song.mp3',
    text((h) => `${h.metadataUrl}/latest/meta-data/\n${h.baitUrl}/list.mp3\n`),
  ),

  // ── bombs ──
  upload(
    'png-100000',
    'bomb',
    'PNG declaring 100000 × 100000 (10 gigapixels) in a 1 kB file',
    'errored FH_ERR_IMAGE_TOO_LARGE',
    'bomb.png',
    made('png-100000.png'),
  ),
  upload(
    'png-20000-real',
    'bomb',
    'a real 20000 × 20000 PNG (400 MP, 50 MB of pixels) compressed to ~50 kB',
    'errored FH_ERR_IMAGE_TOO_LARGE',
    'bomb.png',
    made('png-20000-real.png'),
  ),
  upload(
    'jpeg-65000',
    'bomb',
    'JPEG whose SOF declares 65000 × 65000',
    'errored FH_ERR_IMAGE_TOO_LARGE',
    'bomb.jpg',
    made('jpeg-65000.jpg'),
  ),
  upload(
    'gif-5000-frames',
    'bomb',
    'GIF with 5000 frames',
    'errored FH_ERR_IMAGE_TOO_LARGE',
    'anim.gif',
    made('gif-5000-frames.gif'),
  ),
  upload(
    'gif-screen-65535',
    'bomb',
    'GIF with a 65535 × 65535 logical screen around one 1 × 1 frame: libvips decodes the frame, not the screen',
    'ready image 1x1',
    'anim.gif',
    made('gif-screen-65535.gif'),
    (a) => `ready ${a.kind} ${a.width}x${a.height}`,
  ),
  upload(
    'mjpeg-16000',
    'bomb',
    'MJPEG AVI, 30 frames each declaring 16000 × 16000 (384 MB a frame decoded)',
    'errored FH_ERR_UNSUPPORTED_MEDIA',
    'bomb.avi',
    made('mjpeg-16000.avi'),
  ),
  upload(
    'rawvideo-65520',
    'bomb',
    'Matroska rawvideo whose header declares 65520 × 65520 (ffprobe gives up on it)',
    'errored FH_ERR_NOT_MEDIA',
    'bomb.mkv',
    made('rawvideo-65520.mkv'),
  ),
  upload(
    'sparse-frames',
    'bomb',
    'three frames 15 minutes apart: a few kB that decode to 30 minutes',
    'ready video',
    'sparse.mkv',
    made('sparse-frames.mkv'),
    (a) => `ready ${a.kind}`,
  ),

  // ── absurd ──
  upload(
    'mvhd-68-years',
    'absurd',
    'MP4 whose movie header claims ~68 years',
    'ready video',
    'long.mp4',
    made('mvhd-duration.mp4'),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    'fps-1000',
    'absurd',
    '1000 frames per second',
    'ready video',
    'fast.mp4',
    made('fps-1000.mp4'),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    '100-audio-streams',
    'absurd',
    'Matroska with 1 video and 100 audio streams',
    'ready video',
    'many.mkv',
    made('100-audio-streams.mkv'),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    'tall-16x4096',
    'absurd',
    'a 16 × 4096 video',
    'ready video',
    'tall.mp4',
    made('tall-16x4096.mp4'),
    (a) => `ready ${a.kind}`,
  ),
  upload(
    'tiny-2x2',
    'absurd',
    'a 2 × 2 video',
    'ready video',
    'tiny.mp4',
    made('tiny-2x2.mp4'),
    (a) => `ready ${a.kind}`,
  ),
];
