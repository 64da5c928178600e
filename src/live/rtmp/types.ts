// The public face of the RTMP receiver (LIVE-DESIGN.md, "src/live/rtmp/").
import type { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';

export interface PublishAttempt {
  /** The application name from connect (the "live" of rtmp://host/live/KEY). */
  app: string;
  /** The stream name of the publish command, without any "?query" part. */
  streamKey: string;
  remoteAddress: string;
  secure: boolean;
}

/** reason: for our log only; the client always receives the same generic refusal. */
export type PublishVerdict = { accept: true } | { accept: false; reason: string };

export interface LiveMediaInfo {
  /** 'h264', or what it is ('hevc', 'vp6f', 'flv1', 'video codec 9') so a refusal can name it. null: no video. */
  videoCodec: string | null;
  /** 'aac', 'mp3', … or null when no audio. */
  audioCodec: string | null;
  /** From the SPS (metadata as fallback). */
  width: number | null;
  height: number | null;
  /** From metadata, else measured from timestamps. */
  fps: number | null;
  /** 'avc1.64001f' from the AVCDecoderConfigurationRecord. */
  videoCodecString: string | null;
  /** 'mp4a.40.2' from the AudioSpecificConfig. */
  audioCodecString: string | null;
  /** Metadata 'encoder' (OBS version, Lavf…). */
  encoder: string | null;
}

export type PublishEndReason = 'client-closed' | 'timeout' | 'kicked' | 'error';

export interface PublishStats {
  /** Bytes read from the connection since it opened (handshake and protocol included). */
  bytesIn: number;
  /** Audio + video payload bits per second over the last ~5 s. */
  bitrateBps: number;
  /** Mean interval between the last video keyframes (publisher timestamps), null before two. */
  keyframeIntervalMs: number | null;
  /** Video frames per second measured over the last ~5 s of timestamps, metadata before that. */
  fps: number | null;
  /** The publisher's timestamp of the latest video frame, ms (its media clock); null before one. */
  lastVideoMs: number | null;
}

export interface LivePublish extends EventEmitter {
  readonly attempt: PublishAttempt;
  /** Resolves once the sequence headers (and so codecs, size) are known; rejects if none within a time limit. */
  readonly ready: Promise<LiveMediaInfo>;
  /**
   * A fresh FLV byte stream; a second call ends the previous one. See flv-writer.ts.
   * `fromLastKeyframe`: start with the current GOP (kept by the publish) rather than wait for
   * the next keyframe: for a transcoder starting a broadcast, not for one replacing another.
   */
  openFlv(opts?: { fromLastKeyframe?: boolean }): Readable;
  /** Where the media clock of the reader opened last starts (its first tag's timestamp), ms. */
  feedStartMs(): number | null;
  stats(): PublishStats;
  /** Server-side end (stream disabled, completed, limit): sends a status, closes the socket. */
  close(reason?: string): void;
  // 'end' (reason: PublishEndReason), emitted once.
}

export interface RtmpLimits {
  /** C0+C1 and C2 must arrive within this from the connection (default 5000). RTMPS: the TLS handshake too. */
  handshakeTimeoutMs: number;
  /** The publish command must arrive within this from the connection (default 15000). */
  publishTimeoutMs: number;
  /** authorize() must answer within this, or the publish is refused (default 10000). */
  authorizeTimeoutMs: number;
  /** While publishing: the longest time without a complete audio or video message (default 10000). */
  idleTimeoutMs: number;
  /** ready rejects when codecs are not known within this from the publish (default 10000). */
  readyTimeoutMs: number;
  /** One RTMP message (a video frame) at most (default 8 MiB). */
  maxMessageBytes: number;
  /** Open connections on this server, publishing or not (default 256). */
  maxConnections: number;
  /** Bytes an openFlv() reader may fall behind before it loses frames up to the next keyframe (default 8 MiB). */
  flvBufferBytes: number;
}

export const DEFAULT_RTMP_LIMITS: RtmpLimits = {
  handshakeTimeoutMs: 5_000,
  publishTimeoutMs: 15_000,
  authorizeTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  readyTimeoutMs: 10_000,
  maxMessageBytes: 8 * 1024 * 1024,
  maxConnections: 256,
  flvBufferBytes: 8 * 1024 * 1024,
};
