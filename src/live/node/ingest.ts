import type { Readable } from 'node:stream';
import type { LiveSource } from '../transcode/live-ladder.ts';

/**
 * A broadcaster's input as the rest of the live node sees it, whichever protocol brought it
 * (our RTMP receiver, or ffmpeg's SRT listener): what it carries, a byte stream for the
 * transcoder (again, when the ladder is rebuilt), its rate, and a way to drop it.
 */
export interface LiveIngest {
  readonly protocol: 'rtmp' | 'rtmps' | 'srt';
  readonly source: LiveSource;
  /** The container of `open()`'s bytes: FLV from RTMP, MPEG-TS from SRT. */
  readonly format: 'flv' | 'mpegts';
  /**
   * A fresh byte stream for a (re)started transcoder; the previous one ends. `fromLastKeyframe`:
   * begin with the current GOP where the protocol keeps it (RTMP), so nothing is lost at the
   * start of a broadcast; a transcoder replacing another starts at the next keyframe instead.
   */
  open(opts?: { fromLastKeyframe?: boolean }): Readable;
  /** Bits per second over the last few seconds, as received. */
  bitrateBps(): number;
  fps(): number | null;
  /** Drops the broadcaster (stream disabled or completed, a limit passed). */
  kick(reason: string): void;
  /** Called once, when the broadcaster is gone for whatever reason. */
  onEnd(cb: (why: string) => void): void;
}
