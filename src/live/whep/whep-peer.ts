/**
 * WhepPeer: one WebRTC viewer. A werift RTCPeerConnection answering the viewer's offer with
 * sendonly H.264 and Opus, fed the broadcast's RTP as ffmpeg sent it: only the SSRC, payload type
 * (werift's sender sets both as negotiated), sequence numbers and timestamps (RtpContinuity) change.
 *
 * Starting: once the connection is up, the viewer gets the newest keyframe at once (restamped as
 * "now", so its first picture is shown within a round trip instead of up to a GOP later), then the
 * live packets from the next keyframe on (the frames between would refer to pictures it never got).
 * The same wait follows every change of source.
 *
 * Ending: ICE failed or closed, disconnected for DISCONNECTED_GRACE_MS, never connected within
 * CONNECT_TIMEOUT_MS, DELETE, or the broadcast's end: `close()` closes the connection (its UDP
 * sockets with it) and says so once through `onClose`.
 */
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  useAbsSendTime,
  useNACK,
  usePLI,
  useSdesMid,
} from 'werift';
import { RtpContinuity } from './rtp-continuity.ts';
import type { OfferChoice } from './sdp-offer.ts';
import type { FeedPacket, WhepFeed } from './whep-feed.ts';

export interface WhepPeerOptions {
  /** UDP ports ICE may bind (FRAMEHOUSE_WHEP_PORTS); undefined: any. */
  portRange?: [number, number] | undefined;
  onClose(reason: string): void;
}

const CONNECT_TIMEOUT_MS = 20_000;
const DISCONNECTED_GRACE_MS = 5_000;
/** Host candidates only (no STUN): gathering is local, but never wait for it forever. */
const GATHER_TIMEOUT_MS = 3_000;
/** A stand-in SSRC for the restamped first keyframe: any live source differs from it. */
const FIRST_PICTURE = -1;

interface Track {
  transceiver: RTCRtpTransceiver;
  continuity: RtpContinuity;
}

export class WhepPeer {
  readonly pc: RTCPeerConnection;
  readonly #feed: WhepFeed;
  readonly #o: WhepPeerOptions;
  readonly #video: Track | null = null;
  readonly #audio: Track | null = null;
  #unsubscribe: (() => void) | null = null;
  #unsubscribeEnd: (() => void) | null = null;
  #connected = false;
  /** Video waits for a keyframe of the source now sending. */
  #waiting = true;
  #closed = false;
  #timers: NodeJS.Timeout[] = [];
  #disconnectTimer: NodeJS.Timeout | undefined;
  /** Packets sent, for tests and metrics. */
  sent = 0;

  constructor(feed: WhepFeed, choice: OfferChoice, o: WhepPeerOptions) {
    this.#feed = feed;
    this.#o = o;
    const feedback = (offered: string[]) => [
      ...(offered.includes('nack') ? [useNACK()] : []),
      ...(offered.includes('nack pli') ? [usePLI()] : []),
    ];
    this.pc = new RTCPeerConnection({
      codecs: {
        video: choice.video
          ? [
              new RTCRtpCodecParameters({
                mimeType: 'video/H264',
                clockRate: 90_000,
                payloadType: choice.video.payloadType,
                parameters: choice.video.parameters,
                rtcpFeedback: feedback(choice.video.feedback),
              }),
            ]
          : [],
        audio: choice.audio
          ? [
              new RTCRtpCodecParameters({
                mimeType: 'audio/opus',
                clockRate: 48_000,
                channels: 2,
                payloadType: choice.audio.payloadType,
                parameters: choice.audio.parameters || 'minptime=10;useinbandfec=1',
              }),
            ]
          : [],
      },
      headerExtensions: { video: [useSdesMid(), useAbsSendTime()], audio: [useSdesMid(), useAbsSendTime()] },
      ...(o.portRange ? { icePortRange: o.portRange } : {}),
      iceUseIpv6: false,
      iceUseTcp: false,
      bundlePolicy: 'max-bundle',
    });
    if (choice.video)
      this.#video = {
        transceiver: this.pc.addTransceiver('video', { direction: 'sendonly' }),
        continuity: new RtpContinuity(90_000),
      };
    if (choice.audio)
      this.#audio = {
        transceiver: this.pc.addTransceiver('audio', { direction: 'sendonly' }),
        continuity: new RtpContinuity(48_000),
      };
    this.pc.connectionStateChange.subscribe((state) => this.#onState(state));
    this.#timers.push(
      setTimeout(() => {
        if (!this.#connected) this.close('the viewer never connected');
      }, CONNECT_TIMEOUT_MS),
    );
  }

  /** Answers the offer (all host candidates in it: WHEP without trickle). */
  async answer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
        this.pc.iceGatheringStateChange.subscribe((state) => {
          if (state === 'complete') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    }
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new Error('no local description');
    this.#unsubscribe = this.#feed.subscribe((p) => this.#forward(p));
    this.#unsubscribeEnd = this.#feed.onEnd((reason) => this.close(reason));
    return sdp;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    clearTimeout(this.#disconnectTimer);
    this.#unsubscribe?.();
    this.#unsubscribeEnd?.();
    void this.pc.close().catch(() => {});
    this.#o.onClose(reason);
  }

  #onState(state: string): void {
    if (state === 'connected') {
      clearTimeout(this.#disconnectTimer);
      if (!this.#connected) {
        this.#connected = true;
        this.#firstPicture();
      }
    } else if (state === 'failed' || state === 'closed') {
      this.close(`connection ${state}`);
    } else if (state === 'disconnected') {
      clearTimeout(this.#disconnectTimer);
      this.#disconnectTimer = setTimeout(() => this.close('connection lost'), DISCONNECTED_GRACE_MS);
    }
  }

  /** The newest keyframe, restamped to where the source is now, so the first picture shows at once. */
  #firstPicture(): void {
    const track = this.#video;
    const latest = this.#feed.latestKeyframe();
    if (!track || !latest) return;
    const now = Date.now();
    const ts = (latest.source.timestamp + Math.round((now - latest.source.at) * 90)) >>> 0;
    latest.packets.forEach((p, i) => {
      const out = track.continuity.map(FIRST_PICTURE, i, ts, now);
      this.#send(track, p.data, out.seq, out.ts);
    });
  }

  #forward(p: FeedPacket): void {
    if (!this.#connected || this.#closed) return;
    const track = p.kind === 'video' ? this.#video : this.#audio;
    if (!track) return;
    if (p.kind === 'video') {
      if (track.continuity.isNewSource(p.rtp.ssrc) && !p.keyframe) this.#waiting = true;
      if (this.#waiting) {
        if (!p.keyframe) return;
        this.#waiting = false;
      }
    }
    const out = track.continuity.map(p.rtp.ssrc, p.rtp.sequenceNumber, p.rtp.timestamp, p.at);
    this.#send(track, p.data, out.seq, out.ts);
  }

  #send(track: Track, data: Buffer, seq: number, ts: number): void {
    const copy = Buffer.from(data);
    copy.writeUInt16BE(seq, 2);
    copy.writeUInt32BE(ts, 4);
    this.sent++;
    track.transceiver.sender.sendRtp(copy).catch(() => {});
  }
}
