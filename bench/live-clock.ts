/**
 * A live source whose frames carry their capture time in their pixels, for glass-to-glass
 * latency: raw gray frames made here, paced by the wall clock, piped into ffmpeg that encodes
 * and publishes them over RTMP like OBS does (x264 zerolatency, 2 s keyframes, no B-frames, AAC).
 *
 * The time is written as large black/white blocks, not text: a player reads it back from any
 * shown frame by sampling block centres on a canvas, through scaling and compression, with no
 * OCR. Two rows of BLOCKS blocks across the top sixth of the frame:
 *   row A: marker 1010, then the capture time (Date.now(), ms) in 44 bits, most significant first
 *   row B: marker 0101, the frame number in 24 bits, a 16-bit check of both, 4 zero blocks
 * A frame whose markers or check do not match (a block caught mid-transition, a row misread) is
 * counted as undecodable, never as a wrong time.
 *
 * The publisher's ffmpeg writes the same FLV twice through the tee muxer: to the RTMP server
 * and to its stdout, where the moment each video tag comes out gives the encoder's own delay
 * (frame written to ffmpeg → its FLV tag handed to the RTMP output).
 */
import { type ChildProcess, spawn } from 'node:child_process';

export const BLOCKS = 48;
/** Rows of blocks, and the share of the frame height each takes. */
export const BLOCK_ROWS = 2;
export const ROW_FRACTION = 1 / 12;
const TIME_BITS = 44;
const FRAME_BITS = 24;
const CHECK_BITS = 16;
const MARK_A = [1, 0, 1, 0];
const MARK_B = [0, 1, 0, 1];

/** 16-bit check over the time and the frame number (the same function runs in the page). */
export function clockCheck(t: number, frame: number): number {
  const lo = t % 65536;
  const mid = Math.floor(t / 65536) % 65536;
  const hi = Math.floor(t / 4294967296) % 65536;
  return (
    (lo * 31 + mid * 17 + hi * 13 + (frame % 65536) * 7 + Math.floor(frame / 65536) * 3 + 0x5a5a) % 65536
  );
}

/** MSB-first bits of n (n < 2^53). */
function bitsOf(n: number, count: number): number[] {
  const out: number[] = [];
  for (let i = count - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** i) % 2);
  return out;
}

export function clockBits(t: number, frame: number): number[][] {
  return [
    [...MARK_A, ...bitsOf(t, TIME_BITS)],
    [...MARK_B, ...bitsOf(frame, FRAME_BITS), ...bitsOf(clockCheck(t, frame), CHECK_BITS), 0, 0, 0, 0],
  ];
}

/**
 * Bits (rows of BLOCKS, 0/1) back to { t, frame }, or null when markers or check disagree.
 * Self-contained (no closure, no imports) because its source text is also run in the page.
 */
export function decodeClock(rows: number[][]): { t: number; frame: number } | null {
  const a = rows[0] ?? [];
  const b = rows[1] ?? [];
  const mark = (r: number[], m: number[]) => m.every((x, i) => r[i] === x);
  if (!mark(a, [1, 0, 1, 0]) || !mark(b, [0, 1, 0, 1])) return null;
  const num = (r: number[], from: number, count: number) => {
    let n = 0;
    for (let i = from; i < from + count; i++) n = n * 2 + (r[i] ?? 0);
    return n;
  };
  const t = num(a, 4, 44);
  const frame = num(b, 4, 24);
  const check = num(b, 28, 16);
  const lo = t % 65536;
  const mid = Math.floor(t / 65536) % 65536;
  const hi = Math.floor(t / 4294967296) % 65536;
  const expected =
    (lo * 31 + mid * 17 + hi * 13 + (frame % 65536) * 7 + Math.floor(frame / 65536) * 3 + 0x5a5a) % 65536;
  return check === expected ? { t, frame } : null;
}

/** Paints one gray frame: a moving sawtooth (so the encoder has motion to code) under the blocks. */
export class ClockPainter {
  readonly width: number;
  readonly height: number;
  readonly #pattern: Buffer;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.#pattern = Buffer.alloc(width + 512);
    for (let i = 0; i < this.#pattern.length; i++) this.#pattern[i] = 48 + ((i * 3) % 160);
  }

  paint(t: number, frame: number): Buffer {
    const { width: w, height: h } = this;
    const buf = Buffer.allocUnsafe(w * h);
    for (let y = 0; y < h; y++) {
      const off = (y + frame * 4) % 256;
      this.#pattern.copy(buf, y * w, off, off + w);
    }
    const rows = clockBits(t, frame);
    const rowH = Math.floor(h * ROW_FRACTION);
    rows.forEach((bits, r) => {
      for (let y = r * rowH; y < (r + 1) * rowH; y++) {
        for (let i = 0; i < BLOCKS; i++) {
          const x0 = Math.round((i * w) / BLOCKS);
          const x1 = Math.round(((i + 1) * w) / BLOCKS);
          buf.fill(bits[i] ? 255 : 0, y * w + x0, y * w + x1);
        }
      }
    });
    return buf;
  }
}

export interface ClockPublisher {
  child: ChildProcess;
  /** Capture time (ms epoch) of every frame written so far, by frame number. */
  captured: number[];
  /** When each video frame's FLV tag came out of the encoder (ms epoch), by frame number. */
  encoded: number[];
  log(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Publishes the clock over RTMP in real time: frame n is painted and written at t0 + n/fps by
 * the wall clock (late ticks catch up, each frame stamped when it is written: a camera's frame
 * is stamped when it is captured, and waits in the encoder's queue like this one).
 */
export function publishClock(
  url: string,
  opts: { width: number; height: number; fps: number; bitrateKbps: number; preset: string },
): ClockPublisher {
  const { width, height, fps } = opts;
  const gop = fps * 2;
  // biome-ignore format: option/value pairs read best side by side
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'warning',
    '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
    // No -re: paced from its own start, the tone would trail the frames by ffmpeg's start-up
    // time and hold every video packet that long in the interleaving queue. Unpaced, ffmpeg
    // reads it only as far as the video has come (it reads the input whose output is behind).
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', opts.preset, '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-bf', '0',
    '-b:v', `${opts.bitrateKbps}k`, '-maxrate', `${opts.bitrateKbps}k`, '-bufsize', `${opts.bitrateKbps}k`,
    '-c:a', 'aac', '-b:a', '128k', '-ar', '48000',
    // The tee muxer cannot tell the encoders that FLV wants global headers: say it here.
    '-flags:v', '+global_header', '-flags:a', '+global_header',
    // Both outputs flushed per packet, as OBS sends each one at once (else avio holds up to 32 KB).
    '-f', 'tee', `[f=flv:onfail=abort:flush_packets=1]${url}|[f=flv:flush_packets=1]pipe:1`,
  ];
  const child = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  });
  const captured: number[] = [];
  const encoded: number[] = [];
  readFlvVideoTags(child.stdout as NodeJS.ReadableStream, () => encoded.push(Date.now()));

  const painter = new ClockPainter(width, height);
  const frameMs = 1000 / fps;
  const t0 = performance.now();
  let n = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (stopped) return;
    const due = Math.floor((performance.now() - t0) / frameMs) + 1;
    while (n < due) {
      const t = Date.now();
      captured[n] = t;
      child.stdin?.write(painter.paint(t, n));
      n++;
    }
    timer = setTimeout(tick, Math.max(1, t0 + n * frameMs - performance.now()));
  };
  child.stdin?.on('error', () => {});
  tick();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => {
    stopped = true;
    clearTimeout(timer);
  });
  return {
    child,
    captured,
    encoded,
    log: () => log,
    exited,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      child.stdin?.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Calls onFrame for every coded video frame (AVC NALU tag) of an FLV byte stream. */
function readFlvVideoTags(stream: NodeJS.ReadableStream, onFrame: () => void): void {
  let buf: Buffer = Buffer.alloc(0);
  let pos = 13; // FLV header (9) + PreviousTagSize0 (4)
  stream.on('data', (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < pos + 11) break;
      const type = buf[pos] as number;
      const size = buf.readUIntBE(pos + 1, 3);
      if (buf.length < pos + 11 + size + 4) break;
      // Video tag whose AVCPacketType is 1 (a coded frame, not the sequence header).
      if (type === 9 && size > 1 && buf[pos + 12] === 1) onFrame();
      pos += 11 + size + 4;
    }
    // Keep only the unread tail (a view, no copy; the next chunk is appended to it).
    if (pos >= buf.length) {
      pos -= buf.length;
      buf = Buffer.alloc(0);
    } else {
      buf = buf.subarray(pos);
      pos = 0;
    }
  });
}

/**
 * Page code (a script string for the browser) defining `readClock(video)`: the clock painted in
 * the frame now shown, read back through a canvas (the block rows only, shrunk so each block is
 * one CELL×CELL square, each centre averaged), or null when the frame shows none.
 */
export function clockReaderScript(cell: number): string {
  return `
    const decodeClock = ${decodeClock.toString()};
    const BLOCKS = ${BLOCKS}, ROWS = ${BLOCK_ROWS}, ROW_FRACTION = ${ROW_FRACTION}, CELL = ${cell};
    const clockCanvas = document.createElement('canvas');
    clockCanvas.width = BLOCKS * CELL;
    clockCanvas.height = ROWS * CELL;
    const clockCtx = clockCanvas.getContext('2d', { willReadFrequently: true });
    const readClock = (video) => {
      const w = video.videoWidth, h = video.videoHeight;
      if (!w || !h) return null;
      clockCtx.drawImage(video, 0, 0, w, Math.floor(h * ROW_FRACTION) * ROWS, 0, 0, clockCanvas.width, clockCanvas.height);
      const px = clockCtx.getImageData(0, 0, clockCanvas.width, clockCanvas.height).data;
      const rows = [];
      for (let r = 0; r < ROWS; r++) {
        const bits = [];
        for (let i = 0; i < BLOCKS; i++) {
          let sum = 0;
          for (let dy = 2; dy < CELL - 2; dy++)
            for (let dx = 2; dx < CELL - 2; dx++) sum += px[((r * CELL + dy) * clockCanvas.width + i * CELL + dx) * 4];
          bits.push(sum / ((CELL - 4) * (CELL - 4)) > 128 ? 1 : 0);
        }
        rows.push(bits);
      }
      return decodeClock(rows);
    };`;
}
