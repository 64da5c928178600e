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
  /** The input's media clock (its latest video timestamp, ms), where the protocol carries it (RTMP). */
  mediaMs(): number | null;
  fps(): number | null;
  /** The publisher's keyframe interval as measured now, ms (null: unknown, or not read for this protocol). */
  keyframeIntervalMs(): number | null;
  /**
   * The input's media time at which the byte stream of the last `open()` starts, ms (null where
   * the protocol's timestamps are not read). With `mediaMs` it places the transcoder's output on
   * the input's clock: how far behind what has arrived the published parts are.
   */
  openedAtMediaMs(): number | null;
  /** Drops the broadcaster (stream disabled or completed, a limit passed). */
  kick(reason: string): void;
  /** Called once, when the broadcaster is gone for whatever reason. */
  onEnd(cb: (why: string) => void): void;
}
