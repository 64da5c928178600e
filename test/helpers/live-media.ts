/**
 * Helpers for the live transcoding tests: a real-time publisher made with ffmpeg, a reader of
 * top-level MP4 boxes that notes when each arrives, and a free UDP port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Readable } from 'node:stream';

export interface ArrivedBox {
  type: string;
  size: number;
  /** ms epoch when its last byte arrived */
  at: number;
  /** for 'prft': the wall clock it carries, ms epoch, and the media time it stamps, s */
  prftMs?: number;
  prftMediaSeconds?: number;
}

/** Collects the top-level boxes of an fMP4 byte stream and the whole bytes. */
export function collectBoxes(stream: Readable): {
  boxes: ArrivedBox[];
  bytes: () => Buffer;
  done: Promise<void>;
  timescales: Map<number, number>;
} {
  const boxes: ArrivedBox[] = [];
  const timescales = new Map<number, number>();
  const chunks: Buffer[] = [];
  let pending = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    pending = Buffer.concat([pending, chunk]);
    const now = Date.now();
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(0);
      if (size < 8) throw new Error(`bad box size ${size}`);
      if (pending.length < size) break;
      const type = pending.toString('latin1', 4, 8);
      const box: ArrivedBox = { type, size, at: now };
      if (type === 'moov')
        for (const [id, ts] of trackTimescales(pending.subarray(0, size))) timescales.set(id, ts);
      if (type === 'prft') {
        const p = readPrft(pending.subarray(0, size));
        box.prftMs = p.wallMs;
        const ts = timescales.get(p.trackId);
        if (ts) box.prftMediaSeconds = p.mediaTime / ts;
      }
      boxes.push(box);
      pending = pending.subarray(size);
    }
  });
  const done = new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  return { boxes, bytes: () => Buffer.concat(chunks), done, timescales };
}

/** prft: version/flags, reference_track_ID, ntp_timestamp (64-bit NTP), media_time (32/64). */
function readPrft(box: Buffer): { trackId: number; wallMs: number; mediaTime: number } {
  const version = box.readUInt8(8);
  const trackId = box.readUInt32BE(12);
  const secs = box.readUInt32BE(16);
  const frac = box.readUInt32BE(20);
  const NTP_TO_UNIX = 2208988800;
  const wallMs = (secs - NTP_TO_UNIX) * 1000 + (frac / 2 ** 32) * 1000;
  const mediaTime = version === 1 ? Number(box.readBigUInt64BE(24)) : box.readUInt32BE(24);
  return { trackId, wallMs, mediaTime };
}

function* children(
  buf: Buffer,
  start: number,
  end: number,
): Generator<{ type: string; start: number; end: number }> {
  let off = start;
  while (off + 8 <= end) {
    const size = buf.readUInt32BE(off);
    if (size < 8 || off + size > end) return;
    yield { type: buf.toString('latin1', off + 4, off + 8), start: off + 8, end: off + size };
    off += size;
  }
}

/** track_ID → timescale, from a moov box. */
function trackTimescales(moov: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  for (const trak of children(moov, 8, moov.length)) {
    if (trak.type !== 'trak') continue;
    let id = 0;
    let ts = 0;
    for (const c of children(moov, trak.start, trak.end)) {
      if (c.type === 'tkhd') id = moov.readUInt32BE(c.start + (moov.readUInt8(c.start) === 1 ? 20 : 12));
      if (c.type === 'mdia') {
        for (const m of children(moov, c.start, c.end)) {
          if (m.type === 'mdhd') ts = moov.readUInt32BE(m.start + (moov.readUInt8(m.start) === 1 ? 20 : 12));
        }
      }
    }
    if (id && ts) out.set(id, ts);
  }
  return out;
}

/**
 * How long after its first frame entered the transcoder each fragment left it, ms: arrival minus
 * (when the input's first byte was written + the fragment's media start). The publisher sends in
 * real time (`-re`), so media time t entered at about inputStart + t.
 */
export function fragmentLatencies(boxes: ArrivedBox[], inputStartMs: number): number[] {
  return boxes
    .filter((b) => b.type === 'prft' && b.prftMediaSeconds !== undefined)
    .map((b) => b.at - (inputStartMs + (b.prftMediaSeconds as number) * 1000));
}

/** ffmpeg reading `file` in real time (`-re`) and writing it, unchanged, to stdout as `format`. */
export function realtimePublisher(
  ffmpeg: string,
  file: string,
  format: 'flv' | 'mpegts',
  seconds?: number,
): ChildProcess {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-i', file];
  if (seconds) args.push('-t', String(seconds));
  args.push('-c', 'copy', '-f', format, 'pipe:1');
  return spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Makes an H.264/AAC test source. */
export function makeSource(
  ffmpeg: string,
  out: string,
  o: {
    size: string;
    fps: number;
    seconds: number;
    gop: number;
    format: 'flv' | 'mpegts';
    cameraNoise?: boolean;
  },
): Promise<void> {
  // biome-ignore format: option/value pairs
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    // Light temporal noise, like a camera sensor's: a clean synthetic picture is far cheaper to
    // encode than what a broadcaster sends.
    '-f', 'lavfi', '-i', `testsrc2=size=${o.size}:rate=${o.fps}${o.cameraNoise ? ',noise=alls=8:allf=t' : ''}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(o.seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(o.gop), '-keyint_min', String(o.gop),
    '-sc_threshold', '0', '-b:v', o.cameraNoise ? '4000k' : '1500k', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k', '-ac', '2',
    '-f', o.format, out,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c: Buffer) => {
      err = (err + c.toString()).slice(-2000);
    });
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`making ${out} failed: ${err}`))));
  });
}

/** A UDP port that was free a moment ago (bound to 0, read, released). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Whether something holds this UDP port on 127.0.0.1 now (an SRT listener, say). */
export function udpPortBusy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(true));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

/**
 * `count` consecutive UDP ports that were free a moment ago (for FRAMEHOUSE_SRT_PORTS), below
 * Linux's ephemeral range (32768+), where outgoing sockets of other programs come and go.
 */
export async function freeUdpRange(count: number): Promise<{ first: number; last: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * (12_000 - count));
    const ports = Array.from({ length: count }, (_, i) => first + i);
    const busy = await Promise.all(ports.map(udpPortBusy));
    if (!busy.includes(true)) return { first, last: first + count - 1 };
  }
  throw new Error(`no ${count} consecutive free UDP ports found`);
}
