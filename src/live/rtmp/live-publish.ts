// One accepted publish: what the publisher sends (codecs, size, rate), its FLV readers and its
// statistics. The session (rtmp-session.ts) feeds it messages; the lead's live node consumes it.
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.ts';
import { type AmfObject, encodeAmf0 } from './amf0.ts';
import { FlvFeed, type FlvPrelude, type FlvTagIn, TAG } from './flv-writer.ts';
import {
  audioCodecName,
  parseAacConfig,
  parseAvcConfig,
  videoCodecName,
  videoFourccName,
} from './media-info.ts';
import type {
  LiveMediaInfo,
  LivePublish,
  PublishAttempt,
  PublishEndReason,
  PublishStats,
  RtmpLimits,
} from './types.ts';

/** Keeps this much history for the rates in stats(). */
const WINDOW_MS = 5_000;
const MAX_METADATA_BYTES = 64 * 1024;

export interface PublishHost {
  /** Bytes read from the connection so far. */
  bytesIn(): number;
  /** Ends the connection from our side (the session sends the status). */
  kick(reason: string): void;
}

function finiteNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

/** The most of the last GOPs kept for new readers (about 10 s at 6 Mbps). */
const GOP_CACHE_BYTES = 8 * 1024 * 1024;

export class RtmpPublish extends EventEmitter implements LivePublish {
  readonly ready: Promise<LiveMediaInfo>;
  private resolveReady!: (info: LiveMediaInfo) => void;
  private rejectReady!: (err: Error) => void;
  private readySettled = false;
  private readyTimer: NodeJS.Timeout | null;
  private ended = false;

  private metadata: AmfObject | null = null;
  private metadataBody: Buffer | null = null;
  private videoCodec: string | null = null;
  private audioCodec: string | null = null;
  private videoCodecString: string | null = null;
  private audioCodecString: string | null = null;
  private width: number | null = null;
  private height: number | null = null;
  private videoConfigured = false;
  private audioConfigured = false;
  private videoSequenceHeader: Buffer | null = null;
  private audioSequenceHeader: Buffer | null = null;
  private firstVideoTs: number | null = null;
  private lastVideoTs = 0;
  private firstAudioTs: number | null = null;
  private lastAudioTs = 0;
  private videoFrames = 0;

  private feed: FlvFeed | null = null;
  /**
   * The last two GOPs' tags, so a reader opened now starts at once from a keyframe instead of
   * waiting up to a keyframe interval for the next one: the first seconds of a broadcast (the
   * node waits for the second keyframe to learn the interval before it plans the ladder), and
   * of each return within the reconnect window, are not lost. Bounded: past GOP_CACHE_BYTES
   * the oldest GOP goes, and a single GOP larger than that is not kept.
   */
  private gops: FlvTagIn[][] = [];
  private gopBytes = 0;
  private readonly frameTimes: number[] = [];
  private readonly keyframeTimes: number[] = [];
  /** [wall-clock second, payload bytes] buckets for the bitrate. */
  private readonly byteBuckets: [number, number][] = [];
  private readonly startedAt: number;

  readonly attempt: PublishAttempt;
  private readonly host: PublishHost;
  private readonly limits: RtmpLimits;
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(
    attempt: PublishAttempt,
    host: PublishHost,
    limits: RtmpLimits,
    log: Logger,
    now: () => number = Date.now,
  ) {
    super();
    this.attempt = attempt;
    this.host = host;
    this.limits = limits;
    this.log = log;
    this.now = now;
    this.startedAt = now();
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A caller that never awaits ready must not turn its rejection into a process crash.
    this.ready.catch(() => {});
    this.readyTimer = setTimeout(() => {
      this.failReady(
        `The encoder sent no usable audio or video configuration within ${limits.readyTimeoutMs / 1000} s.`,
      );
    }, limits.readyTimeoutMs);
  }

  /** Where the media clock of the reader opened last starts (its first tag's timestamp), ms. */
  feedStartMs(): number | null {
    return this.feed?.startTimestamp ?? null;
  }

  openFlv(opts: { fromLastKeyframe?: boolean } = {}): Readable {
    this.feed?.abort();
    this.feed = null;
    if (this.ended) return Readable.from([]);
    const feed = new FlvFeed(() => this.prelude(), this.limits.flvBufferBytes);
    this.feed = feed;
    if (opts.fromLastKeyframe)
      for (const gop of this.gops) for (const tag of gop) feed.offer(tag, this.audioOnly());
    return feed.readable;
  }

  private keepInGop(tag: FlvTagIn): void {
    if (tag.sequenceHeader) return; // the prelude carries them
    if (tag.keyframe) {
      this.gops.push([]);
      while (this.gops.length > 2) this.dropOldestGop();
    }
    const current = this.gops.at(-1);
    if (!current) return; // no keyframe yet to start from
    current.push(tag);
    this.gopBytes += tag.data.length;
    while (this.gopBytes > GOP_CACHE_BYTES && this.gops.length > 0) this.dropOldestGop();
  }

  private dropOldestGop(): void {
    const gone = this.gops.shift() ?? [];
    for (const t of gone) this.gopBytes -= t.data.length;
  }

  stats(): PublishStats {
    const now = this.now();
    const second = Math.floor(now / 1000);
    let bytes = 0;
    for (const [s, n] of this.byteBuckets) if (s > second - WINDOW_MS / 1000) bytes += n;
    const span = Math.min(WINDOW_MS, Math.max(1000, now - this.startedAt));
    return {
      bytesIn: this.host.bytesIn(),
      bitrateBps: Math.round((bytes * 8 * 1000) / span),
      keyframeIntervalMs: this.keyframeInterval(),
      fps: this.measuredFps() ?? this.metadataFps(),
      lastVideoMs: this.firstVideoTs === null ? null : this.lastVideoTs,
    };
  }

  close(reason = 'closed by the server'): void {
    if (this.ended) return;
    this.host.kick(reason);
  }

  /** @internal from the session: @setDataFrame / onMetaData. */
  handleMetadata(meta: AmfObject, encodedSize: number): void {
    if (encodedSize > MAX_METADATA_BYTES) return; // kept for replay to every reader: keep it small
    this.metadata = meta;
    this.metadataBody = encodeAmf0('onMetaData', meta);
    this.checkReady();
  }

  /** @internal from the session: one audio (8) or video (9) message. */
  handleMedia(type: 8 | 9, timestamp: number, payload: Buffer): void {
    if (this.ended || payload.length === 0) return;
    this.countBytes(payload.length);
    let keyframe = false;
    let sequenceHeader = false;
    if (type === TAG.video) {
      const b0 = payload[0] as number;
      const frameType = (b0 >> 4) & 0x07;
      if (frameType === 5) return; // video info/command frame: no picture
      if (b0 & 0x80) {
        // Enhanced RTMP: a FourCC instead of a codec id; packet type 0 is the sequence start.
        this.videoCodec ??=
          payload.length >= 5 ? videoFourccName(payload.toString('latin1', 1, 5)) : 'video fourcc ?';
        sequenceHeader = (b0 & 0x0f) === 0;
        this.videoConfigured = true;
      } else {
        const codecId = b0 & 0x0f;
        this.videoCodec ??= videoCodecName(codecId);
        if (codecId === 7 || codecId === 12) {
          sequenceHeader = payload[1] === 0;
          if (codecId === 7 && sequenceHeader) this.configureAvc(payload.subarray(5));
          if (codecId === 12) this.videoConfigured = true;
        } else this.videoConfigured = true;
      }
      keyframe = frameType === 1 && !sequenceHeader;
      if (sequenceHeader) this.videoSequenceHeader = payload;
      else this.countFrame(timestamp, keyframe);
    } else {
      const format = (payload[0] as number) >> 4;
      this.audioCodec ??= audioCodecName(format);
      if (format === 10) {
        sequenceHeader = payload[1] === 0;
        if (sequenceHeader) {
          this.audioSequenceHeader = payload;
          this.configureAac(payload.subarray(2));
        }
      } else this.audioConfigured = true;
      if (!sequenceHeader) {
        this.firstAudioTs ??= timestamp;
        this.lastAudioTs = timestamp;
      }
    }
    const tag: FlvTagIn = { type, timestamp, data: payload, keyframe, sequenceHeader };
    this.keepInGop(tag);
    this.feed?.offer(tag, this.audioOnly());
    if (!this.readySettled) this.checkReady();
  }

  /** @internal from the session, once. */
  end(reason: PublishEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.failReady('The publish ended before its audio and video configuration arrived.');
    this.feed?.finish();
    this.feed = null;
    this.emit('end', reason);
  }

  private configureAvc(record: Buffer): void {
    try {
      const config = parseAvcConfig(record);
      this.videoCodecString = config.codecString;
      this.width = config.width;
      this.height = config.height;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'rtmp: unreadable AVC configuration');
    }
    this.videoConfigured = true;
  }

  private configureAac(asc: Buffer): void {
    try {
      this.audioCodecString = parseAacConfig(asc).codecString;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'rtmp: unreadable AAC configuration');
    }
    this.audioConfigured = true;
  }

  private countBytes(n: number): void {
    const second = Math.floor(this.now() / 1000);
    const last = this.byteBuckets.at(-1);
    if (last && last[0] === second) last[1] += n;
    else {
      this.byteBuckets.push([second, n]);
      while (this.byteBuckets.length > WINDOW_MS / 1000 + 1) this.byteBuckets.shift();
    }
  }

  private countFrame(timestamp: number, keyframe: boolean): void {
    this.videoFrames += 1;
    this.firstVideoTs ??= timestamp;
    this.lastVideoTs = timestamp;
    this.frameTimes.push(timestamp);
    while (this.frameTimes.length > 2 && timestamp - (this.frameTimes[0] as number) > WINDOW_MS)
      this.frameTimes.shift();
    if (this.frameTimes.length > 1000) this.frameTimes.shift();
    if (keyframe) {
      this.keyframeTimes.push(timestamp);
      if (this.keyframeTimes.length > 6) this.keyframeTimes.shift();
    }
  }

  private measuredFps(): number | null {
    const n = this.frameTimes.length;
    if (n < 2) return null;
    const span = (this.frameTimes[n - 1] as number) - (this.frameTimes[0] as number);
    if (span <= 0) return null;
    return Math.round(((n - 1) * 1000 * 100) / span) / 100;
  }

  private metadataFps(): number | null {
    return finiteNumber(this.metadata?.framerate) ?? finiteNumber(this.metadata?.videoframerate);
  }

  private keyframeInterval(): number | null {
    const k = this.keyframeTimes;
    if (k.length < 2) return null;
    return Math.round(((k[k.length - 1] as number) - (k[0] as number)) / (k.length - 1));
  }

  private audioOnly(): boolean {
    if (this.videoCodec) return false;
    if (this.metadata && this.metadata.videocodecid === undefined && this.metadata.width === undefined)
      return true;
    return this.firstAudioTs !== null && this.lastAudioTs - this.firstAudioTs > 2000;
  }

  private prelude(): FlvPrelude {
    const meta = this.metadata;
    return {
      hasAudio: this.audioCodec !== null || meta?.audiocodecid !== undefined,
      hasVideo: this.videoCodec !== null || meta?.videocodecid !== undefined,
      metadata: this.metadataBody,
      videoSequenceHeader: this.videoSequenceHeader,
      audioSequenceHeader: this.audioSequenceHeader,
    };
  }

  private checkReady(): void {
    if (this.readySettled) return;
    const meta = this.metadata;
    const videoSpan = this.firstVideoTs === null ? 0 : this.lastVideoTs - this.firstVideoTs;
    const videoOk = this.videoConfigured || this.audioOnly();
    // Audio is waited for while metadata announces it, or for the first second of video.
    const audioOk =
      this.audioConfigured ||
      (meta !== null && meta.audiocodecid === undefined && this.videoConfigured) ||
      (meta === null && this.videoConfigured && videoSpan >= 1000);
    // fps: metadata, or measured over ten frames (or two seconds of them).
    const fpsOk =
      !this.videoCodec || this.metadataFps() !== null || this.videoFrames >= 10 || videoSpan >= 2000;
    if (!(videoOk && audioOk && fpsOk)) return;
    if (!this.videoCodec && !this.audioCodec) return;
    this.readySettled = true;
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
    this.resolveReady(this.mediaInfo());
  }

  private mediaInfo(): LiveMediaInfo {
    const meta = this.metadata;
    const encoder = typeof meta?.encoder === 'string' ? meta.encoder.slice(0, 200) : null;
    const hasVideo = this.videoCodec !== null;
    return {
      videoCodec: this.videoCodec,
      audioCodec: this.audioCodec,
      width: hasVideo ? (this.width ?? finiteNumber(meta?.width)) : null,
      height: hasVideo ? (this.height ?? finiteNumber(meta?.height)) : null,
      fps: hasVideo ? (this.metadataFps() ?? this.measuredFps()) : null,
      videoCodecString: this.videoCodecString,
      audioCodecString: this.audioCodecString,
      encoder,
    };
  }

  private failReady(message: string): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = null;
    if (this.readySettled) return;
    this.readySettled = true;
    this.rejectReady(new AppError('FH_ERR_LIVE_NO_MEDIA', message));
  }
}
