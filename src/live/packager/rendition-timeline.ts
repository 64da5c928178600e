/**
 * One rendition's segments and parts: fragments become parts, a keyframe-led fragment starts a new
 * segment once the open one has reached about the segment target. It keeps the DVR window of
 * segment records and the bytes of only the newest few segments (older bytes live in the store).
 */
import type { Fmp4Fragment } from './fmp4-reader.ts';

export interface Part {
  /** Null once the segment's bytes left memory. */
  bytes: Buffer | null;
  duration: number;
  independent: boolean;
}

export interface Segment {
  msn: number;
  /** Seconds: the sum of its parts while open. */
  duration: number;
  /** Milliseconds since the epoch. */
  programDateTime: number;
  discontinuity: boolean;
  /** The discontinuity number of this segment (EXT-X-DISCONTINUITY-SEQUENCE + tags up to here). */
  cc: number;
  initId: number;
  parts: Part[];
  complete: boolean;
  /** The whole segment once complete, while in memory. */
  bytes: Buffer | null;
  /** Media time (s) after its last fragment; null for segments seeded from a recording. */
  mediaEnd: number | null;
}

export interface TimelineOptions {
  segmentTarget: number;
  dvrWindowSeconds: number;
  memorySegments: number;
}

/** A segment with no keyframe for this long is cut anyway: memory and playlists stay bounded. */
const MAX_SEGMENT_TARGETS = 4;
/** Timestamps that go back by more than this (s) mean the encoder restarted. */
const BACKWARD_JUMP = 0.1;

export class RenditionTimeline {
  readonly segments: Segment[] = [];
  readonly inits = new Map<number, Buffer>();
  currentInitId = -1;
  /** The next segment starts a discontinuity (encoder back, transcoder restarted). */
  pendingDiscontinuity = false;
  nextMsn: number;
  /** Discontinuity number for the next segment when no segment is left to count from. */
  #cc: number;
  #nextInitId = 0;
  readonly #opts: TimelineOptions;
  /** The longest complete segment and part seen (s): TARGETDURATION and PART-TARGET never shrink. */
  longestSegment = 0;
  longestPart = 0;
  /** Where the last keyframe-led fragment started and the GOP before it (s): predicts the next cut. */
  #lastKeyframe: number | null = null;
  #gop: number | null = null;

  constructor(opts: TimelineOptions, start: { nextMsn: number; cc: number; nextInitId?: number }) {
    this.#opts = opts;
    this.nextMsn = start.nextMsn;
    this.#cc = start.cc;
    this.#nextInitId = start.nextInitId ?? 0;
  }

  /** Segments recorded before a failover: listed, their bytes in the store only. */
  seed(
    recorded: {
      msn: number;
      duration: number;
      programDateTime: number;
      discontinuity: boolean;
      initId: number;
    }[],
  ) {
    let cc = this.#cc;
    for (const r of recorded) {
      if (r.discontinuity) cc++;
      this.segments.push({ ...r, cc, parts: [], complete: true, bytes: null, mediaEnd: null });
      this.longestSegment = Math.max(this.longestSegment, r.duration);
      this.#nextInitId = Math.max(this.#nextInitId, r.initId + 1);
    }
    this.#cc = cc;
    this.#trimWindow();
  }

  get open(): Segment | null {
    const last = this.segments.at(-1);
    return last && !last.complete ? last : null;
  }

  get lastSegment(): Segment | null {
    return this.segments.at(-1) ?? null;
  }

  /** The discontinuity number the newest segment has (a new rendition starts from it). */
  get currentCc(): number {
    return this.segments.at(-1)?.cc ?? this.#cc;
  }

  /** Takes an init segment; returns whether it is a new one (the caller marks a discontinuity). */
  addInit(bytes: Buffer): { id: number; changed: boolean } {
    const current = this.inits.get(this.currentInitId);
    if (current?.equals(bytes)) return { id: this.currentInitId, changed: false };
    const hadOne = this.currentInitId !== -1;
    this.currentInitId = this.#nextInitId++;
    this.inits.set(this.currentInitId, bytes);
    return { id: this.currentInitId, changed: hadOne };
  }

  /** Whether this fragment's timestamps break from the open segment's (the encoder restarted). */
  jumpsBack(fragment: Fmp4Fragment): boolean {
    const open = this.open;
    return open?.mediaEnd != null && fragment.startTime < open.mediaEnd - BACKWARD_JUMP;
  }

  /**
   * Adds a fragment as the next part; returns the segment it closed, if any. `programDateTime` is
   * the fragment's start on the capture clock (ms).
   */
  addFragment(fragment: Fmp4Fragment, programDateTime: number): Segment | null {
    if (this.currentInitId === -1) return null; // no init yet: nothing could play these bytes
    const open = this.open;
    const startNew =
      !open ||
      this.pendingDiscontinuity ||
      open.initId !== this.currentInitId ||
      (fragment.startsWithKeyframe && this.#longEnough(open)) ||
      this.#tooLong(open);
    if (fragment.startsWithKeyframe) {
      const gop = this.#lastKeyframe === null ? 0 : fragment.startTime - this.#lastKeyframe;
      if (gop > 0) this.#gop = gop;
      this.#lastKeyframe = fragment.startTime;
    }
    let closed: Segment | null = null;
    let segment = open;
    if (startNew || !segment) {
      closed = this.closeOpen();
      const discontinuity = this.pendingDiscontinuity && this.segments.length > 0;
      if (discontinuity) this.#cc = this.currentCc + 1;
      else this.#cc = this.currentCc;
      segment = {
        msn: this.nextMsn++,
        duration: 0,
        programDateTime,
        discontinuity,
        cc: this.#cc,
        initId: this.currentInitId,
        parts: [],
        complete: false,
        bytes: null,
        mediaEnd: null,
      };
      this.pendingDiscontinuity = false;
      this.segments.push(segment);
    }
    segment.parts.push({
      bytes: fragment.bytes,
      duration: fragment.duration,
      independent: fragment.startsWithKeyframe,
    });
    segment.duration += fragment.duration;
    segment.mediaEnd = fragment.startTime + fragment.duration;
    this.longestPart = Math.max(this.longestPart, fragment.duration);
    return closed;
  }

  /** Completes the open segment (its bytes: the parts end to end); returns it. */
  closeOpen(): Segment | null {
    const open = this.open;
    if (!open) return null;
    open.complete = true;
    const bytes = Buffer.concat(open.parts.map((p) => p.bytes as Buffer));
    // The parts become views of the segment: the bytes are held once.
    let at = 0;
    for (const part of open.parts) {
      const length = (part.bytes as Buffer).length;
      part.bytes = bytes.subarray(at, at + length);
      at += length;
    }
    open.bytes = bytes;
    this.longestSegment = Math.max(this.longestSegment, open.duration);
    this.#trimMemory();
    this.#trimWindow();
    return open;
  }

  find(msn: number): Segment | undefined {
    const first = this.segments[0];
    if (!first) return undefined;
    const segment = this.segments[msn - first.msn];
    return segment?.msn === msn ? segment : undefined;
  }

  /** The highest media sequence number listed (the open segment's), or nextMsn - 1 when empty. */
  get lastMsn(): number {
    return this.segments.at(-1)?.msn ?? this.nextMsn - 1;
  }

  get lastCompleteMsn(): number {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i] as Segment;
      if (s.complete) return s.msn;
    }
    return this.nextMsn - 1 - (this.open ? 1 : 0);
  }

  /**
   * Whether part `part` of segment `msn` (the whole segment when part is undefined) is listed,
   * or something after it is. A part index past a complete segment's last part means part 0 of
   * the next segment (draft-pantos-hls-rfc8216bis, 6.2.5.2).
   */
  reached(msn: number, part: number | undefined): boolean {
    if (part === undefined) return this.lastCompleteMsn >= msn;
    const last = this.lastMsn;
    if (msn < last) return true;
    if (msn > last) return false;
    const segment = this.segments.at(-1);
    return segment !== undefined && part < segment.parts.length;
  }

  partBytes(msn: number, part: number): Buffer | null {
    return this.find(msn)?.parts[part]?.bytes ?? null;
  }

  /**
   * The part the playlist's preload hint names: the next one in the open segment, or part 0 of the
   * next segment when the open one is long enough and the GOP says the next fragment is a keyframe.
   */
  nextPart(): { msn: number; part: number } {
    const open = this.open;
    if (!open || this.pendingDiscontinuity || this.#tooLong(open)) return { msn: this.nextMsn, part: 0 };
    if (this.#longEnough(open) && this.#keyframeNext(open)) return { msn: this.nextMsn, part: 0 };
    return { msn: open.msn, part: open.parts.length };
  }

  /** A keyframe-led fragment starts a new segment once the open one has about the segment target. */
  #longEnough(open: Segment): boolean {
    return open.duration >= this.#opts.segmentTarget * 0.9;
  }

  #tooLong(open: Segment): boolean {
    return open.duration >= this.#opts.segmentTarget * MAX_SEGMENT_TARGETS;
  }

  /** Whether the fragment after the open segment is due to start a GOP (true while the GOP is unknown). */
  #keyframeNext(open: Segment): boolean {
    if (this.#gop === null || this.#lastKeyframe === null || open.mediaEnd === null) return true;
    const since = open.mediaEnd - this.#lastKeyframe;
    const gops = Math.round(since / this.#gop);
    return gops >= 1 && Math.abs(since - gops * this.#gop) < Math.min(0.05, this.#gop / 4);
  }

  /** Drops segment records past the DVR window. */
  #trimWindow(): void {
    let total = 0;
    for (const s of this.segments) if (s.complete) total += s.duration;
    while (this.segments.length > 1) {
      const first = this.segments[0] as Segment;
      if (!first.complete || total - first.duration < this.#opts.dvrWindowSeconds - 1e-3) break;
      total -= first.duration;
      this.segments.shift();
    }
  }

  /** Keeps the bytes of the newest `memorySegments` complete segments only. */
  #trimMemory(): void {
    let kept = 0;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i] as Segment;
      if (!s.complete) continue;
      if (kept < this.#opts.memorySegments) {
        kept++;
        continue;
      }
      if (!s.bytes) break; // everything older is out already
      s.bytes = null;
      for (const p of s.parts) p.bytes = null;
    }
  }
}
