/**
 * A live broadcast's health as its host sees it on the stream page: the numbers (keyframe
 * interval, transcode speed, dropped frames, how late parts are published) and warnings written
 * for a person at an encoder, with the setting to change.
 *
 * The numbers come from three places: the ingest (what the publisher sends), ffmpeg's progress
 * (speed, dropped frames) and the packager (each top-rung fragment as it lands). They are kept
 * here, not in the session, so the rules can be tested on their own.
 */

// Type aliases, not interfaces: `current` is stored as JSON and typed with an index signature.
export type HealthWarning = {
  code: string;
  /** English, for logs and API clients that show it as is. */
  message: string;
  /**
   * The values the message is built from, so a reader in another language gets the same text
   * from its own catalogue (the web app's live_health_warning_<code>): numbers as numbers
   * (rounded as the message shows them), names as strings.
   */
  params: Record<string, number | string | string[]>;
};

export type HealthReading = {
  /** The publisher's keyframe interval, s (null: not known for this protocol yet). */
  keyframe_interval: number | null;
  /** Media seconds encoded per wall second over the last seconds (null before ffmpeg says). */
  transcode_speed: number | null;
  /** Frames the live encoder dropped since the broadcast started. */
  dropped_frames: number;
  /**
   * Seconds between a frame arriving and the part holding it being published (median of the
   * last fragments); null where the input's timestamps are not read (SRT).
   */
  server_latency: number | null;
  /**
   * How far behind the arriving video a viewer plays at the player's default position: the
   * server's delay plus the playlist's hold-back (PART-HOLD-BACK in low latency, HOLD-BACK in
   * standard). The publisher's own encoding and upload come on top.
   */
  latency: number | null;
  audio: boolean;
  warnings: HealthWarning[];
};

/** What the rules look at, besides the readings. */
export interface HealthInputs {
  keyframeIntervalMs: number | null;
  keyframesRegular: boolean;
  speed: number | null;
  droppedFrames: number;
  latencySeconds: number | null;
  hasAudio: boolean;
  fps: number | null;
  bitrateBps: number;
  maxBitrateBps: number;
  width: number;
  height: number;
  droppedRenditions: string[];
  lowLatency: boolean;
}

/** The live ladder's GOP: the interval a publisher should match (see live-ladder.ts). */
const WANTED_KEYFRAME_S = 2;
const LATENCY_SAMPLES = 9;

const seconds = (ms: number) => Math.round(ms / 100) / 10;
/** `v` to `places` decimals, as the English message writes it (toFixed rounds the same way). */
const round = (v: number, places: number) => Number(v.toFixed(places));

/** The warnings for one reading, most important first. Pure: the rules are tested on their own. */
export function healthWarnings(h: HealthInputs): HealthWarning[] {
  const out: HealthWarning[] = [];
  if (h.bitrateBps === 0)
    out.push({
      code: 'no_data',
      message: 'No video has arrived for the last few seconds: check the encoder and its connection.',
      params: {},
    });
  if (h.speed !== null && h.speed < 0.97) {
    const speed = round(h.speed, 2);
    out.push({
      code: 'slow_transcode',
      message: `This server encodes the stream slower than real time (${speed.toFixed(2)}×), so viewers fall behind. Send a lower resolution or frame rate, or give the live node more CPU.`,
      params: { speed },
    });
  }
  if (h.droppedRenditions.length > 0)
    out.push({
      code: 'renditions_dropped',
      message: `The ${h.droppedRenditions.join(', ')} rendition${h.droppedRenditions.length > 1 ? 's were' : ' was'} dropped: this server could not encode ${h.droppedRenditions.length > 1 ? 'them' : 'it'} in real time.`,
      params: { renditions: [...h.droppedRenditions], count: h.droppedRenditions.length },
    });
  const k = h.keyframeIntervalMs;
  if (k !== null && k > (WANTED_KEYFRAME_S + 0.5) * 1000)
    out.push({
      code: 'keyframe_interval',
      message: `Keyframe interval ${seconds(k)} s: set it to ${WANTED_KEYFRAME_S} s in OBS (Settings → Output → Output Mode: Advanced → Keyframe Interval). Viewers wait up to one interval to start.`,
      params: { keyframe_seconds: seconds(k), wanted_seconds: WANTED_KEYFRAME_S },
    });
  else if (!h.keyframesRegular)
    out.push({
      code: 'keyframes_irregular',
      message: `Keyframes arrive at irregular times (scene-cut keyframes): set a fixed keyframe interval of ${WANTED_KEYFRAME_S} s in OBS (Settings → Output → Keyframe Interval).`,
      params: { wanted_seconds: WANTED_KEYFRAME_S },
    });
  if (h.bitrateBps > 0 && h.bitrateBps > 0.8 * h.maxBitrateBps)
    out.push({
      code: 'bitrate_near_limit',
      message: `The input bitrate (${kbps(h.bitrateBps)} kbps) is close to this server's limit of ${kbps(h.maxBitrateBps)} kbps; above it the stream is stopped. Lower the bitrate in OBS (Settings → Output → Bitrate).`,
      params: { bitrate_kbps: kbps(h.bitrateBps), max_kbps: kbps(h.maxBitrateBps) },
    });
  else if (h.bitrateBps > 0 && h.fps && bitsPerPixel(h) < 0.03)
    out.push({
      code: 'bitrate_low',
      message: `The input bitrate (${kbps(h.bitrateBps)} kbps) is low for ${h.width}×${h.height} at ${Math.round(h.fps)} fps: the picture will look blocky. Raise the bitrate in OBS or lower the output resolution (Settings → Video).`,
      params: { bitrate_kbps: kbps(h.bitrateBps), width: h.width, height: h.height, fps: Math.round(h.fps) },
    });
  if (h.fps !== null && h.fps > 0 && h.fps < 20)
    out.push({
      code: 'low_fps',
      message: `The stream arrives at ${Math.round(h.fps)} fps: the encoder is overloaded or the connection too slow (OBS: View → Stats shows skipped and dropped frames). Lower the resolution or choose a faster encoder preset.`,
      params: { fps: Math.round(h.fps) },
    });
  if (h.droppedFrames > 0)
    out.push({
      code: 'frames_dropped',
      message: `This server dropped ${h.droppedFrames} frame${h.droppedFrames > 1 ? 's' : ''} while encoding: the input's timestamps jump or the server is short of CPU.`,
      params: { dropped_frames: h.droppedFrames },
    });
  const lateAfter = h.lowLatency ? 1.5 : 4;
  if (h.latencySeconds !== null && h.latencySeconds > lateAfter) {
    const latency = round(h.latencySeconds, 1);
    out.push({
      code: 'high_latency',
      message: `Parts are published ${latency.toFixed(1)} s after the video arrives (expected under ${lateAfter} s): the server is behind the stream.`,
      params: { latency_seconds: latency, late_after_seconds: lateAfter },
    });
  }
  if (!h.hasAudio)
    out.push({
      code: 'no_audio',
      message:
        'The stream has no audio: check the audio sources in OBS (Settings → Audio) if viewers should hear the host.',
      params: {},
    });
  return out;
}

/** Bits per pixel per frame: under ~0.03 H.264 at these speeds looks blocky. */
function bitsPerPixel(h: HealthInputs): number {
  return h.bitrateBps / (Math.max(1, h.width * h.height) * (h.fps ?? 30));
}

const kbps = (bps: number) => Math.round(bps / 1000);

/** Keeps what the rules need between readings: speed, dropped frames across ffmpeg runs, latency. */
export class HealthTracker {
  #speed: number | null = null;
  /** Dropped frames of ffmpeg runs that have ended (the ladder was rebuilt, the publisher came back). */
  #droppedBefore = 0;
  #droppedNow = 0;
  readonly #latencies: number[] = [];

  /** A progress block of the current ffmpeg run. */
  progress(p: { speed: number | null; dropFrames: number }): void {
    if (p.speed !== null) this.#speed = p.speed;
    this.#droppedNow = p.dropFrames;
  }

  /** A new ffmpeg run begins: its counters start at zero. */
  newRun(): void {
    this.#droppedBefore += this.#droppedNow;
    this.#droppedNow = 0;
    this.#speed = null;
    this.#latencies.length = 0;
  }

  /**
   * A top-rung fragment reached the packager: `inputMs` is the newest input timestamp now,
   * `openedAtMs` where ffmpeg's input began on that clock, `outEndS` the fragment's end on
   * ffmpeg's output clock (which starts at 0 at `openedAtMs`).
   */
  fragment(inputMs: number | null, openedAtMs: number | null, outEndS: number): void {
    if (inputMs === null || openedAtMs === null) return;
    const behind = (inputMs - openedAtMs) / 1000 - outEndS;
    // Negative or absurd values mean the clocks do not line up (a timestamp jump): skip them.
    if (!(behind >= 0 && behind < 60)) return;
    this.#latencies.push(behind);
    if (this.#latencies.length > LATENCY_SAMPLES) this.#latencies.shift();
  }

  get speed(): number | null {
    return this.#speed;
  }

  get droppedFrames(): number {
    return this.#droppedBefore + this.#droppedNow;
  }

  get latencySeconds(): number | null {
    if (this.#latencies.length === 0) return null;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    return Math.round((sorted[Math.floor(sorted.length / 2)] as number) * 100) / 100;
  }
}
