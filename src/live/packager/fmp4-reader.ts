/**
 * Reading the fragmented MP4 a live transcoder writes to a pipe, box by box, as it arrives:
 * `ftyp`+`moov` become the init segment, then each `[prft] moof mdat` becomes one fragment with
 * the timing the packager needs. Boxes may be split across chunks at any byte. Memory is bounded:
 * one box at a time, no larger than `maxBoxBytes`; anything malformed ends the stream with an
 * FH_ERR_LIVE_MEDIA_INVALID error (never a crash, never a buffer that grows without end).
 */
import type { Readable } from 'node:stream';
import { AppError } from '../../shared/errors.ts';
import { ChunkQueue } from './chunk-queue.ts';
import { type Fmp4Track, type ParsedInit, parseInit, parseMoof } from './fmp4-parse.ts';

export type { Fmp4Track } from './fmp4-parse.ts';

export interface Fmp4Init {
  bytes: Buffer;
  tracks: Fmp4Track[];
}

export interface Fmp4Fragment {
  bytes: Buffer;
  startsWithKeyframe: boolean;
  /** Seconds, from the video track's tfdt (the first track when there is no video). */
  startTime: number;
  /** Seconds: the sum of the video track's sample durations. */
  duration: number;
  /** Milliseconds since the epoch, from the prft box before the moof (null without one). */
  wallClock: number | null;
}

export type Fmp4Item = { init: Fmp4Init } | { fragment: Fmp4Fragment };

/** Larger than any fragment a live rung writes (a 2 s GOP at 50 Mb/s is 12.5 MB). */
const DEFAULT_MAX_BOX_BYTES = 32 * 1024 * 1024;
/** Small boxes kept between fragments (prft, styp): more than this many in a row is not CMAF. */
const MAX_PREFIX_BOXES = 8;
const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

function invalid(message: string): AppError {
  return new AppError('FH_ERR_LIVE_MEDIA_INVALID', `Live fMP4: ${message}`);
}

export async function* readFmp4(
  stream: Readable | AsyncIterable<Buffer | string>,
  opts: { maxBoxBytes?: number } = {},
): AsyncGenerator<Fmp4Item> {
  const maxBoxBytes = opts.maxBoxBytes ?? DEFAULT_MAX_BOX_BYTES;
  const queue = new ChunkQueue();
  let initParts: Buffer[] = [];
  let init: ParsedInit | null = null;
  let prefix: Buffer[] = [];
  let wallClock: number | null = null;
  let moof: Buffer | null = null;

  for await (const chunk of stream) {
    queue.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    for (;;) {
      const header = readHeader(queue, maxBoxBytes);
      if (!header || queue.length < header.size) break;
      const box = queue.take(header.size);
      const { type } = header;

      if (type === 'ftyp') {
        // A new ftyp starts a new init segment (a restarted encoder on the same pipe).
        initParts = [box];
        init = null;
        prefix = [];
        moof = null;
      } else if (type === 'moov') {
        if (initParts.length === 0) throw invalid('moov before ftyp');
        const bytes = Buffer.concat([...initParts, box]);
        const parsed = guard('moov', () => parseInit(bytes));
        init = parsed;
        initParts = [];
        yield { init: { bytes, tracks: parsed.tracks } };
      } else if (type === 'prft' || type === 'styp') {
        if (prefix.length >= MAX_PREFIX_BOXES)
          throw invalid(`${MAX_PREFIX_BOXES} ${type} boxes without a moof`);
        if (type === 'prft') wallClock = guard('prft', () => prftWallClock(box));
        prefix.push(box);
      } else if (type === 'moof') {
        if (!init) throw invalid('moof before the init segment (ftyp + moov)');
        if (moof) throw invalid('two moof boxes without an mdat between them');
        moof = box;
      } else if (type === 'mdat') {
        if (!moof || !init) throw invalid('mdat without a moof before it');
        const m = moof;
        const parsed = init;
        const timing = guard('moof', () => parseMoof(m, parsed));
        const bytes = Buffer.concat([...prefix, m, box]);
        yield { fragment: { bytes, ...timing, wallClock } };
        prefix = [];
        wallClock = null;
        moof = null;
      } else if (init === null && initParts.length > 0) {
        // free/skip/uuid between ftyp and moov belong to the init segment; bounded by the box size.
        if (initParts.length >= MAX_PREFIX_BOXES) throw invalid('too many boxes before moov');
        initParts.push(box);
      }
      // Anything else (free, skip, sidx, mfra, emsg, udta) carries nothing the packager uses.
    }
  }
  if (queue.length > 0) throw invalid(`the stream ended inside a box (${queue.length} bytes left over)`);
  if (moof) throw invalid('the stream ended after a moof without its mdat');
}

/** The next box's type and size, once its header is in; throws on sizes no live stream has. */
function readHeader(queue: ChunkQueue, maxBoxBytes: number): { type: string; size: number } | null {
  if (queue.length < 8) return null;
  const head = queue.peek(8);
  let size = head.readUInt32BE(0);
  const type = head.toString('latin1', 4, 8);
  let headerLength = 8;
  if (!/^[\x20-\x7e]{4}$/.test(type))
    throw invalid(`a box type that is not text (0x${head.toString('hex', 4, 8)})`);
  if (size === 1) {
    if (queue.length < 16) return null;
    const large = queue.peek(16).readBigUInt64BE(8);
    if (large > BigInt(maxBoxBytes))
      throw invalid(`${type} box of ${large} bytes exceeds the ${maxBoxBytes} limit`);
    size = Number(large);
    headerLength = 16;
  } else if (size === 0) {
    throw invalid(`${type} box with size 0 ("to the end of the file") has no end in a live stream`);
  }
  if (size < headerLength) throw invalid(`${type} box size ${size} is smaller than its header`);
  if (size > maxBoxBytes) throw invalid(`${type} box of ${size} bytes exceeds the ${maxBoxBytes} limit`);
  return { type, size };
}

/** Runs a box parser; whatever it throws (a bad size, a read past the end) becomes a clear error. */
function guard<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw invalid(`malformed ${what}: ${(e as Error).message}`);
  }
}

/** prft: version+flags, reference track, NTP timestamp (64 bits: seconds since 1900, fraction). */
function prftWallClock(box: Buffer): number | null {
  if (box.length < 8 + 16) throw new Error('prft is too short');
  const seconds = box.readUInt32BE(16);
  const fraction = box.readUInt32BE(20);
  if (seconds === 0) return null;
  return (seconds - NTP_UNIX_OFFSET_SECONDS) * 1000 + Math.round((fraction / 2 ** 32) * 1000);
}
