/**
 * WhepOrigin: WHEP on any node. The node holding a broadcast answers offers itself (its WhepHub,
 * the broadcast's WhepFeed); any other node (an api node, or a sibling HTTP process of `serve`)
 * forwards the offer and the DELETE to the holding node's internal URL, as LiveOrigin does with
 * playlists. Only the SDP exchange is proxied: media goes by UDP between the viewer and the live
 * node, which announces its own addresses in the answer.
 */
import { AppError, ERROR_CODES, type ErrorCode } from '../../shared/errors.ts';
import { holdingNodeUrl, INTERNAL_HEADER, type LiveTarget, withToken } from '../origin/live-origin.ts';
import { chooseFromOffer } from './sdp-offer.ts';
import type { WhepFeed } from './whep-feed.ts';
import type { WhepHub } from './whep-hub.ts';

/** The WebRTC side of this process's live node (none in the api role). */
export interface LocalWhep {
  readonly nodeId: string | null;
  readonly hub: WhepHub | null;
  /** The feed of a broadcast held here, and whether it has a rendition WebRTC can carry now. */
  feed(broadcastId: string): { feed: WhepFeed; available: boolean } | null;
}

export interface WhepOffered {
  sessionId: string;
  answer: string;
}

const PROXY_TIMEOUT_MS = 15_000;

export class WhepOrigin {
  readonly #local: LocalWhep;

  constructor(deps: { local: LocalWhep }) {
    this.#local = deps.local;
  }

  /** Answers a viewer's offer here or on the node holding the broadcast. */
  async offer(
    playbackId: string,
    target: LiveTarget,
    req: { offer: string; hop: boolean; token?: string | undefined },
  ): Promise<WhepOffered> {
    // A body that is no offer is the viewer's mistake whatever the stream is doing, on any node.
    const choice = chooseFromOffer(req.offer);
    if ('problem' in choice) throw new AppError('FH_ERR_WHEP_BAD_OFFER', choice.problem);
    const broadcastId = onAir(target);
    const held = this.#local.feed(broadcastId);
    if (held) {
      const hub = this.#local.hub;
      if (!hub?.enabled || !held.available) throw new AppError('FH_ERR_WHEP_UNAVAILABLE');
      return hub.open(broadcastId, held.feed, req.offer, choice);
    }
    const base = this.#remoteBase(target, req.hop);
    const res = await forward(withToken(`${base}/play/${playbackId}/whep`, req.token), {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', [INTERNAL_HEADER]: '1' },
      body: req.offer,
    });
    if (res.status !== 201) throw await upstreamError(res);
    const sessionId = /\/whep\/([^/?]+)$/.exec(res.headers.get('location') ?? '')?.[1];
    if (!sessionId) throw new AppError('FH_ERR_LIVE_NODE_UNREACHABLE');
    return { sessionId, answer: await res.text() };
  }

  /** Ends a viewer's session here or on the node holding the broadcast. */
  async stop(
    playbackId: string,
    target: LiveTarget,
    req: { sessionId: string; hop: boolean; token?: string | undefined },
  ): Promise<void> {
    const broadcastId = target.broadcastId;
    if (broadcastId && this.#local.feed(broadcastId)) {
      if (!this.#local.hub?.close(broadcastId, req.sessionId))
        throw new AppError('FH_ERR_WHEP_SESSION_NOT_FOUND');
      return;
    }
    if (!broadcastId || target.status === 'idle' || target.status === 'disabled')
      throw new AppError('FH_ERR_WHEP_SESSION_NOT_FOUND');
    const base = this.#remoteBase(target, req.hop);
    const res = await forward(
      withToken(`${base}/play/${playbackId}/whep/${encodeURIComponent(req.sessionId)}`, req.token),
      { method: 'DELETE', headers: { [INTERNAL_HEADER]: '1' } },
    );
    if (res.status !== 204) throw await upstreamError(res);
  }

  /** The internal URL of the node holding the broadcast, when it is another one. */
  #remoteBase(target: LiveTarget, hop: boolean): string {
    const url = hop ? null : holdingNodeUrl(target, this.#local.nodeId);
    if (url) return url;
    // On air, but no live node holds it right now (its node died; the encoder has not reconnected).
    throw new AppError('FH_ERR_LIVE_NODE_UNREACHABLE');
  }
}

function onAir(target: LiveTarget): string {
  if (!target.broadcastId || (target.status !== 'active' && target.status !== 'disconnected'))
    throw new AppError(
      'FH_ERR_LIVE_NOT_ON_AIR',
      target.status === 'disabled' ? 'This live stream is disabled.' : undefined,
    );
  return target.broadcastId;
}

async function forward(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(PROXY_TIMEOUT_MS) });
  } catch {
    throw new AppError('FH_ERR_LIVE_NODE_UNREACHABLE');
  }
}

/** The holding node's coded error, passed on as it was (its code, message, status). */
async function upstreamError(res: Response): Promise<AppError> {
  let body: { error?: { code?: string; message?: string } } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {}
  const code = body.error?.code;
  if (code && code in ERROR_CODES) return new AppError(code as ErrorCode, body.error?.message);
  return new AppError('FH_ERR_LIVE_NODE_UNREACHABLE');
}
