// The RTMP chunk stream (spec section 5.3): messages are cut into chunks of at most `chunkSize`
// payload bytes, chunks of different chunk streams (csid) interleave, and headers are
// compressed against the previous chunk of the same csid.
//
// The reader is a byte-at-a-time-safe state machine: it keeps at most one header's worth of
// bytes between pushes and appends payload slices as they come, so a message split over many
// TCP reads costs no re-copying, and any split of the input gives the same messages.
// Everything a peer controls is bounded: message length, the bytes buffered across all
// unfinished messages, and the number of chunk streams.

export interface RtmpMessage {
  csid: number;
  type: number;
  streamId: number;
  /** Milliseconds, 32-bit (wraps as the protocol does). */
  timestamp: number;
  payload: Buffer;
}

export class RtmpProtocolError extends Error {
  override name = 'RtmpProtocolError';
}

export const MSG = {
  setChunkSize: 1,
  abort: 2,
  acknowledgement: 3,
  userControl: 4,
  windowAckSize: 5,
  setPeerBandwidth: 6,
  audio: 8,
  video: 9,
  dataAmf3: 15,
  commandAmf3: 17,
  dataAmf0: 18,
  commandAmf0: 20,
} as const;

/** Chunk sizes above this are all equivalent (no message is larger), so larger ones are clamped (spec 5.4.1). */
const MAX_CHUNK_SIZE = 0xffffff;
const HEADER_SIZES = [11, 7, 3, 0] as const;

interface ChunkStreamState {
  csid: number;
  timestamp: number;
  /** The last timestamp field (absolute for type 0, delta otherwise), reapplied by type-3 new messages. */
  timestampField: number;
  extended: boolean;
  length: number;
  type: number;
  streamId: number;
  parts: Buffer[];
  received: number;
  inMessage: boolean;
}

export interface ChunkReaderOptions {
  maxMessageBytes: number;
  /** Bytes held across all unfinished messages (default 2 × maxMessageBytes). */
  maxBufferedBytes?: number;
  /** Distinct chunk stream ids a peer may use (default 64; publishers use 3 to 6). */
  maxChunkStreams?: number;
  onMessage(message: RtmpMessage): void;
}

export class ChunkReader {
  chunkSize = 128;
  /** Total bytes pushed, for acknowledgements. */
  bytesIn = 0;
  private readonly streams = new Map<number, ChunkStreamState>();
  private leftover: Buffer | null = null;
  /** The chunk whose payload is being read: its csid and the payload bytes still to come. */
  private current: { state: ChunkStreamState; remaining: number } | null = null;
  private buffered = 0;
  private readonly maxBuffered: number;
  private readonly maxStreams: number;
  private failed = false;

  private readonly opts: ChunkReaderOptions;

  constructor(opts: ChunkReaderOptions) {
    this.opts = opts;
    this.maxBuffered = opts.maxBufferedBytes ?? opts.maxMessageBytes * 2;
    this.maxStreams = opts.maxChunkStreams ?? 64;
  }

  /** Feeds bytes; emits complete messages through onMessage. Throws RtmpProtocolError, after which the reader is dead. */
  push(input: Buffer): void {
    if (this.failed) throw new RtmpProtocolError('the chunk stream already failed');
    this.bytesIn += input.length;
    let buf = input;
    if (this.leftover) {
      buf = Buffer.concat([this.leftover, input]);
      this.leftover = null;
    }
    try {
      let pos = 0;
      while (pos < buf.length) {
        if (this.current) {
          const take = Math.min(this.current.remaining, buf.length - pos);
          this.appendPayload(this.current.state, buf.subarray(pos, pos + take));
          pos += take;
          this.current.remaining -= take;
          if (this.current.remaining === 0) {
            const { state } = this.current;
            this.current = null;
            if (state.received === state.length) this.finish(state);
          }
          continue;
        }
        const used = this.readHeader(buf, pos);
        if (used === 0) {
          // Not a whole header yet: keep the few bytes (at most 18) for the next push.
          this.leftover = Buffer.from(buf.subarray(pos));
          return;
        }
        pos += used;
      }
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }

  /** Parses one chunk header at `pos`; returns the bytes it used, 0 if more are needed. */
  private readHeader(buf: Buffer, pos: number): number {
    const available = buf.length - pos;
    const b0 = buf[pos] as number;
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    let used = 1;
    if (csid === 0) {
      if (available < 2) return 0;
      csid = 64 + (buf[pos + 1] as number);
      used = 2;
    } else if (csid === 1) {
      if (available < 3) return 0;
      csid = 64 + (buf[pos + 1] as number) + (buf[pos + 2] as number) * 256;
      used = 3;
    }
    const headerSize = HEADER_SIZES[fmt as 0 | 1 | 2 | 3];
    if (available < used + headerSize) return 0;
    let state = this.streams.get(csid);
    if (!state) {
      if (fmt !== 0) throw new RtmpProtocolError(`chunk stream ${csid} starts without a full header`);
      if (this.streams.size >= this.maxStreams) throw new RtmpProtocolError('too many chunk streams');
      state = {
        csid,
        timestamp: 0,
        timestampField: 0,
        extended: false,
        length: 0,
        type: 0,
        streamId: 0,
        parts: [],
        received: 0,
        inMessage: false,
      };
      this.streams.set(csid, state);
    }
    const h = pos + used;
    let field = 0;
    let length = state.length;
    let type = state.type;
    let streamId = state.streamId;
    if (fmt <= 2) field = buf.readUIntBE(h, 3);
    if (fmt <= 1) {
      length = buf.readUIntBE(h + 3, 3);
      type = buf[h + 6] as number;
    }
    if (fmt === 0) streamId = buf.readUInt32LE(h + 7);
    used += headerSize;
    // Type 3 chunks repeat the extended timestamp when the header they continue had one
    // (what ffmpeg, librtmp and OBS write).
    const extended = fmt <= 2 ? field === 0xffffff : state.extended;
    if (extended) {
      if (available < used + 4) return 0;
      field = buf.readUInt32BE(pos + used);
      used += 4;
    }
    // Only now, with the whole header in hand, does the state change.
    if (fmt === 3) {
      if (!state.inMessage) {
        state.timestamp = (state.timestamp + state.timestampField) >>> 0;
        this.startMessage(state);
      }
    } else {
      if (state.inMessage)
        throw new RtmpProtocolError(`chunk stream ${csid} starts a message before finishing one`);
      state.extended = extended;
      state.timestampField = field;
      state.timestamp = fmt === 0 ? field : (state.timestamp + field) >>> 0;
      state.length = length;
      state.type = type;
      state.streamId = streamId;
      this.startMessage(state);
    }
    const csidRemaining = state.length - state.received;
    const chunkPayload = Math.min(this.chunkSize, csidRemaining);
    if (chunkPayload === 0) this.finish(state);
    else this.current = { state, remaining: chunkPayload };
    return used;
  }

  private startMessage(state: ChunkStreamState): void {
    if (state.length > this.opts.maxMessageBytes) {
      throw new RtmpProtocolError(
        `message of ${state.length} bytes is over the ${this.opts.maxMessageBytes} limit`,
      );
    }
    state.inMessage = true;
    state.parts = [];
    state.received = 0;
  }

  private appendPayload(state: ChunkStreamState, slice: Buffer): void {
    this.buffered += slice.length;
    if (this.buffered > this.maxBuffered)
      throw new RtmpProtocolError('too many bytes in unfinished messages');
    state.parts.push(slice);
    state.received += slice.length;
  }

  private finish(state: ChunkStreamState): void {
    // Always a copy: the slices point into socket buffers that would otherwise stay alive.
    const payload = Buffer.concat(state.parts, state.received);
    this.buffered -= state.received;
    state.parts = [];
    state.received = 0;
    state.inMessage = false;
    const message: RtmpMessage = {
      csid: state.csid,
      type: state.type,
      streamId: state.streamId,
      timestamp: state.timestamp,
      payload,
    };
    // The two control messages that change how the following bytes are read act at once.
    if (state.type === MSG.setChunkSize) {
      if (payload.length < 4) throw new RtmpProtocolError('Set Chunk Size is too short');
      const size = payload.readUInt32BE(0) & 0x7fffffff;
      if (size === 0) throw new RtmpProtocolError('Set Chunk Size of 0');
      this.chunkSize = Math.min(size, MAX_CHUNK_SIZE);
    } else if (state.type === MSG.abort) {
      if (payload.length < 4) throw new RtmpProtocolError('Abort is too short');
      const aborted = this.streams.get(payload.readUInt32BE(0));
      if (aborted?.inMessage) {
        this.buffered -= aborted.received;
        aborted.parts = [];
        aborted.received = 0;
        aborted.inMessage = false;
      }
    }
    this.opts.onMessage(message);
  }
}

/** Cuts one message into chunks (full header first, type-3 continuations). csid must be 2–63. */
export function writeChunks(message: RtmpMessage, chunkSize: number): Buffer {
  const { csid, type, streamId, payload } = message;
  const timestamp = message.timestamp >>> 0;
  const extended = timestamp >= 0xffffff;
  const header = Buffer.alloc(12 + (extended ? 4 : 0));
  header[0] = csid & 0x3f;
  header.writeUIntBE(extended ? 0xffffff : timestamp, 1, 3);
  header.writeUIntBE(payload.length, 4, 3);
  header[7] = type;
  header.writeUInt32LE(streamId, 8);
  if (extended) header.writeUInt32BE(timestamp, 12);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < payload.length; pos += chunkSize) {
    if (pos > 0) {
      const cont = Buffer.alloc(1 + (extended ? 4 : 0));
      cont[0] = 0xc0 | (csid & 0x3f);
      if (extended) cont.writeUInt32BE(timestamp, 1);
      parts.push(cont);
    }
    parts.push(payload.subarray(pos, pos + chunkSize));
  }
  return Buffer.concat(parts);
}
