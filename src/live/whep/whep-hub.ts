/**
 * WhepHub: the WebRTC viewers of one live node, across its broadcasts. It holds the node's cap
 * (FRAMEHOUSE_WHEP_MAX_VIEWERS), answers offers with a new WhepPeer on the broadcast's feed, and
 * forgets a peer when it ends for any reason (so the count, and the UDP sockets, never leak).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.ts';
import { announceAddress, type OfferChoice } from './sdp-offer.ts';
import type { WhepFeed } from './whep-feed.ts';
import type { WhepPeer } from './whep-peer.ts';

/**
 * werift (through whep-peer.ts) is loaded with the first WebRTC viewer, not at start-up: it adds
 * about 39 MB and 150 ms to every live node and `serve`, most of which never get a WHEP viewer.
 */
let peerModule: Promise<typeof import('./whep-peer.ts')> | undefined;
const loadPeer = () => {
  peerModule ??= import('./whep-peer.ts');
  return peerModule;
};

export interface WhepHubOptions {
  /** 0: WebRTC playback is off on this node. */
  maxViewers: number;
  /** The address put in the answer's host candidates (behind a 1:1 NAT), or null. */
  publicIp: string | null;
  portRange: [number, number] | null;
  log: Logger;
}

interface Session {
  broadcastId: string;
  peer: WhepPeer;
}

/** Seconds a refused viewer is told to wait: about how long a viewer who leaves takes to be noticed. */
export const WHEP_RETRY_AFTER_SECONDS = 10;
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

export class WhepHub {
  readonly #o: WhepHubOptions;
  readonly #sessions = new Map<string, Session>();
  /** Offers being answered count against the cap too (many at once must not overshoot it). */
  #pending = 0;

  constructor(o: WhepHubOptions) {
    this.#o = o;
  }

  get enabled(): boolean {
    return this.#o.maxViewers > 0;
  }

  get viewers(): number {
    return this.#sessions.size;
  }

  /**
   * Answers a viewer's offer for a broadcast's feed: the session id and the SDP answer. `choice`
   * is what chooseFromOffer made of the offer (the caller has read it already).
   */
  async open(
    broadcastId: string,
    feed: WhepFeed,
    offer: string,
    choice: OfferChoice,
  ): Promise<{ sessionId: string; answer: string }> {
    if (this.#sessions.size + this.#pending >= this.#o.maxViewers)
      throw new AppError('FH_ERR_WHEP_FULL', undefined, { retry_after: WHEP_RETRY_AFTER_SECONDS });
    if (feed.closed) throw new AppError('FH_ERR_LIVE_NOT_ON_AIR');
    const sessionId = randomBytes(16).toString('base64url');
    const log = this.#o.log.child({ whep: sessionId, broadcast: broadcastId });
    this.#pending++;
    let peer: WhepPeer | null = null;
    try {
      const { WhepPeer } = await loadPeer();
      peer = new WhepPeer(feed, choice, {
        portRange: this.#o.portRange ?? undefined,
        onClose: (reason) => {
          if (this.#sessions.get(sessionId)?.peer === peer) this.#sessions.delete(sessionId);
          log.info({ reason, sent: peer?.sent }, 'WebRTC viewer left');
        },
      });
      const answer = await peer.answer(offer);
      if (peer.closed) throw new AppError('FH_ERR_LIVE_NOT_ON_AIR');
      this.#sessions.set(sessionId, { broadcastId, peer });
      if (choice.video && !choice.video.exactProfile)
        log.info(
          { profileLevelId: choice.video.profileLevelId },
          'the viewer offered no High-capable H.264 profile: answered with a lower one',
        );
      log.info({ viewers: this.#sessions.size }, 'WebRTC viewer joined');
      return { sessionId, answer: announceAddress(answer, this.#o.publicIp) };
    } catch (err) {
      peer?.close('answering failed');
      if (err instanceof AppError) throw err;
      // werift rejected what our own check let through: still the offer's fault, and a 400.
      log.info({ err }, 'WebRTC offer could not be answered');
      throw new AppError(
        'FH_ERR_WHEP_BAD_OFFER',
        `The SDP offer could not be answered: ${(err as Error).message}`,
      );
    } finally {
      this.#pending--;
    }
  }

  /** DELETE of a session: false when there is none (of this broadcast). */
  close(broadcastId: string, sessionId: string): boolean {
    if (!SESSION_ID.test(sessionId)) return false;
    const session = this.#sessions.get(sessionId);
    if (!session || session.broadcastId !== broadcastId) return false;
    session.peer.close('the viewer stopped (DELETE)');
    this.#sessions.delete(sessionId);
    return true;
  }

  /** Every viewer goes (the node stops). */
  closeAll(): void {
    for (const { peer } of [...this.#sessions.values()]) peer.close('the live node is stopping');
    this.#sessions.clear();
  }
}
