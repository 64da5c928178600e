/**
 * The corpus's inputs, built at run time (nothing large is committed): real media from ffmpeg's
 * test sources, then cut, patched or wrapped byte by byte into what the entries send.
 */
import { execFile } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';

const run = promisify(execFile);

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], {
    maxBuffer: 16 * 1024 * 1024,
  });
}

const SMALL_AV = [
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=160x120:rate=15',
  '-f',
  'lavfi',
  '-i',
  'sine=frequency=440',
];
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k'];

/** name → how to build it into `out`. Each may build others first through `need`. */
const recipes: Record<string, (out: string, need: (name: string) => Promise<string>) => Promise<void>> = {
  // A good 1 s clip, moov at the end (ffmpeg's default), and the same with the moov first.
  'good.mp4': (out) => ffmpeg([...SMALL_AV, '-t', '1', ...X264, out]),
  'faststart.mp4': (out) => ffmpeg([...SMALL_AV, '-t', '2', ...X264, '-movflags', '+faststart', out]),
  'good.mkv': (out) => ffmpeg([...SMALL_AV, '-t', '1', ...X264, out]),
  'good.wav': (out) => ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '1', out]),
  'good.png': (out) => ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x48', '-frames:v', '1', out]),
  'good.jpg': (out) => ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x48', '-frames:v', '1', out]),
  'good.flv': (out) =>
    ffmpeg([
      ...SMALL_AV.map((a) => a.replace('160x120', '320x240')),
      '-t',
      '8',
      ...X264,
      '-g',
      '15',
      '-bf',
      '0',
      out,
    ]),
  // Pictures far larger than they weigh.
  'gif-5000-frames.gif': (out) =>
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=8x8:rate=100', '-t', '50', '-f', 'gif', out]),
  'mjpeg.avi': (out) =>
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10', '-t', '3', '-c:v', 'mjpeg', '-f', 'avi', out]),
  'rawvideo.mkv': (out) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x256:rate=5',
      '-t',
      '1',
      '-c:v',
      'rawvideo',
      '-pix_fmt',
      'gray',
      out,
    ]),
  // Three frames ten minutes apart: a few kilobytes that decode to 30 minutes of video.
  'sparse-frames.mkv': (out) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=1',
      '-frames:v',
      '3',
      '-vf',
      'setpts=PTS*900',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-fps_mode',
      'passthrough',
      out,
    ]),
  'fps-1000.mp4': (out) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=1000',
      '-t',
      '0.3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      out,
    ]),
  '100-audio-streams.mkv': async (out) => {
    const maps: string[] = ['-map', '0:v'];
    for (let i = 0; i < 100; i++) maps.push('-map', '1:a');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=10',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=300',
      '-t',
      '1',
      ...maps,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '16k',
      out,
    ]);
  },
  'tall-16x4096.mp4': (out) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=16x4096:rate=5',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      out,
    ]),
  'tiny-2x2.mp4': (out) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=red:size=2x2:rate=5',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      out,
    ]),
  // MJPEG whose frames (SOF markers) and AVI headers say 16000 × 16000: 384 MB a frame once decoded.
  'mjpeg-16000.avi': async (out, need) => {
    const buf = patchSof(await readFile(await need('mjpeg.avi')), 16_000, 16_000);
    // The AVI headers say so too (ffprobe believes the stream header's BITMAPINFOHEADER).
    const strf = buf.indexOf('strf');
    buf.writeInt32LE(16_000, strf + 12);
    buf.writeInt32LE(16_000, strf + 16);
    const avih = buf.indexOf('avih');
    buf.writeInt32LE(16_000, avih + 40);
    buf.writeInt32LE(16_000, avih + 44);
    await writeFile(out, buf);
  },
  // Matroska rawvideo whose header says 65520 × 65520 (the frames stay 320 × 256).
  'rawvideo-65520.mkv': async (out, need) => {
    const buf = Buffer.from(await readFile(await need('rawvideo.mkv')));
    patchEbmlUint(buf, [0xb0, 0x82, 0x01, 0x40], 0xfff0); // PixelWidth 320
    patchEbmlUint(buf, [0xba, 0x82, 0x01, 0x00], 0xfff0); // PixelHeight 256
    await writeFile(out, buf);
  },
  // The good clip's movie header claiming ~68 years.
  'mvhd-duration.mp4': async (out, need) => {
    const buf = Buffer.from(await readFile(await need('good.mp4')));
    const at = buf.indexOf('mvhd');
    if (at < 0) throw new Error('no mvhd');
    // version 0: size type ver/flags ctime mtime timescale duration
    buf.writeUInt32BE(0xfffffff0, at + 4 + 4 + 4 + 4 + 4);
    await writeFile(out, buf);
  },
  'png-100000.png': async (out) => writeFile(out, pngOf(100_000, 100_000, deflateSync(Buffer.alloc(1024)))),
  // A real 20000 × 20000 1-bit PNG: 50 MB of pixels, ~50 kB on disk.
  'png-20000-real.png': async (out) => {
    const row = 1 + 20_000 / 8;
    await writeFile(out, pngOf(20_000, 20_000, deflateSync(Buffer.alloc(row * 20_000), { level: 9 }), 1, 0));
  },
  'jpeg-65000.jpg': async (out, need) => {
    const buf = await readFile(await need('good.jpg'));
    await writeFile(out, patchSof(buf, 65_000, 65_000));
  },
  // One 1 × 1 frame on a 65535 × 65535 logical screen.
  'gif-screen-65535.gif': async (out) => {
    const gif = Buffer.concat([
      Buffer.from('GIF89a', 'latin1'),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x80, 0, 0]), // screen 65535², global colour table of 2
      Buffer.from([0, 0, 0, 255, 255, 255]),
      Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0]), // image 1×1 at 0,0
      Buffer.from([2, 2, 0x44, 0x01, 0]), // LZW min 2, one data block, end
      Buffer.from([0x3b]),
    ]);
    await writeFile(out, gif);
  },
};

/** Builds inputs into `dir` on demand, each once. */
export function maker(dir: string): (name: string) => Promise<string> {
  const building = new Map<string, Promise<string>>();
  const need = (name: string): Promise<string> => {
    let p = building.get(name);
    if (!p) {
      const recipe = recipes[name];
      if (!recipe) throw new Error(`no recipe for ${name}`);
      const out = join(dir, name);
      p = access(out)
        .catch(() => recipe(out, need))
        .then(() => out);
      building.set(name, p);
    }
    return p;
  };
  return need;
}

/** Rewrites every baseline/progressive SOF marker's height and width. */
function patchSof(input: Buffer, width: number, height: number): Buffer {
  const buf = Buffer.from(input);
  let n = 0;
  for (let i = 0; i < buf.length - 9; i++) {
    if (buf[i] === 0xff && (buf[i + 1] === 0xc0 || buf[i + 1] === 0xc2) && buf[i + 4] === 8) {
      buf.writeUInt16BE(height, i + 5);
      buf.writeUInt16BE(width, i + 7);
      n++;
    }
  }
  if (n === 0) throw new Error('no SOF marker');
  return buf;
}

function patchEbmlUint(buf: Buffer, pattern: number[], value: number): void {
  const at = buf.indexOf(Buffer.from(pattern));
  if (at < 0) throw new Error(`EBML element ${pattern.map((b) => b.toString(16)).join(' ')} not found`);
  buf.writeUInt16BE(value, at + 2);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG of the declared size around whatever IDAT is given (grey, `depth` bits). */
function pngOf(width: number, height: number, idat: Buffer, depth = 8, colour = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colour;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The first `fraction` of a file's bytes. */
export async function cut(path: string, fraction: number): Promise<Buffer> {
  const buf = await readFile(path);
  return buf.subarray(0, Math.max(1, Math.floor(buf.length * fraction)));
}

/** An empty ZIP (end of central directory only) with an HTML comment as its archive comment. */
export function zipTail(comment: string): Buffer {
  const c = Buffer.from(comment, 'latin1');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(c.length, 20);
  return Buffer.concat([eocd, c]);
}

/** An ISO BMFF box. */
export function box(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

/** Every input the recipes build (the scenario builds them all before the first is sent). */
export const RECIPE_NAMES: readonly string[] = Object.keys(recipes);
