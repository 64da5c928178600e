/**
 * WhepFeed: the RTP a broadcast's ffmpeg sends for WebRTC, received on two local UDP ports (video,
 * Opus audio) that the live node binds before ffmpeg starts, and handed to every viewer of that
 * broadcast. The ports are the broadcast's for its whole life: each new ffmpeg (a smaller ladder,
 * the broadcaster back after a drop) sends to the same ones with a new SSRC, which the viewers
 * take as a change of source (see RtpContinuity). Only packets from our own loopback reach it.
 */
import { createSocket, type Socket } from 'node:dgram';
import { type RtpView, readRtp, startsH264Keyframe } from './rtp-packet.ts';

export type RtpKind = 'video' | 'audio';

export interface FeedPacket {
  kind: RtpKind;
  data: Buffer;
  rtp: RtpView;
  /** Video only: this is the first packet of a keyframe (parameter sets or IDR). */
  keyframe: boolean;
  /** When it arrived (ms, Date.now()). */
  at: number;
}

/** A keyframe older than this is not shown to a new viewer (two GOPs: the source has stalled). */
const KEYFRAME_MAX_AGE_MS = 4_000;
/** 2 MB of 1200-byte packets: more than any keyframe of the ladder's top rung. */
const KEYFRAME_MAX_PACKETS = 1800;

export type FeedListener = (packet: FeedPacket) => void;

export class WhepFeed {
  readonly #listeners = new Set<FeedListener>();
  readonly #onEnd = new Set<(reason: string) => void>();
  #video: Socket | null = null;
  #audio: Socket | null = null;
  #ports: { video: number; audio: number } | null = null;
  #closed = false;
  /** Packets seen, for tests and metrics. */
  received = 0;
  /** The packets of the newest complete keyframe (its access unit), for a viewer's first picture. */
  #keyframe: FeedPacket[] = [];
  #building: FeedPacket[] | null = null;
  /** The newest video packet's source, timestamp and arrival. */
  #lastVideo: { ssrc: number; timestamp: number; at: number } | null = null;

  /** Binds both ports on the loopback (once; later calls answer the same ports). */
  async open(): Promise<{ video: number; audio: number }> {
    if (this.#closed) throw new Error('WhepFeed: closed');
    if (this.#ports) return this.#ports;
    const video = await bindLoopback((msg) => this.#receive('video', msg));
    const audio = await bindLoopback((msg) => this.#receive('audio', msg)).catch((err: unknown) => {
      video.socket.close();
      throw err;
    });
    if (this.#closed) {
      // Closed while binding: nothing may stay bound.
      video.socket.close();
      audio.socket.close();
      throw new Error('WhepFeed: closed');
    }
    this.#video = video.socket;
    this.#audio = audio.socket;
    this.#ports = { video: video.port, audio: audio.port };
    return this.#ports;
  }

  get ports(): { video: number; audio: number } | null {
    return this.#ports;
  }

  get closed(): boolean {
    return this.#closed;
  }

  subscribe(listener: FeedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called once when the viewer must go (the broadcast ended, no rendition left). */
  onEnd(listener: (reason: string) => void): () => void {
    this.#onEnd.add(listener);
    return () => this.#onEnd.delete(listener);
  }

  get viewers(): number {
    return this.#listeners.size;
  }

  /**
   * The newest keyframe, as long as it belongs to the source sending now and is recent (a source
   * that stalled shows nothing rather than an old picture), with where that source is now.
   */
  latestKeyframe(
    now = Date.now(),
  ): { packets: FeedPacket[]; source: { ssrc: number; timestamp: number; at: number } } | null {
    const first = this.#keyframe[0];
    const last = this.#lastVideo;
    if (!first || !last || first.rtp.ssrc !== last.ssrc || now - first.at > KEYFRAME_MAX_AGE_MS) return null;
    return { packets: this.#keyframe, source: last };
  }

  #keepKeyframe(packet: FeedPacket): void {
    this.#lastVideo = { ssrc: packet.rtp.ssrc, timestamp: packet.rtp.timestamp, at: packet.at };
    if (packet.keyframe) {
      this.#building = [packet];
    } else if (this.#building) {
      const head = this.#building[0] as FeedPacket;
      if (packet.rtp.timestamp !== head.rtp.timestamp || packet.rtp.ssrc !== head.rtp.ssrc) {
        this.#building = null; // the access unit ended without its marker: incomplete, not kept
        return;
      }
      if (this.#building.length >= KEYFRAME_MAX_PACKETS) {
        this.#building = null;
        return;
      }
      this.#building.push(packet);
    }
    if (this.#building && packet.rtp.marker) {
      this.#keyframe = this.#building;
      this.#building = null;
    }
  }

  /** The broadcast is over: both sockets close and every viewer is told. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#video?.close();
    this.#audio?.close();
    this.#video = null;
    this.#audio = null;
    this.endViewers('the broadcast ended');
  }

  /** Every viewer is ended (the feed stays open for later ones). */
  endViewers(reason: string): void {
    const ends = [...this.#onEnd];
    this.#onEnd.clear();
    this.#listeners.clear();
    for (const end of ends) end(reason);
  }

  #receive(kind: RtpKind, data: Buffer): void {
    const rtp = readRtp(data);
    if (!rtp) return;
    this.received++;
    const at = Date.now();
    // The first packet of a keyframe's access unit (x264's sliced threads make several slices, each
    // starting an IDR fragment: only the first packet of the frame is where a viewer can begin).
    const prev = this.#lastVideo;
    const keyframe =
      kind === 'video' &&
      startsH264Keyframe(data, rtp) &&
      (prev === null || prev.ssrc !== rtp.ssrc || prev.timestamp !== rtp.timestamp);
    const packet: FeedPacket = { kind, data, rtp, keyframe, at };
    if (kind === 'video') this.#keepKeyframe(packet);
    if (this.#listeners.size === 0) return;
    for (const listener of this.#listeners) listener(packet);
  }
}

function bindLoopback(onMessage: (msg: Buffer) => void): Promise<{ socket: Socket; port: number }> {
  return new Promise((resolve, reject) => {
    // A big receive buffer: a 5 Mbit/s keyframe is a burst of a few hundred packets at once.
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    socket.once('error', reject);
    socket.on('message', (msg, from) => {
      if (from.address === '127.0.0.1') onMessage(msg);
    });
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      // Errors after binding (none expected on a receive-only socket) must not take the process down.
      socket.on('error', () => {});
      resolve({ socket, port: socket.address().port });
    });
  });
}
