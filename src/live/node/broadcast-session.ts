import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { billedOwner, type UsageSink } from '../../usage/usage-records.ts';
import { readFmp4 } from '../packager/fmp4-reader.ts';
import {
  type CompletedSegment,
  LivePackager,
  type PackagerRendition,
  type RecordedSegment,
} from '../packager/live-packager.ts';
import { holdBacks } from '../packager/media-playlist.ts';
import { type LivePreset, type LiveRtpOutputs, webrtcRung } from '../transcode/live-ffmpeg-args.ts';
import { type LiveRung, planLiveLadder } from '../transcode/live-ladder.ts';
import { LiveTranscoder } from '../transcode/live-transcoder.ts';
import type { WhepFeed } from '../whep/whep-feed.ts';
import type { LiveIngest } from './ingest.ts';
import { LiveUsageClock } from './live-usage.ts';
import { type HealthReading, HealthTracker, healthWarnings } from './stream-health.ts';

/** What a broadcast shows in `current` while it is on air (the API's `LiveStream.current`). */
export type LiveCurrent = HealthReading & {
  started_at: string;
  renditions: { name: string; width: number; height: number; bandwidth: number }[];
  ingest_bitrate: number;
  fps: number | null;
  protocol: string;
  /** Rungs dropped because this node could not encode them in real time. */
  dropped_renditions: string[];
};

export interface BroadcastSettings {
  streamId: string;
  broadcastId: string;
  lowLatency: boolean;
  startedAt: string;
  /** The stream's `created_by` (usage metering bills it); null: nobody recorded. */
  owner?: string | null;
}

export interface BroadcastDeps {
  ffmpegPath: string;
  x264Preset: LivePreset;
  maxRungs: number;
  dvrSeconds: number;
  /** Longest input the node accepts; above it the broadcaster is dropped with a reason. */
  maxBitrateBps: number;
  log: Logger;
  /** Every completed segment, for the recording and the DVR window beyond memory. */
  onSegment(segment: CompletedSegment): void;
  /** The broadcast's state for the API, when it changes and every few seconds while on air. */
  onCurrent(current: LiveCurrent): void;
  /** The input broke a rule (bitrate over the limit): the node records the reason and drops it. */
  onRefused(code: string, message: string): void;
  /** Where WebRTC viewers get the broadcast (its ports open before `attach`); null: WebRTC is off. */
  whep?: WhepFeed | null;
  /** Usage metering: live input seconds and the live ladder's encoding seconds. */
  usage?: UsageSink | null;
}

/**
 * Parts of about a third of a second (Apple's examples; below 0.2 s is unstable in players).
 * ffmpeg closes a fragment at the first frame that reaches `-frag_duration`; asking for 0.33 s
 * rather than 1/3 s makes that exactly ceil(0.33 × fps) frames even when the publisher's
 * timestamps are rounded to milliseconds (RTMP's are: ten 30 fps frames can add up to 333 ms,
 * just short of 1/3 s, and the fragment would take an 11th). So a part is 10 frames at 30 fps
 * (0.333 s), 9 at 25 fps (0.36 s), 8 at 24 fps; PART-TARGET, which no part may exceed, is that
 * plus the 2 ms the rounding can add.
 */
export const FRAGMENT_SECONDS = 0.33;
export function partSecondsFor(fps: number | null): number {
  const rate = fps && fps >= 5 && fps <= 120 ? fps : 30;
  return Math.ceil(FRAGMENT_SECONDS * rate - 1e-6) / rate + 0.002;
}
/** Low latency: 2 s segments; standard: 6 s. Both cut at the 2 s keyframe interval. */
export const segmentSecondsOf = (lowLatency: boolean) => (lowLatency ? 2 : 6);
const STATUS_EVERY_MS = 5_000;

/**
 * One broadcast on this node: the packager that outlives encoder drops (the same broadcast
 * goes on with a discontinuity when the broadcaster comes back within the reconnect window),
 * and, while a broadcaster is connected, the ffmpeg that turns its input into the live ladder.
 * When that ffmpeg cannot keep up, the ladder loses a rung rather than fall behind real time.
 */
export class BroadcastSession {
  readonly settings: BroadcastSettings;
  readonly #deps: BroadcastDeps;
  readonly #resume: ResumePoint | undefined;
  #packager: LivePackager | null = null;
  #ingest: LiveIngest | null = null;
  #transcoder: LiveTranscoder | null = null;
  #rungs: LiveRung[] = [];
  #dropped: string[] = [];
  readonly #health = new HealthTracker();
  #statusTimer: NodeJS.Timeout | undefined;
  #restarting = false;
  #ended = false;
  /** Bumped for every transcoder, so a late fragment of an old one is not taken as new. */
  #generation = 0;
  readonly #usage: LiveUsageClock | null;

  constructor(settings: BroadcastSettings, deps: BroadcastDeps, resume?: ResumePoint) {
    this.settings = settings;
    this.#deps = deps;
    this.#resume = resume;
    this.#usage = deps.usage
      ? new LiveUsageClock({
          usage: deps.usage,
          owner: billedOwner(settings.owner),
          streamId: settings.streamId,
        })
      : null;
  }

  /** Null until the first broadcaster's ladder is known. */
  get packager(): LivePackager | null {
    return this.#packager;
  }

  get connected(): boolean {
    return this.#ingest !== null;
  }

  /** Whether this input is the one the session encodes now (not one it has replaced). */
  holds(ingest: LiveIngest): boolean {
    return this.#ingest === ingest;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The WebRTC feed and whether the ladder now has a rung it can carry (null: WebRTC is off). */
  get whep(): { feed: WhepFeed; available: boolean } | null {
    const feed = this.#deps.whep;
    return feed ? { feed, available: webrtcRung(this.#rungs) !== null } : null;
  }

  /** The RTP outputs of the next ffmpeg: the best encoded rung, Opus when there is audio. */
  #rtpOutputs(): LiveRtpOutputs | null {
    const ports = this.#deps.whep?.ports;
    const rung = webrtcRung(this.#rungs);
    if (!ports || !rung) return null;
    return { rung: rung.name, videoPort: ports.video, audioPort: rung.audioBitrate > 0 ? ports.audio : null };
  }

  /** A broadcaster is on: plan the ladder from its source and start encoding. */
  attach(ingest: LiveIngest): void {
    if (this.#ended) throw new Error('broadcast has ended');
    this.#ingest?.kick('replaced by a new connection');
    this.#ingest = ingest;
    this.#dropped = [];
    this.#rungs = planLiveLadder(ingest.source, {
      maxRungs: this.#deps.maxRungs,
      segmentSeconds: segmentSecondsOf(this.settings.lowLatency),
    });
    if (!webrtcRung(this.#rungs)) this.#deps.whep?.endViewers('no rendition WebRTC can carry');
    const renditions = this.#rungs.map(renditionOf);
    if (this.#packager) {
      this.#packager.setRenditions(renditions);
      this.#packager.discontinuity();
    } else {
      this.#packager = new LivePackager({
        renditions,
        lowLatency: this.settings.lowLatency,
        partTarget: partSecondsFor(ingest.source.fps),
        segmentTarget: segmentSecondsOf(this.settings.lowLatency),
        dvrWindowSeconds: this.#deps.dvrSeconds,
        onSegment: (s) => this.#deps.onSegment(s),
        ...(this.#resume ? { resume: this.#resume } : {}),
      });
    }
    this.#startTranscoder({ fromLastKeyframe: true });
    // The input's media clock: what was read to plan the ladder is input too.
    this.#usage?.start(this.#rungs, ingest.mediaMs() ?? 0);
    clearInterval(this.#statusTimer);
    this.#statusTimer = setInterval(() => this.#checkInput(), STATUS_EVERY_MS);
    this.#statusTimer.unref();
    this.#deps.onCurrent(this.current());
  }

  /** The broadcaster is gone: stop encoding; the playlists stay as they are until it returns. */
  async detach(): Promise<void> {
    if (this.#ingest) this.#usage?.stop();
    this.#ingest = null;
    clearInterval(this.#statusTimer);
    const transcoder = this.#transcoder;
    this.#transcoder = null;
    await transcoder?.stop();
  }

  /** The broadcast is over: the playlists end (EXT-X-ENDLIST) and every waiting player is answered. */
  async end(reason: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const ingest = this.#ingest;
    await this.detach();
    ingest?.kick(reason);
    this.#packager?.end();
    this.#deps.whep?.close();
  }

  current(): LiveCurrent {
    const ingest = this.#ingest;
    const fps = ingest?.fps() ?? ingest?.source.fps ?? null;
    const bitrate = Math.round(ingest?.bitrateBps() ?? 0);
    const keyframeMs = ingest?.keyframeIntervalMs() ?? ingest?.source.keyframeIntervalMs ?? null;
    const health = this.#health;
    return {
      started_at: this.settings.startedAt,
      renditions: this.#rungs.map((r) => ({
        name: r.name,
        width: r.width,
        height: r.height,
        bandwidth: r.bandwidth,
      })),
      ingest_bitrate: bitrate,
      fps,
      protocol: ingest?.protocol ?? 'none',
      dropped_renditions: [...this.#dropped],
      keyframe_interval: keyframeMs === null ? null : Math.round(keyframeMs / 100) / 10,
      transcode_speed: health.speed === null ? null : Math.round(health.speed * 100) / 100,
      dropped_frames: health.droppedFrames,
      server_latency: health.latencySeconds,
      latency:
        health.latencySeconds === null
          ? null
          : Math.round((health.latencySeconds + this.#holdBackSeconds(ingest?.source.fps ?? null)) * 10) / 10,
      audio: ingest?.source.hasAudio ?? false,
      warnings: ingest
        ? healthWarnings({
            keyframeIntervalMs: keyframeMs,
            keyframesRegular: ingest.source.keyframesRegular !== false,
            speed: health.speed,
            droppedFrames: health.droppedFrames,
            latencySeconds: health.latencySeconds,
            hasAudio: ingest.source.hasAudio,
            fps,
            bitrateBps: bitrate,
            maxBitrateBps: this.#deps.maxBitrateBps,
            width: ingest.source.width,
            height: ingest.source.height,
            droppedRenditions: this.#dropped,
            lowLatency: this.settings.lowLatency,
          })
        : [],
    };
  }

  /** Where players sit behind the newest part by default (the playlist's hold-back). */
  #holdBackSeconds(fps: number | null): number {
    const { lowLatency } = this.settings;
    const b = holdBacks(segmentSecondsOf(lowLatency), partSecondsFor(fps));
    return lowLatency ? b.partHoldBack : b.holdBack;
  }

  #startTranscoder(opts: { fromLastKeyframe: boolean }): void {
    const ingest = this.#ingest;
    const packager = this.#packager;
    if (!ingest || !packager) return;
    const generation = ++this.#generation;
    const log = this.#deps.log.child({ broadcast: this.settings.broadcastId, generation });
    const transcoder = new LiveTranscoder({
      ffmpegPath: this.#deps.ffmpegPath,
      rungs: this.#rungs,
      inputFormat: ingest.format,
      preset: this.#deps.x264Preset,
      sourceKeyframeIntervalMs: ingest.source.keyframeIntervalMs,
      fragmentSeconds: FRAGMENT_SECONDS,
      rtp: this.#rtpOutputs(),
      log,
    });
    transcoder.on('rung-dropped', (e) => log.warn(e, 'a live rendition was not read in time and is dropped'));
    this.#transcoder = transcoder;
    this.#health.newRun();
    // Two signals that ffmpeg cannot keep up: its own (its input held back, SRT included), and
    // the backlog between what the publisher has sent and what ffmpeg has written growing
    // (with a copied top rung ffmpeg never holds its input back: the encoded rungs' frames
    // queue inside it instead).
    transcoder.on('lagging', (e: { speed: number }) => void this.#shrinkLadder(e.speed, generation));
    const backlog = new BacklogWatch();
    transcoder.on('progress', (p: { outTimeSeconds: number; speed: number | null; dropFrames: number }) => {
      this.#health.progress(p);
      const inputMs = ingest.mediaMs();
      if (inputMs === null) return;
      const growth = backlog.add(Date.now(), inputMs / 1000, p.outTimeSeconds);
      if (growth !== null) void this.#shrinkLadder(1 - growth, generation);
    });
    transcoder.on('exit', (e: { code: number | null; reason?: string }) => {
      if (generation !== this.#generation || this.#ended || !this.#ingest) return;
      // ffmpeg stopped on its own while the broadcaster is still connected (input it could not
      // decode, a crash): drop the connection so the encoder reconnects and starts clean.
      log.warn({ code: e.code, reason: e.reason }, 'live transcoder stopped; dropping the broadcaster');
      this.#ingest.kick('transcoding stopped');
    });
    transcoder.start(ingest.open(opts));
    for (const [name, output] of transcoder.outputs) {
      void this.#feed(name, output, packager, generation).catch((err: unknown) =>
        log.warn({ err, rendition: name }, 'live output could not be packaged'),
      );
    }
  }

  async #feed(name: string, output: Readable, packager: LivePackager, generation: number): Promise<void> {
    for await (const item of readFmp4(output)) {
      if (generation !== this.#generation) return;
      if ('init' in item) packager.addInit(name, item.init);
      else {
        packager.addFragment(name, item.fragment);
        const ingest = this.#ingest;
        if (ingest && name === this.#rungs[0]?.name) {
          const { startTime, duration } = item.fragment;
          this.#health.fragment(ingest.mediaMs(), ingest.openedAtMediaMs(), startTime + duration);
        }
      }
    }
  }

  /** ffmpeg runs slower than real time: one rung fewer (never the top one), restarted at the next keyframe. */
  async #shrinkLadder(speed: number, generation: number): Promise<void> {
    if (this.#restarting || generation !== this.#generation || this.#rungs.length < 2) return;
    this.#restarting = true;
    try {
      // The top rung stays (it is the picture most viewers get); of the others the biggest goes:
      // it costs the most to encode.
      const victim = this.#rungs[1];
      if (!victim) return;
      this.#deps.log.warn(
        { broadcast: this.settings.broadcastId, speed, dropped: victim.name },
        'live ladder cannot keep up: dropping a rung',
      );
      this.#rungs = this.#rungs.filter((r) => r !== victim);
      this.#dropped.push(victim.name);
      const old = this.#transcoder;
      this.#transcoder = null;
      this.#generation++;
      await old?.stop();
      if (this.#ended || !this.#ingest || !this.#packager) return;
      this.#packager.setRenditions(this.#rungs.map(renditionOf));
      this.#packager.discontinuity();
      this.#usage?.start(this.#rungs);
      // The WebRTC rung may have been the one dropped: viewers go on with the next encoded rung
      // (a new source for them), or, when only a copied rung is left, are ended cleanly.
      if (!webrtcRung(this.#rungs)) this.#deps.whep?.endViewers('no rendition WebRTC can carry is left');
      this.#startTranscoder({ fromLastKeyframe: false });
      this.#deps.onCurrent(this.current());
    } finally {
      this.#restarting = false;
    }
  }

  /** Every few seconds: the input's rate against the node's limit, and `current` for the API. */
  #checkInput(): void {
    const ingest = this.#ingest;
    if (!ingest) return;
    this.#usage?.tick();
    const bitrate = ingest.bitrateBps();
    if (bitrate > this.#deps.maxBitrateBps) {
      const message = `The input bitrate (${Math.round(bitrate / 1000)} kbps) is above this server's limit of ${Math.round(this.#deps.maxBitrateBps / 1000)} kbps. Lower the encoder's bitrate.`;
      this.#deps.onRefused('bitrate_too_high', message);
      ingest.kick('bitrate over the limit');
      return;
    }
    this.#deps.onCurrent(this.current());
  }
}

/**
 * Whether the media ffmpeg has written falls behind the media the publisher has sent. The two
 * clocks have different origins (the transcoder may start from a cached GOP), so only the
 * backlog's growth counts: over the last WINDOW_S seconds, growing by more than LAG_RATE of the
 * time passed (ffmpeg at < 0.9× real time) and past MIN_BACKLOG_S. Answers the growth rate then.
 */
export class BacklogWatch {
  static readonly WINDOW_S = 6;
  static readonly LAG_RATE = 0.1;
  static readonly MIN_BACKLOG_S = 2;
  readonly #samples: { at: number; backlog: number }[] = [];
  #first: number | null = null;

  add(nowMs: number, inputSeconds: number, outputSeconds: number): number | null {
    this.#first ??= inputSeconds - outputSeconds;
    const backlog = inputSeconds - outputSeconds - this.#first;
    this.#samples.push({ at: nowMs, backlog });
    while ((this.#samples[0]?.at ?? nowMs) < nowMs - BacklogWatch.WINDOW_S * 1000) this.#samples.shift();
    const oldest = this.#samples[0];
    if (!oldest || nowMs - oldest.at < (BacklogWatch.WINDOW_S - 1) * 1000) return null;
    const rate = (backlog - oldest.backlog) / ((nowMs - oldest.at) / 1000);
    return rate > BacklogWatch.LAG_RATE && backlog > BacklogWatch.MIN_BACKLOG_S ? rate : null;
  }
}

/** Where a broadcast that another node was packaging goes on from (a live node died). */
export interface ResumePoint {
  nextMsn: number;
  discontinuitySequence: number;
  segments: Record<string, RecordedSegment[]>;
}

function renditionOf(r: LiveRung): PackagerRendition {
  return {
    name: r.name,
    width: r.width,
    height: r.height,
    bandwidth: r.bandwidth,
    codecs: r.codecs,
    frameRate: r.fps,
  };
}
