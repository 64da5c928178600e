/**
 * Writing one rendition's media playlist (draft-pantos-hls-rfc8216bis, with the low-latency
 * tags). Pure: the packager decides when to render and caches the text per playlist version.
 */
import type { Segment } from './rendition-timeline.ts';

export interface RenditionReport {
  name: string;
  lastMsn: number;
  lastPart: number | null;
}

export interface MediaPlaylistInput {
  lowLatency: boolean;
  segments: readonly Segment[];
  /** Whole seconds: never less than any listed segment's duration. */
  targetDuration: number;
  /** Seconds, advertised as PART-TARGET (low latency only). */
  partTarget: number;
  ended: boolean;
  /** The part the next fragment will be (low latency, not ended). */
  preloadHint: { msn: number; part: number } | null;
  reports: readonly RenditionReport[];
  /** A delta update (_HLS_skip=YES): skip the segments older than CAN-SKIP-UNTIL. */
  delta: boolean;
}

/** Parts are listed for the segments in the last this-many target durations (the spec's minimum: 3). */
const PART_LIST_TARGETS = 3;

export function holdBacks(targetDuration: number, partTarget: number) {
  return {
    holdBack: 3 * targetDuration,
    partHoldBack: 3 * partTarget,
    canSkipUntil: 6 * targetDuration,
  };
}

/** Seconds with 5 decimals, as Apple's examples (0.33334): enough for 90 kHz and 1/30 s. */
export function seconds(value: number): string {
  return value.toFixed(5).replace(/\.?0+$/, '');
}

/** Rounded up to 5 decimals, so an advertised maximum is never below the value it bounds. */
export function secondsUp(value: number): string {
  return seconds(Math.ceil(value * 1e5 - 1e-6) / 1e5);
}

/** How many leading segments a delta update leaves out: those ending CAN-SKIP-UNTIL or more before the end. */
export function skippableSegments(segments: readonly Segment[], canSkipUntil: number): number {
  let fromEnd = 0;
  let skippable = 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    if (fromEnd >= canSkipUntil) {
      skippable = i + 1;
      break;
    }
    fromEnd += (segments[i] as Segment).duration;
  }
  return skippable;
}

export function renderMediaPlaylist(p: MediaPlaylistInput): string {
  const { holdBack, partHoldBack, canSkipUntil } = holdBacks(p.targetDuration, p.partTarget);
  const skip = p.lowLatency && p.delta ? skippableSegments(p.segments, canSkipUntil) : 0;
  const first = p.segments[0];
  const lines = ['#EXTM3U'];
  // 9: EXT-X-SKIP (delta updates); 6: EXT-X-MAP in a playlist of media segments.
  lines.push(`#EXT-X-VERSION:${p.lowLatency ? 9 : 6}`);
  lines.push(`#EXT-X-TARGETDURATION:${p.targetDuration}`);
  if (p.lowLatency) {
    lines.push(
      `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${seconds(canSkipUntil)},` +
        `PART-HOLD-BACK=${secondsUp(partHoldBack)},HOLD-BACK=${seconds(holdBack)}`,
    );
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${secondsUp(p.partTarget)}`);
  }
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${first?.msn ?? 0}`);
  if (first) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${first.cc - (first.discontinuity ? 1 : 0)}`);
  if (skip > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skip}`);

  const partsFrom = p.lowLatency
    ? firstWithParts(p.segments, PART_LIST_TARGETS * p.targetDuration)
    : Infinity;
  let mapped = -1;
  for (let i = skip; i < p.segments.length; i++) {
    const s = p.segments[i] as Segment;
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (s.initId !== mapped) {
      lines.push(`#EXT-X-MAP:URI="init_${s.initId}.mp4"`);
      mapped = s.initId;
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`);
    if (i >= partsFrom) {
      s.parts.forEach((part, index) => {
        const independent = part.independent ? ',INDEPENDENT=YES' : '';
        lines.push(
          `#EXT-X-PART:DURATION=${seconds(part.duration)},URI="part_${s.msn}_${index}.m4s"${independent}`,
        );
      });
    }
    if (s.complete) lines.push(`#EXTINF:${seconds(s.duration)},`, `seg_${s.msn}.m4s`);
  }
  if (p.lowLatency && !p.ended && p.preloadHint) {
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_${p.preloadHint.msn}_${p.preloadHint.part}.m4s"`);
  }
  for (const r of p.reports) {
    const part = p.lowLatency && r.lastPart !== null ? `,LAST-PART=${r.lastPart}` : '';
    lines.push(`#EXT-X-RENDITION-REPORT:URI="../${r.name}/index.m3u8",LAST-MSN=${r.lastMsn}${part}`);
  }
  if (p.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/**
 * The index of the first segment whose parts are listed: the segments wholly within `span` seconds
 * of the end (parts older than three target durations are to be removed), at most three of them
 * and at least the last.
 */
function firstWithParts(segments: readonly Segment[], span: number): number {
  let fromEnd = 0;
  // And no more than three segments: short ones (before a discontinuity) would add parts no player needs.
  for (let i = segments.length - 1; i >= Math.max(0, segments.length - PART_LIST_TARGETS); i--) {
    fromEnd += (segments[i] as Segment).duration;
    if (fromEnd > span + 1e-6) return Math.min(i + 1, segments.length - 1);
  }
  return Math.max(0, segments.length - PART_LIST_TARGETS);
}
