/**
 * The low-latency HLS packager of one broadcast: fMP4 fragments in, playlists, parts, segments
 * and init segments out, all from memory. Blocking playlist reloads (_HLS_msn/_HLS_part) wait for
 * the part they name; every playlist version is rendered once and the same text is shared by every
 * request for it. `lowLatency: false` is the same code with no parts, hints or blocking.
 */
import { AppError } from '../../shared/errors.ts';
import { Waiters } from './blocking.ts';
import type { Fmp4Fragment, Fmp4Init } from './fmp4-reader.ts';
import { isRenditionName, type PackagerRendition, renderMasterPlaylist } from './master-playlist.ts';
import { type RenditionReport, renderMediaPlaylist } from './media-playlist.ts';
import { RenditionTimeline, type Segment } from './rendition-timeline.ts';

export type { PackagerRendition } from './master-playlist.ts';

export interface CompletedSegment {
  rendition: string;
  msn: number;
  duration: number;
  /** ISO 8601 UTC. */
  programDateTime: string;
  discontinuity: boolean;
  initId: number;
  init: Buffer;
  bytes: Buffer;
}

export interface RecordedSegment {
  msn: number;
  duration: number;
  programDateTime: string;
  discontinuity: boolean;
  initId: number;
}

export interface LivePackagerOptions {
  renditions: PackagerRendition[];
  lowLatency: boolean;
  /** Seconds: the longest fragment the encoder writes (10 frames at 30 fps: 1/3 s; 9 at 25 fps: 0.36 s). */
  partTarget: number;
  segmentTarget: number;
  dvrWindowSeconds: number;
  memorySegments?: number;
  resume?: { nextMsn: number; discontinuitySequence: number; segments: Record<string, RecordedSegment[]> };
  onSegment?(s: CompletedSegment): void;
  now?: () => number;
  /** How long a blocking request is held before 503 (default: 3 target durations, as the spec says). */
  blockingTimeoutMs?: number;
}

export type PlaylistAnswer = { status: 200; body: string } | { status: 400 | 404 | 503; message: string };

interface Rendition {
  info: PackagerRendition;
  timeline: RenditionTimeline;
  playlistWaiters: Waiters<PlaylistAnswer>;
  partWaiters: Waiters<Buffer | null>;
  /** The rendered text of the current version, full and delta. */
  cache: { version: number; full?: string; delta?: string };
}

/** The segments kept in memory cover at least the parts listed (3 target durations) and a little more. */
const MIN_MEMORY_SEGMENTS = 6;
const DEFAULT_MEMORY_SEGMENTS = 10;

export class LivePackager {
  readonly #opts: LivePackagerOptions;
  readonly #renditions = new Map<string, Rendition>();
  readonly #now: () => number;
  /** Bumped by every change: a cached rendering is good while its version is current. */
  #version = 0;
  #renders = 0;
  #ended = false;
  /** Capture clock minus media time (ms) for the current run of the encoder; reset by a discontinuity. */
  #clockOffset: number | null = null;
  #targetDuration: number;
  #partTarget: number;

  constructor(opts: LivePackagerOptions) {
    for (const n of [opts.partTarget, opts.segmentTarget, opts.dvrWindowSeconds]) {
      if (!(n > 0) || !Number.isFinite(n))
        throw new AppError('FH_ERR_VALIDATION', 'Packager times must be positive.');
    }
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#targetDuration = Math.ceil(opts.segmentTarget - 1e-3);
    this.#partTarget = opts.partTarget;
    for (const info of opts.renditions) this.#addRendition(info, null);
  }

  /** How many playlists were rendered (each version once): for tests and metrics. */
  get renderCount(): number {
    return this.#renders;
  }

  /** Requests waiting now (playlists and parts): for tests and metrics. */
  get waitingCount(): number {
    let n = 0;
    for (const r of this.#renditions.values()) n += r.playlistWaiters.size + r.partWaiters.size;
    return n;
  }

  addInit(rendition: string, init: Fmp4Init): void {
    const r = this.#rendition(rendition);
    if (!r || this.#ended) return;
    const { changed } = r.timeline.addInit(init.bytes);
    // A new init mid-stream means a new encoder run: its timestamps start over.
    if (changed && !r.timeline.pendingDiscontinuity) this.discontinuity();
  }

  addFragment(rendition: string, fragment: Fmp4Fragment): void {
    const r = this.#rendition(rendition);
    if (!r || this.#ended) return;
    if (r.timeline.jumpsBack(fragment) && !r.timeline.pendingDiscontinuity) this.discontinuity();
    this.#clockOffset ??= (fragment.wallClock ?? this.#now()) - fragment.startTime * 1000;
    const programDateTime = this.#clockOffset + fragment.startTime * 1000;
    const closed = r.timeline.addFragment(fragment, programDateTime);
    if (closed) this.#completed(r, closed);
    this.#partTarget = Math.max(this.#partTarget, r.timeline.longestPart);
    this.#changed(r);
  }

  /** The encoder went away or came back: open segments close now, the next ones start a discontinuity. */
  discontinuity(): void {
    this.#clockOffset = null;
    for (const r of this.#renditions.values()) {
      const closed = r.timeline.closeOpen();
      if (closed) this.#completed(r, closed);
      r.timeline.pendingDiscontinuity = true;
    }
    this.#changedAll();
  }

  /** The ladder changed: new renditions start at the current sequence, removed ones answer 404. */
  setRenditions(renditions: PackagerRendition[]): void {
    const names = new Set(renditions.map((r) => r.name));
    for (const [name, r] of this.#renditions) {
      if (names.has(name)) continue;
      this.#renditions.delete(name);
      r.playlistWaiters.settleAll(() => ({ status: 404, message: 'This rendition is no longer live.' }));
      r.partWaiters.settleAll(() => null);
    }
    const reference = [...this.#renditions.values()][0]?.timeline ?? null;
    for (const info of renditions) {
      const r = this.#renditions.get(info.name);
      if (r) r.info = info;
      else this.#addRendition(info, reference);
    }
    // Keep the given order for the master playlist.
    const ordered = renditions.map((i) => [i.name, this.#renditions.get(i.name) as Rendition] as const);
    this.#renditions.clear();
    for (const [name, r] of ordered) this.#renditions.set(name, r);
    this.#changedAll();
  }

  end(): void {
    if (this.#ended) return;
    for (const r of this.#renditions.values()) {
      const closed = r.timeline.closeOpen();
      if (closed) this.#completed(r, closed);
    }
    this.#ended = true;
    this.#changedAll();
  }

  masterPlaylist(): string {
    return renderMasterPlaylist([...this.#renditions.values()].map((r) => r.info));
  }

  async mediaPlaylist(
    rendition: string,
    q: { msn?: number; part?: number; skip?: string },
    signal?: AbortSignal,
  ): Promise<PlaylistAnswer> {
    const r = this.#renditions.get(rendition);
    if (!r) return { status: 404, message: 'This stream has no such rendition.' };
    const delta = this.#opts.lowLatency && (q.skip === 'YES' || q.skip === 'v2');
    const answer = (): PlaylistAnswer => ({ status: 200, body: this.#render(r, delta) });
    if (!this.#opts.lowLatency || (q.msn === undefined && q.part === undefined)) return answer();
    if (q.msn === undefined) return { status: 400, message: '_HLS_part needs _HLS_msn.' };
    if (!isIndex(q.msn) || (q.part !== undefined && !isIndex(q.part))) {
      return { status: 400, message: '_HLS_msn and _HLS_part must be non-negative integers.' };
    }
    if (this.#ended) return answer();
    if (q.msn > r.timeline.lastMsn + 2) {
      return { status: 400, message: '_HLS_msn is more than two segments past the end of the playlist.' };
    }
    const { msn, part } = q;
    return r.playlistWaiters.wait({
      ready: () => (this.#ended || r.timeline.reached(msn, part) ? answer() : undefined),
      timeoutMs: this.#blockingTimeoutMs(),
      onTimeout: () => ({ status: 503, message: 'The requested part did not arrive in time.' }),
      onAbort: () => ({ status: 503, message: 'The request went away.' }),
      signal,
    });
  }

  /** A part's bytes; the part the preload hint names (or part 0 of the next segment) is waited for. */
  async part(rendition: string, msn: number, part: number, signal?: AbortSignal): Promise<Buffer | null> {
    const r = this.#renditions.get(rendition);
    if (!r || !this.#opts.lowLatency || !isIndex(msn) || !isIndex(part)) return null;
    const t = r.timeline;
    const now = t.partBytes(msn, part);
    if (now || this.#ended) return now;
    const next = t.nextPart();
    const soon =
      (msn === next.msn && part === next.part) ||
      (msn === next.msn + 1 && part === 0) ||
      (msn === t.nextMsn && part === 0);
    if (!soon) return null;
    return r.partWaiters.wait({
      // Listed, or passed by (the segment closed before it): either way the answer is known.
      ready: () => {
        const segment = t.find(msn);
        if (segment?.complete && part >= segment.parts.length) return null; // the segment closed before it
        return this.#ended || t.reached(msn, part) ? t.partBytes(msn, part) : undefined;
      },
      timeoutMs: this.#blockingTimeoutMs(),
      onTimeout: () => null,
      onAbort: () => null,
      signal,
    });
  }

  /** A part's (or, without `part`, a segment's) media seconds, while it is in memory; else undefined. */
  mediaSeconds(rendition: string, msn: number, part?: number): number | undefined {
    const segment = this.#renditions.get(rendition)?.timeline.find(msn);
    return part === undefined ? segment?.duration : segment?.parts[part]?.duration;
  }

  segment(rendition: string, msn: number): Buffer | null {
    return this.#renditions.get(rendition)?.timeline.find(msn)?.bytes ?? null;
  }

  init(rendition: string, id: number): Buffer | null {
    return this.#renditions.get(rendition)?.timeline.inits.get(id) ?? null;
  }

  /** Fragments of a rendition removed by setRenditions() may still be in flight: they are dropped. */
  #rendition(name: string): Rendition | undefined {
    return this.#renditions.get(name);
  }

  #addRendition(info: PackagerRendition, reference: RenditionTimeline | null): void {
    if (!isRenditionName(info.name)) {
      throw new AppError(
        'FH_ERR_VALIDATION',
        `A rendition name must be letters, digits, _ or -: "${info.name}".`,
      );
    }
    const resume = this.#opts.resume;
    let timeline: RenditionTimeline;
    const options = {
      segmentTarget: this.#opts.segmentTarget,
      dvrWindowSeconds: this.#opts.dvrWindowSeconds,
      memorySegments: Math.max(this.#opts.memorySegments ?? DEFAULT_MEMORY_SEGMENTS, MIN_MEMORY_SEGMENTS),
    };
    if (reference) {
      // A rung added mid-broadcast numbers its segments with the others, so players can switch.
      timeline = new RenditionTimeline(options, { nextMsn: reference.nextMsn, cc: reference.currentCc });
    } else if (resume) {
      timeline = new RenditionTimeline(options, {
        nextMsn: resume.nextMsn,
        cc: resume.discontinuitySequence,
      });
      const recorded = resume.segments[info.name] ?? [];
      timeline.seed(
        recorded.map((s) => ({
          msn: s.msn,
          duration: s.duration,
          programDateTime: Date.parse(s.programDateTime),
          discontinuity: s.discontinuity,
          initId: s.initId,
        })),
      );
      this.#targetDuration = Math.max(this.#targetDuration, Math.ceil(timeline.longestSegment - 1e-3));
      // The broadcast goes on after a failover: a new encoder run, new timestamps.
      timeline.pendingDiscontinuity = true;
      timeline.nextMsn = resume.nextMsn;
    } else {
      timeline = new RenditionTimeline(options, { nextMsn: 0, cc: 0 });
    }
    this.#renditions.set(info.name, {
      info,
      timeline,
      playlistWaiters: new Waiters(),
      partWaiters: new Waiters(),
      cache: { version: -1 },
    });
  }

  #completed(r: Rendition, s: Segment): void {
    this.#targetDuration = Math.max(this.#targetDuration, Math.ceil(s.duration - 1e-3));
    const init = r.timeline.inits.get(s.initId);
    if (!this.#opts.onSegment || !s.bytes || !init) return;
    this.#opts.onSegment({
      rendition: r.info.name,
      msn: s.msn,
      duration: s.duration,
      programDateTime: new Date(s.programDateTime).toISOString(),
      discontinuity: s.discontinuity,
      initId: s.initId,
      init,
      bytes: s.bytes,
    });
  }

  /** Every rendition's playlist changes (rendition reports name the others): answer who waits on `r`. */
  #changed(r: Rendition): void {
    this.#version++;
    r.playlistWaiters.check();
    r.partWaiters.check();
  }

  #changedAll(): void {
    this.#version++;
    for (const r of this.#renditions.values()) {
      r.playlistWaiters.check();
      r.partWaiters.check();
    }
  }

  #blockingTimeoutMs(): number {
    return this.#opts.blockingTimeoutMs ?? 3 * this.#targetDuration * 1000;
  }

  #render(r: Rendition, delta: boolean): string {
    if (r.cache.version !== this.#version) r.cache = { version: this.#version };
    const cached = delta ? r.cache.delta : r.cache.full;
    if (cached !== undefined) return cached;
    const t = r.timeline;
    const reports: RenditionReport[] = [];
    if (this.#opts.lowLatency) {
      for (const other of this.#renditions.values()) {
        const last = other.timeline.lastSegment;
        if (other === r || !last) continue;
        const lastPart = last.complete && this.#ended ? null : last.parts.length - 1;
        reports.push({
          name: other.info.name,
          lastMsn: last.msn,
          lastPart: lastPart !== null && lastPart >= 0 ? lastPart : null,
        });
      }
    }
    const body = renderMediaPlaylist({
      lowLatency: this.#opts.lowLatency,
      segments: t.segments,
      targetDuration: this.#targetDuration,
      partTarget: this.#partTarget,
      ended: this.#ended,
      preloadHint: this.#ended ? null : t.nextPart(),
      reports,
      delta,
    });
    this.#renders++;
    if (delta) r.cache.delta = body;
    else r.cache.full = body;
    return body;
  }
}

function isIndex(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
