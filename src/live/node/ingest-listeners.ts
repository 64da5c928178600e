import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { LiveStreamRow } from '../../db/schema.ts';
import { type QuotaRefusal, refusalMessage } from '../../quotas/quota-rules.ts';
import type { ErrorCode } from '../../shared/errors.ts';
import { createRtmpServer } from '../rtmp/rtmp-server.ts';
import type { LiveMediaInfo, LivePublish, PublishAttempt, PublishVerdict } from '../rtmp/types.ts';
import type { LiveStreamsService } from '../streams/live-streams.service.ts';
import type { LiveSource } from '../transcode/live-ladder.ts';
import { SrtListener } from '../transcode/srt-listener.ts';
import type { LiveIngest } from './ingest.ts';
import { ByteRate, TsSwitch } from './ingest-streams.ts';

type Refusal = { code: ErrorCode; message: string };

/**
 * The owner's live_streams quota (src/quotas): the refusal (its sentence says the numbers), or
 * null when one more stream of this owner may receive a publish.
 */
export interface PublishQuota {
  /** `pending`: the owner's publishes this node accepted that are not marked active yet. */
  checkPublish(owner: string | null, pending?: number): Promise<QuotaRefusal | null>;
}

/** How long an accepted publish counts as pending at most (it becomes active, or fails, well before). */
const PENDING_MS = 15_000;

/**
 * Publishes accepted here and not yet active, per owner. Between the key check and markActive
 * there are seconds (codecs, two keyframes): without these, two encoders of one owner starting
 * together would both pass the live_streams quota. (Across live nodes the window stays open.)
 */
class PendingPublishes {
  readonly #byOwner = new Map<string, Set<symbol>>();

  count(owner: string | null): number {
    return owner ? (this.#byOwner.get(owner)?.size ?? 0) : 0;
  }

  /** Counts one; the returned function (or PENDING_MS) stops counting it. */
  add(owner: string | null): () => void {
    if (!owner) return () => {};
    const token = Symbol(owner);
    const set = this.#byOwner.get(owner) ?? new Set<symbol>();
    set.add(token);
    this.#byOwner.set(owner, set);
    const release = () => {
      clearTimeout(timer);
      set.delete(token);
      if (set.size === 0 && this.#byOwner.get(owner) === set) this.#byOwner.delete(owner);
    };
    const timer = setTimeout(release, PENDING_MS);
    timer.unref();
    return release;
  }
}

/** How long a new publisher has to send its second keyframe (the ladder plan wants its interval). */
const KEYFRAME_WAIT_MS = 4_000;

/**
 * The node's doors: RTMP (and RTMPS with a certificate) for every stream, and one SRT listener
 * per stream that has an SRT port. Each checks what comes in — the stream key before the
 * publish is accepted, then the codecs — and hands the accepted input to the node.
 */
export class IngestListeners {
  readonly #o: IngestListenerOptions;
  readonly #streams: LiveStreamsService;
  readonly #log: Logger;
  readonly #admit: (stream: LiveStreamRow) => Refusal | null;
  readonly #quota: PublishQuota | undefined;
  readonly #pending = new PendingPublishes();
  /** Accepted publishes' pending count, released once they are active or gone. */
  readonly #releases = new WeakMap<PublishAttempt, () => void>();
  readonly #onIngest: (stream: LiveStreamRow, ingest: LiveIngest, activated: () => void) => Promise<void>;
  /** Streams whose key was accepted, until their publish starts (keyed by the attempt). */
  readonly #authorized = new WeakMap<PublishAttempt, LiveStreamRow>();
  readonly #servers: { close(): Promise<void> }[] = [];
  readonly #srt = new Map<string, { listener: SrtListener; port: number; passphrase: string }>();

  constructor(
    o: IngestListenerOptions,
    deps: {
      streams: LiveStreamsService;
      log: Logger;
      admit(stream: LiveStreamRow): Refusal | null;
      /** `activated`: called once markActive has answered (the publish counts as active from then). */
      onIngest(stream: LiveStreamRow, ingest: LiveIngest, activated: () => void): Promise<void>;
      quota?: PublishQuota;
    },
  ) {
    this.#o = o;
    this.#streams = deps.streams;
    this.#log = deps.log;
    this.#admit = deps.admit;
    this.#quota = deps.quota;
    this.#onIngest = deps.onIngest;
  }

  /** Starts RTMP (and RTMPS); answers the RTMP port bound (0 in the options: any free one). */
  async start(): Promise<number> {
    const handlers = {
      authorize: (attempt: PublishAttempt) => this.#authorize(attempt),
      onPublish: (publish: LivePublish) => void this.#onPublish(publish),
      log: this.#log.child({ component: 'rtmp' }),
    };
    const rtmp = createRtmpServer(handlers);
    const port = await listenOrSay(rtmp, this.#o.rtmpPort, this.#o.host, 'FRAMEHOUSE_RTMP_PORT');
    this.#servers.push(rtmp);
    if (this.#o.tls) {
      const rtmps = createRtmpServer({ ...handlers, tls: this.#o.tls });
      await listenOrSay(rtmps, this.#o.rtmpsPort, this.#o.host, 'FRAMEHOUSE_RTMPS_PORT');
      this.#servers.push(rtmps);
    }
    await this.reconcileSrt();
    return port;
  }

  async stop(): Promise<void> {
    await Promise.all([
      ...this.#servers.map((s) => s.close()),
      ...[...this.#srt.values()].map((s) => s.listener.stop()),
    ]);
    this.#srt.clear();
  }

  /** One SRT listener per stream that has a port and may publish; restarted when its passphrase changes. */
  async reconcileSrt(): Promise<void> {
    if (!this.#o.srtEnabled) return;
    const wanted = new Map((await this.#streams.srtStreams()).map((s) => [s.id, s]));
    for (const [id, open] of this.#srt) {
      const s = wanted.get(id);
      if (!s || s.srt_port !== open.port || s.srt_passphrase !== open.passphrase) {
        this.#srt.delete(id);
        await open.listener.stop();
      }
    }
    for (const s of wanted.values()) {
      if (this.#srt.has(s.id) || s.srt_port === null || s.status === 'disabled') continue;
      this.#openSrt(s, s.srt_port);
    }
  }

  #openSrt(stream: LiveStreamRow, port: number): void {
    const listener = new SrtListener({
      ffmpegPath: this.#o.ffmpegPath,
      host: this.#o.host,
      port,
      passphrase: stream.srt_passphrase,
      // For its logs: the stream's id, never its key (a credential).
      streamId: stream.id,
      log: this.#log.child({ component: 'srt', stream: stream.id }),
    });
    this.#srt.set(stream.id, { listener, port, passphrase: stream.srt_passphrase });
    listener.on(
      'publish',
      (e: { source: LiveSource; stream: Readable }) => void this.#onSrtPublish(stream.id, listener, e),
    );
    listener.on('error', (err: unknown) =>
      this.#log.warn({ err, stream: stream.id, port }, 'SRT listener failed'),
    );
    // The caller left (or never came and ffmpeg stopped): the next reconcile opens a new listener.
    listener.on('end', () => {
      if (this.#srt.get(stream.id)?.listener === listener) this.#srt.delete(stream.id);
    });
    listener.start();
  }

  async #authorize(attempt: PublishAttempt): Promise<PublishVerdict> {
    if (attempt.app !== 'live')
      return { accept: false, reason: `unknown application ${JSON.stringify(attempt.app.slice(0, 40))}` };
    const auth = await this.#streams.authorizePublish(attempt.streamKey);
    if (!auth.ok) {
      if (auth.streamId) {
        const refusal = keyRefusal(auth.code);
        await this.#streams.recordRefusal(auth.streamId, refusal.code, refusal.message).catch(() => {});
      }
      return { accept: false, reason: auth.code };
    }
    const full = this.#admit(auth.stream);
    if (full) {
      await this.#streams.recordRefusal(auth.stream.id, full.code, full.message).catch(() => {});
      return { accept: false, reason: 'node full' };
    }
    // Counted as pending before the check, so two publishes checked at once see each other.
    const release = this.#pending.add(auth.stream.created_by);
    const over = await this.#quotaRefusal(auth.stream);
    if (over) {
      release();
      await this.#streams.recordRefusal(auth.stream.id, over.code, over.message).catch(() => {});
      return { accept: false, reason: 'over quota' };
    }
    this.#authorized.set(attempt, auth.stream);
    this.#releases.set(attempt, release);
    return { accept: true };
  }

  /**
   * The owner's live_streams quota: a refused publish leaves the stream as it was (idle) and says
   * why in `last_error`. A check that fails (the database away) refuses too: the encoder retries.
   */
  async #quotaRefusal(stream: LiveStreamRow): Promise<Refusal | null> {
    if (!this.#quota) return null;
    try {
      // Pending: the others of this owner (this publish is counted among them already).
      const others = Math.max(0, this.#pending.count(stream.created_by) - 1);
      const over = await this.#quota.checkPublish(stream.created_by, others);
      if (!over) return null;
      return {
        code: 'FH_ERR_QUOTA_EXCEEDED',
        message: `A publish was refused: ${refusalMessage(over)}`,
      };
    } catch (err) {
      this.#log.warn({ err, stream: stream.id }, 'live quota check failed');
      return { code: 'FH_ERR_LIVE_INPUT_REFUSED', message: 'A publish was refused: try again in a moment.' };
    }
  }

  async #onPublish(publish: LivePublish): Promise<void> {
    const stream = this.#authorized.get(publish.attempt);
    if (!stream) return publish.close('not authorized');
    const release = this.#releases.get(publish.attempt) ?? (() => {});
    try {
      await this.#startPublish(publish, stream, release);
    } finally {
      release(); // a publish that never got as far as markActive
    }
  }

  async #startPublish(publish: LivePublish, stream: LiveStreamRow, activated: () => void): Promise<void> {
    // The publisher may leave while the node waits for its codecs or keyframes: remember it,
    // so the broadcast that starts anyway hears of it (see rtmpIngest's onEnd).
    const gone = { why: null as string | null };
    publish.once('end', (why: string) => {
      gone.why = why;
    });
    try {
      const media = await publish.ready;
      const refusal = codecRefusal(media);
      if (refusal) {
        await this.#streams.recordRefusal(stream.id, refusal.code, refusal.message);
        return publish.close('unsupported codec');
      }
      await waitFor(() => publish.stats().keyframeIntervalMs !== null, KEYFRAME_WAIT_MS);
      await this.#onIngest(stream, rtmpIngest(publish, media, gone), activated);
    } catch (err) {
      this.#log.warn({ err, stream: stream.id }, 'publish could not start');
      await this.#streams
        .recordRefusal(stream.id, 'FH_ERR_LIVE_INPUT_REFUSED', 'No video arrived from the encoder in time.')
        .catch(() => {});
      publish.close('could not start');
    }
  }

  async #onSrtPublish(streamId: string, listener: SrtListener, e: { source: LiveSource; stream: Readable }) {
    let release = () => {};
    try {
      const stream = await this.#streams.row(streamId);
      release = this.#pending.add(stream?.created_by ?? null);
      const refusal: Refusal | null = !stream
        ? { code: 'FH_ERR_LIVE_STREAM_NOT_FOUND', message: 'The stream is gone.' }
        : stream.status === 'disabled'
          ? keyRefusal('disabled')
          : stream.status === 'active'
            ? keyRefusal('busy')
            : (codecRefusal({ videoCodec: e.source.videoCodec, audioCodec: e.source.audioCodec }) ??
              this.#admit(stream) ??
              (await this.#quotaRefusal(stream)));
      if (!stream || refusal) {
        if (stream && refusal) await this.#streams.recordRefusal(stream.id, refusal.code, refusal.message);
        await listener.stop();
        return;
      }
      await this.#onIngest(stream, srtIngest(listener, e), release);
    } catch (err) {
      this.#log.warn({ err, stream: streamId }, 'SRT publish could not start');
      await listener.stop();
    } finally {
      release();
    }
  }
}

export interface IngestListenerOptions {
  host: string;
  rtmpPort: number;
  rtmpsPort: number;
  tls: { cert: Buffer; key: Buffer } | null;
  srtEnabled: boolean;
  ffmpegPath: string;
}

/** What the broadcaster reads in `last_error` when its key is refused (nothing of the key itself). */
function keyRefusal(code: 'unknown' | 'disabled' | 'busy'): Refusal {
  switch (code) {
    case 'disabled':
      return {
        code: 'FH_ERR_LIVE_STREAM_DISABLED',
        message: 'A publish was refused: this stream is disabled.',
      };
    case 'busy':
      return {
        code: 'FH_ERR_LIVE_STREAM_BUSY',
        message: 'A publish was refused: another encoder is already live on this stream.',
      };
    default:
      return { code: 'FH_ERR_LIVE_INPUT_REFUSED', message: 'A publish was refused.' };
  }
}

/** H.264 video and AAC audio (or none) are what the live ladder takes; anything else, a reason. */
export function codecRefusal(media: Pick<LiveMediaInfo, 'videoCodec' | 'audioCodec'>): Refusal | null {
  if (media.videoCodec !== 'h264') {
    return {
      code: 'FH_ERR_LIVE_UNSUPPORTED_MEDIA',
      message: `The encoder sent ${media.videoCodec ? `${media.videoCodec} video` : 'no video'}: set it to H.264 (x264 or a hardware H.264 encoder) with AAC audio.`,
    };
  }
  if (media.audioCodec !== null && media.audioCodec !== 'aac') {
    return {
      code: 'FH_ERR_LIVE_UNSUPPORTED_MEDIA',
      message: `The encoder sent ${media.audioCodec} audio: set it to AAC.`,
    };
  }
  return null;
}

function rtmpIngest(publish: LivePublish, media: LiveMediaInfo, gone: { why: string | null }): LiveIngest {
  const stats = publish.stats();
  return {
    protocol: publish.attempt.secure ? 'rtmps' : 'rtmp',
    format: 'flv',
    source: {
      width: media.width ?? 1280,
      height: media.height ?? 720,
      fps: media.fps ?? stats.fps,
      videoBitrate: stats.bitrateBps || null,
      keyframeIntervalMs: stats.keyframeIntervalMs,
      hasAudio: media.audioCodec !== null,
      videoCodec: media.videoCodec ?? 'h264',
      audioCodec: media.audioCodec,
      videoCodecString: media.videoCodecString,
      audioCodecString: media.audioCodecString,
    },
    open: (opts) => publish.openFlv(opts),
    bitrateBps: () => publish.stats().bitrateBps,
    mediaMs: () => publish.stats().lastVideoMs,
    fps: () => publish.stats().fps,
    keyframeIntervalMs: () => publish.stats().keyframeIntervalMs,
    openedAtMediaMs: () => publish.feedStartMs(),
    kick: (reason) => publish.close(reason),
    onEnd: (cb) => {
      if (gone.why !== null) queueMicrotask(() => cb(gone.why ?? 'ended'));
      else publish.once('end', (why: string) => cb(why));
    },
  };
}

function srtIngest(listener: SrtListener, e: { source: LiveSource; stream: Readable }): LiveIngest {
  const rate = new ByteRate();
  const ts = new TsSwitch(e.stream, (n) => rate.add(n));
  return {
    protocol: 'srt',
    format: 'mpegts',
    source: e.source,
    open: () => ts.open(),
    bitrateBps: () => rate.bitsPerSecond(),
    // MPEG-TS timestamps are not read here: the transcoder's own lag signal covers SRT.
    mediaMs: () => null,
    fps: () => e.source.fps,
    keyframeIntervalMs: () => e.source.keyframeIntervalMs,
    openedAtMediaMs: () => null,
    kick: () => void listener.stop(),
    onEnd: (cb) => {
      listener.once('end', () => cb('caller left'));
    },
  };
}

/** Listens, or fails start-up with the setting to change (another program has the port, say). */
async function listenOrSay(
  server: { listen(port: number, host: string): Promise<number> },
  port: number,
  host: string,
  setting: string,
): Promise<number> {
  try {
    return await server.listen(port, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      `Live ingest cannot listen on ${host}:${port} (${code ?? (err as Error).message}): free the port or set ${setting} to another one.`,
      { cause: err },
    );
  }
}

async function waitFor(ready: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ready() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}
