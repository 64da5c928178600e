// FLV out of the RTMP messages: what ffmpeg reads on its stdin (`-f flv -i pipe:0`).
//
// Each reader (FlvFeed) starts clean: FLV header, onMetaData and the current sequence headers,
// then tags from the next video keyframe, so a decoder can start from its first byte. A reader
// that stalls must not make the publisher's memory grow: past a byte bound its unsent tags are
// dropped (whole tags only, so the FLV stays well formed) and it resumes at the next keyframe.
import { Readable } from 'node:stream';

export const TAG = { audio: 8, video: 9, script: 18 } as const;
export type TagType = (typeof TAG)[keyof typeof TAG];

export function flvHeader(hasAudio: boolean, hasVideo: boolean): Buffer {
  const b = Buffer.alloc(13); // 9-byte header + PreviousTagSize0
  b.write('FLV', 0, 'ascii');
  b[3] = 1;
  b[4] = (hasAudio ? 4 : 0) | (hasVideo ? 1 : 0);
  b.writeUInt32BE(9, 5);
  return b;
}

/** One tag with its trailing PreviousTagSize. Timestamps are 32-bit: 24 bits plus an extension byte. */
export function flvTag(type: TagType, timestamp: number, data: Buffer): Buffer {
  const ts = timestamp >>> 0;
  const b = Buffer.alloc(11 + data.length + 4);
  b[0] = type;
  b.writeUIntBE(data.length, 1, 3);
  b.writeUIntBE(ts & 0xffffff, 4, 3);
  b[7] = ts >>> 24;
  // Stream id (3 bytes) stays 0.
  data.copy(b, 11);
  b.writeUInt32BE(11 + data.length, 11 + data.length);
  return b;
}

export interface FlvTagIn {
  type: TagType;
  timestamp: number;
  data: Buffer;
  /** A video keyframe (not a sequence header): where a reader can start or resume. */
  keyframe: boolean;
  sequenceHeader: boolean;
}

export interface FlvPrelude {
  hasAudio: boolean;
  hasVideo: boolean;
  /** onMetaData body (AMF0 "onMetaData" + object), or null. */
  metadata: Buffer | null;
  videoSequenceHeader: Buffer | null;
  audioSequenceHeader: Buffer | null;
}

export interface FlvFeedStats {
  tagsOut: number;
  tagsDropped: number;
  drops: number;
}

export class FlvFeed {
  readonly readable: Readable;
  readonly stats: FlvFeedStats = { tagsOut: 0, tagsDropped: 0, drops: 0 };
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private started = false;
  private waitingForKeyframe = true;
  private finished = false;
  private closed = false;
  /** The reader asked for more (Readable's _read) and has not said stop (push() false) since. */
  private wanted = false;
  private deliveredAny = false;
  /** The publisher's timestamp of the first tag this reader got (where its media clock starts), ms. */
  startTimestamp: number | null = null;
  private sentVideoSequenceHeader: Buffer | null = null;
  private sentAudioSequenceHeader: Buffer | null = null;

  private readonly prelude: () => FlvPrelude;
  private readonly maxBufferBytes: number;

  constructor(prelude: () => FlvPrelude, maxBufferBytes: number) {
    this.prelude = prelude;
    this.maxBufferBytes = maxBufferBytes;
    this.readable = new Readable({
      highWaterMark: 256 * 1024,
      read: () => {
        this.wanted = true;
        this.drain();
      },
    });
    this.readable.on('close', () => {
      this.closed = true;
      this.queue = [];
      this.queuedBytes = 0;
    });
  }

  /** Bytes held for this reader beyond what the Readable buffers. */
  get queuedByteCount(): number {
    return this.queuedBytes;
  }

  /** Offers one tag from the publisher. `audioOnly`: no video in this stream, any audio tag is a start point. */
  offer(tag: FlvTagIn, audioOnly: boolean): void {
    if (this.finished || this.closed) return;
    if (this.waitingForKeyframe) {
      const startPoint = tag.keyframe || (audioOnly && tag.type === TAG.audio && !tag.sequenceHeader);
      if (!startPoint) return; // sequence headers and metadata come from the prelude instead
      this.waitingForKeyframe = false;
      this.startTimestamp ??= tag.timestamp;
      this.enqueue(this.startTags(tag.timestamp));
    } else if (tag.sequenceHeader) {
      if (tag.type === TAG.video) this.sentVideoSequenceHeader = tag.data;
      if (tag.type === TAG.audio) this.sentAudioSequenceHeader = tag.data;
    }
    this.enqueue([flvTag(tag.type, tag.timestamp, tag.data)]);
    if (this.queuedBytes > this.maxBufferBytes) {
      // The reader is not keeping up: drop what it has not been given and wait for a keyframe.
      this.stats.tagsDropped += this.queue.length;
      this.stats.drops += 1;
      this.queue = [];
      this.queuedBytes = 0;
      this.waitingForKeyframe = true;
      // What was dropped may have held the FLV header or a new sequence header: the resume sends them again.
      if (!this.deliveredAny) this.started = false;
      this.sentVideoSequenceHeader = null;
      this.sentAudioSequenceHeader = null;
    }
    this.drain();
  }

  /** The publish ended: the reader gets what is queued, then the end of the stream. */
  finish(): void {
    this.finished = true;
    this.drain();
  }

  /** Ends the stream now, dropping what is queued (a newer reader replaces this one). */
  abort(): void {
    this.finished = true;
    this.queue = [];
    this.queuedBytes = 0;
    if (!this.closed) this.readable.push(null);
    this.closed = true;
  }

  private startTags(timestamp: number): Buffer[] {
    const p = this.prelude();
    const out: Buffer[] = [];
    if (!this.started) {
      out.push(flvHeader(p.hasAudio, p.hasVideo));
      // At 0: ffmpeg's FLV reader takes onMetaData at a later time for a data packet of its own.
      if (p.metadata) out.push(flvTag(TAG.script, 0, p.metadata));
      this.started = true;
    }
    // On a resume after a drop, the sequence headers come again (a repeat is harmless to a decoder).
    if (p.videoSequenceHeader && p.videoSequenceHeader !== this.sentVideoSequenceHeader) {
      out.push(flvTag(TAG.video, timestamp, p.videoSequenceHeader));
      this.sentVideoSequenceHeader = p.videoSequenceHeader;
    }
    if (p.audioSequenceHeader && p.audioSequenceHeader !== this.sentAudioSequenceHeader) {
      out.push(flvTag(TAG.audio, timestamp, p.audioSequenceHeader));
      this.sentAudioSequenceHeader = p.audioSequenceHeader;
    }
    return out;
  }

  private enqueue(buffers: Buffer[]): void {
    for (const b of buffers) {
      this.queue.push(b);
      this.queuedBytes += b.length;
    }
  }

  private drain(): void {
    if (this.closed) return;
    while (this.wanted && this.queue.length > 0) {
      const b = this.queue.shift() as Buffer;
      this.queuedBytes -= b.length;
      this.stats.tagsOut += 1;
      this.deliveredAny = true;
      if (!this.readable.push(b)) this.wanted = false;
    }
    if (this.finished && this.queue.length === 0) {
      this.closed = true;
      this.readable.push(null);
    }
  }
}
