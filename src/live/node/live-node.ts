import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { LiveStreamRow } from '../../db/schema.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import type { UsageSink } from '../../usage/usage-records.ts';
import type { LocalPackagers } from '../origin/live-origin.ts';
import type { LivePackager, RecordedSegment } from '../packager/live-packager.ts';
import { SegmentRecorder } from '../recording/segment-recorder.ts';
import type { LiveStreamsService } from '../streams/live-streams.service.ts';
import type { LivePreset } from '../transcode/live-ffmpeg-args.ts';
import { WhepFeed } from '../whep/whep-feed.ts';
import { WhepHub } from '../whep/whep-hub.ts';
import type { LocalWhep } from '../whep/whep-origin.ts';
import { BroadcastSession, type ResumePoint } from './broadcast-session.ts';
import type { LiveIngest } from './ingest.ts';
import { IngestListeners, type PublishQuota } from './ingest-listeners.ts';

export interface LiveNodeOptions {
  /** This node's id (the same across restarts of one process is not needed: a new one is fine). */
  id: string;
  host: string;
  rtmpPort: number;
  rtmpsPort: number;
  tls: { cert: Buffer; key: Buffer } | null;
  srtEnabled: boolean;
  internalUrl: string;
  maxStreams: number;
  maxBitrateKbps: number;
  maxRungs: number;
  dvrSeconds: number;
  ffmpegPath: string;
  x264Preset: LivePreset;
  /** WebRTC playback (WHEP): viewers per node (0: off), the address to announce, the UDP ports. */
  whep: { maxViewers: number; publicIp: string | null; portRange: [number, number] | null };
}

/** How often the node says it is alive, and checks what other nodes and the API changed. */
const SWEEP_MS = 2_000;
/** A node not seen for this long is dead: its streams turn disconnected. */
const NODE_DEAD_SECONDS = 10;
/** An ended broadcast's packager answers late viewers (ENDLIST) this long before it goes. */
const ENDED_LINGER_MS = 30_000;

interface Held {
  stream: LiveStreamRow;
  session: BroadcastSession;
  recorder: SegmentRecorder;
  windowTimer?: NodeJS.Timeout;
  /** Until markActive has answered, the database does not name this node yet: the sweep waits. */
  activating: boolean;
}

/**
 * A live node: RTMP(S) and SRT ingest, one broadcast session per stream on air here, their
 * recording, and the node's presence in the database (api nodes find it there, other live nodes
 * take its streams over when it dies). The database row of a stream is the truth about where it
 * is: a session whose stream moved to another node, or was ended through the API, goes.
 */
export class LiveNode implements LocalPackagers, LocalWhep {
  readonly nodeId: string;
  readonly #o: LiveNodeOptions;
  readonly #streams: LiveStreamsService;
  readonly #store: ObjectStore;
  readonly #log: Logger;
  readonly #usage: UsageSink | null;
  readonly #held = new Map<string, Held>();
  readonly #byBroadcast = new Map<string, BroadcastSession>();
  readonly #listeners: IngestListeners;
  #sweeper: NodeJS.Timeout | undefined;
  #sweeping = false;
  #stopped = false;
  rtmpPort = 0;
  /** This node's WebRTC viewers. */
  readonly hub: WhepHub;

  constructor(
    o: LiveNodeOptions,
    deps: {
      streams: LiveStreamsService;
      store: ObjectStore;
      log: Logger;
      usage?: UsageSink | null;
      /** The owner's live_streams quota (src/quotas), checked before a publish is accepted. */
      quota?: PublishQuota;
    },
  ) {
    this.#o = o;
    this.#usage = deps.usage ?? null;
    this.nodeId = o.id;
    this.#streams = deps.streams;
    this.#store = deps.store;
    this.#log = deps.log.child({ component: 'live', node: o.id });
    this.hub = new WhepHub({ ...o.whep, log: this.#log });
    this.#listeners = new IngestListeners(
      {
        host: o.host,
        rtmpPort: o.rtmpPort,
        rtmpsPort: o.rtmpsPort,
        tls: o.tls,
        srtEnabled: o.srtEnabled,
        ffmpegPath: o.ffmpegPath,
      },
      {
        streams: this.#streams,
        log: this.#log,
        admit: (stream) => this.#admit(stream),
        ...(deps.quota ? { quota: deps.quota } : {}),
        onIngest: (stream, ingest, activated) => this.#onIngest(stream, ingest, activated),
      },
    );
  }

  packager(broadcastId: string): LivePackager | null {
    return this.#byBroadcast.get(broadcastId)?.packager ?? null;
  }

  feed(broadcastId: string) {
    const session = this.#byBroadcast.get(broadcastId);
    return session && !session.ended ? session.whep : null;
  }

  async start(): Promise<void> {
    this.rtmpPort = await this.#listeners.start();
    await this.#register();
    this.#sweeper = setInterval(() => void this.#sweep(), SWEEP_MS);
    this.#sweeper.unref();
    this.#log.info({ rtmpPort: this.rtmpPort }, 'live node started');
  }

  /**
   * Stops ingest. Broadcasts on air turn `disconnected`, not ended: their encoders reconnect
   * (through the load balancer, to another live node) within the reconnect window and go on.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#sweeper);
    this.hub.closeAll();
    await this.#listeners.stop();
    await Promise.all(
      [...this.#held.values()].map(async (h) => {
        clearTimeout(h.windowTimer);
        await h.session.detach();
        h.session.whep?.feed.close();
        await h.recorder.flush();
        if (!h.session.ended) await this.#streams.markDisconnected(h.stream.id).catch(() => {});
      }),
    );
    await this.#streams.removeNode(this.nodeId).catch(() => {});
  }

  /** Where api nodes and other live nodes find this one (again, after another node thought it dead). */
  #register(): Promise<void> {
    return this.#streams.registerNode({
      id: this.nodeId,
      host: hostname(),
      internalUrl: this.#o.internalUrl,
      rtmpPort: this.rtmpPort,
      maxStreams: this.#o.maxStreams,
    });
  }

  /** Ends a stream's broadcast here now (the API completed or disabled it). */
  async kick(streamId: string): Promise<void> {
    const held = this.#held.get(streamId);
    if (held) await this.#finish(held, 'ended by the API', { alreadyIdle: true });
  }

  /** May this node take one more broadcaster for this stream? A reason when not. */
  #admit(stream: LiveStreamRow): { code: 'FH_ERR_LIVE_NODE_FULL'; message: string } | null {
    const here = this.#held.get(stream.id);
    const busy = [...this.#held.values()].filter((h) => h.session.connected && h !== here).length;
    if (busy >= this.#o.maxStreams) {
      return {
        code: 'FH_ERR_LIVE_NODE_FULL',
        message: `This live node is at its limit of ${this.#o.maxStreams} streams: try again later or on another node.`,
      };
    }
    return null;
  }

  /** A broadcaster was accepted (key, codecs and limits checked): start or go on with its broadcast. */
  async #onIngest(stream: LiveStreamRow, ingest: LiveIngest, activated: () => void): Promise<void> {
    const log = this.#log.child({ stream: stream.id });
    let held = this.#held.get(stream.id);
    if (held?.session.ended) held = undefined;
    if (held) {
      // Back within the reconnect window, on this node: the same broadcast goes on.
      clearTimeout(held.windowTimer);
      held.stream = stream;
      held.activating = true;
      await held.session.whep?.feed
        .open()
        .catch((err: unknown) => log.warn({ err }, 'WebRTC ports could not be bound'));
      held.session.attach(ingest);
      ingest.onEnd((why) => void this.#onIngestEnd(held as Held, ingest, why));
    } else {
      const resumed = stream.status === 'disconnected' ? await this.#resume(stream) : null;
      const broadcast =
        resumed?.broadcast ?? (await this.#streams.startBroadcast(stream.id, { nodeId: this.nodeId }));
      held = this.#hold(stream, broadcast.id, broadcast.started_at, resumed?.point);
      // The ports ffmpeg sends WebRTC's RTP to, bound before it starts (it only sends).
      await held.session.whep?.feed
        .open()
        .catch((err: unknown) => log.warn({ err }, 'WebRTC ports could not be bound'));
      held.session.attach(ingest);
      // Heard from now on: a publisher that leaves while the stream is being marked active
      // still starts the reconnect window.
      const h = held;
      ingest.onEnd((why) => void this.#onIngestEnd(h, ingest, why));
    }
    const h = held;
    const went = await this.#streams
      .markActive(stream.id, {
        nodeId: this.nodeId,
        broadcastId: h.session.settings.broadcastId,
        current: h.session.current(),
      })
      .finally(() => {
        h.activating = false;
        // Active in the database now (or refused): the publish stops counting as pending for
        // the owner's live_streams quota here, not once the renditions are saved.
        activated();
      });
    if (!went) {
      // Another publisher won the race for this stream, or it was disabled meanwhile.
      log.info('stream went live elsewhere or was disabled meanwhile: dropping this publisher');
      ingest.kick('stream busy');
      await this.#finish(h, 'stream busy', { alreadyIdle: true });
      if (!resumedBroadcast(stream, h)) await this.#streams.endBroadcast(h.session.settings.broadcastId);
      return;
    }
    await this.#streams
      .setBroadcastRenditions(h.session.settings.broadcastId, h.session.current().renditions)
      .catch(() => {});
    // It left before the stream was marked active (markDisconnected found nothing to change then).
    if (!h.session.connected && !h.session.ended)
      await this.#streams.markDisconnected(stream.id).catch(() => false);
    log.info({ broadcast: h.session.settings.broadcastId, protocol: ingest.protocol }, 'broadcast on air');
  }

  #hold(stream: LiveStreamRow, broadcastId: string, startedAt: string, resume?: ResumePoint): Held {
    const recorder = new SegmentRecorder({
      store: this.#store,
      broadcastId,
      log: this.#log,
      saveRow: (row) => this.#streams.addSegment(row),
    });
    const session = new BroadcastSession(
      {
        streamId: stream.id,
        broadcastId,
        lowLatency: stream.latency_mode === 'low',
        startedAt,
        owner: stream.created_by,
      },
      {
        ffmpegPath: this.#o.ffmpegPath,
        x264Preset: this.#o.x264Preset,
        maxRungs: this.#o.maxRungs,
        dvrSeconds: this.#o.dvrSeconds,
        maxBitrateBps: this.#o.maxBitrateKbps * 1000,
        log: this.#log,
        onSegment: (s) => recorder.add(s),
        onCurrent: (current) =>
          void this.#streams
            .updateCurrent(stream.id, current)
            .catch((err: unknown) => this.#log.warn({ err }, 'could not save the stream state')),
        onRefused: (code, message) =>
          void this.#streams
            .recordRefusal(
              stream.id,
              code === 'bitrate_too_high' ? 'FH_ERR_LIVE_BITRATE_TOO_HIGH' : 'FH_ERR_LIVE_INPUT_REFUSED',
              message,
            )
            .catch(() => {}),
        whep: this.hub.enabled ? new WhepFeed() : null,
        usage: this.#usage,
      },
      resume,
    );
    const held: Held = { stream, session, recorder, activating: true };
    this.#held.set(stream.id, held);
    this.#byBroadcast.set(broadcastId, session);
    return held;
  }

  /** The broadcast another node was packaging when it died (or lost its encoder): go on from its recording. */
  async #resume(stream: LiveStreamRow) {
    const broadcast = await this.#streams.resumeBroadcast(stream.id, { nodeId: this.nodeId });
    if (!broadcast) return null;
    const rows = await this.#streams.listSegments(broadcast.id);
    const byRendition: Record<string, RecordedSegment[]> = {};
    for (const r of rows) {
      const list = byRendition[r.rendition] ?? [];
      byRendition[r.rendition] = list;
      list.push({
        msn: r.msn,
        duration: r.duration,
        programDateTime: r.program_date_time,
        discontinuity: r.discontinuity === 1,
        initId: r.init_id,
      });
    }
    const point: ResumePoint = {
      nextMsn: broadcast.next_msn,
      discontinuitySequence: broadcast.discontinuity_sequence,
      segments: byRendition,
    };
    return { broadcast, point };
  }

  /** The broadcaster left: playback holds, and the reconnect window starts. */
  async #onIngestEnd(held: Held, ingest: LiveIngest, why: string): Promise<void> {
    if (this.#stopped || held.session.ended) return;
    // A newer connection already replaced this one (here, or a newer broadcast of the stream).
    if (this.#held.get(held.stream.id) !== held || !held.session.holds(ingest)) return;
    await held.session.detach();
    const streamId = held.stream.id;
    const windowSeconds = held.stream.reconnect_window;
    this.#log.info(
      { stream: streamId, why, protocol: ingest.protocol, windowSeconds },
      'broadcaster disconnected',
    );
    await this.#streams
      .markDisconnected(streamId)
      .catch((err: unknown) => this.#log.warn({ err }, 'markDisconnected failed'));
    held.windowTimer = setTimeout(() => {
      if (!held.session.connected) void this.#finish(held, 'reconnect window passed');
    }, windowSeconds * 1000);
    held.windowTimer.unref();
  }

  /** The broadcast is over here: playlists end, the recording is flushed, the stream turns idle. */
  async #finish(held: Held, reason: string, opts: { alreadyIdle?: boolean } = {}): Promise<void> {
    clearTimeout(held.windowTimer);
    if (this.#held.get(held.stream.id) === held) this.#held.delete(held.stream.id);
    await held.session.end(reason);
    await held.recorder.flush();
    if (!opts.alreadyIdle) await this.#streams.markIdle(held.stream.id, reason).catch(() => null);
    const broadcastId = held.session.settings.broadcastId;
    setTimeout(() => {
      if (this.#byBroadcast.get(broadcastId) === held.session) this.#byBroadcast.delete(broadcastId);
    }, ENDED_LINGER_MS).unref();
  }

  /**
   * Every few seconds: say this node is alive; drop sessions the database says are over or
   * elsewhere (completed or disabled through any api node, taken over by another live node);
   * turn the streams of dead nodes disconnected, and end broadcasts whose window has passed
   * with no node holding them.
   */
  async #sweep(): Promise<void> {
    if (this.#sweeping || this.#stopped) return;
    this.#sweeping = true;
    try {
      const connected = [...this.#held.values()].filter((h) => h.session.connected).length;
      if (!(await this.#streams.heartbeat(this.nodeId, connected))) await this.#register();
      for (const held of [...this.#held.values()]) {
        if (held.activating) continue;
        const row = await this.#streams.row(held.stream.id);
        const ours =
          row && row.broadcast_id === held.session.settings.broadcastId && row.node_id === this.nodeId;
        if (!ours || row.status === 'idle' || row.status === 'disabled') {
          await this.#finish(held, 'ended or moved elsewhere', { alreadyIdle: true });
        } else {
          held.stream = row;
        }
      }
      for (const node of await this.#streams.nodesNotSeenFor(NODE_DEAD_SECONDS)) {
        if (node.id === this.nodeId) continue;
        const streams = await this.#streams.nodeLost(node.id);
        await this.#streams.removeNode(node.id);
        this.#log.warn(
          { deadNode: node.id, streams },
          'a live node stopped answering: its streams are disconnected',
        );
      }
      for (const stream of await this.#streams.disconnectedPastWindow()) {
        if (this.#held.has(stream.id)) continue; // our own timer ends it
        await this.#streams.markIdle(stream.id, 'reconnect window passed');
      }
      await this.#listeners.reconcileSrt();
    } catch (err) {
      this.#log.warn({ err }, 'live node sweep failed');
    } finally {
      this.#sweeping = false;
    }
  }
}

function resumedBroadcast(stream: LiveStreamRow, held: Held): boolean {
  return stream.broadcast_id === held.session.settings.broadcastId;
}
