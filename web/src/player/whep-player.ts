/**
 * A tiny WHEP client (RFC 9725) for sub-second live playback: a recvonly audio + video offer
 * POSTed to `/play/{id}/whep`, the answer applied, the stream attached to a <video>, and the
 * session DELETEd on stop. No trickle: the offer goes once its host candidates are gathered (or
 * after GATHER_WAIT_MS; the server also learns the viewer's address from its connectivity checks).
 *
 * Errors carry the server's code: FH_ERR_WHEP_FULL (503, `retryAfterSeconds` set) and
 * FH_ERR_WHEP_UNAVAILABLE mean "play HLS instead"; FH_ERR_LIVE_NOT_ON_AIR, "not live yet".
 */

import { localeHeaders } from '../api.ts';
import * as m from '../i18n/generated/messages.js';

export interface WhepOptions {
  /** The playback token of a signed playback id (sent as `Authorization: Bearer`). */
  token?: string | null;
  /** The connection was lost for good (ICE failed, or the server ended the session). */
  onEnded?: (reason: string) => void;
}

export class WhepError extends Error {
  readonly status: number;
  readonly code: string;
  /** Retry-After, s (on 503). */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, code: string, message: string, retryAfterSeconds: number | null) {
    super(message);
    this.name = 'WhepError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const GATHER_WAIT_MS = 1000;

export interface WhepSession {
  /** Stops playback: the session is DELETEd and the connection closed. */
  stop(): Promise<void>;
  readonly pc: RTCPeerConnection;
}

/** Starts WebRTC playback of `playbackId` into `video` (muted until the viewer unmutes it). */
export async function playWhep(
  video: HTMLVideoElement,
  playbackId: string,
  opts: WhepOptions = {},
): Promise<WhepSession> {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    if (video.srcObject !== stream) video.srcObject = stream;
    void video.play().catch(() => {});
  };
  // i18n-ignore: an HTTP header, not text
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  let location: string | null = null;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    pc.close();
    if (video.srcObject === stream) video.srcObject = null;
    if (location) await fetch(location, { method: 'DELETE', headers: auth }).catch(() => {});
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'failed' && !stopped) {
      void stop();
      opts.onEnded?.(m.live_whep_connection_failed());
    }
  };
  try {
    await pc.setLocalDescription();
    await gathered(pc);
    const res = await fetch(`/play/${encodeURIComponent(playbackId)}/whep`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', ...localeHeaders(), ...auth },
      body: pc.localDescription?.sdp ?? '',
    });
    if (res.status !== 201) throw await errorOf(res);
    location = new URL(res.headers.get('location') ?? '', res.url).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop, pc };
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(resolve, GATHER_WAIT_MS);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function errorOf(res: Response): Promise<WhepError> {
  let code = 'FH_ERR_INTERNAL';
  let message: string = m.live_whep_refused({ status: String(res.status) });
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {}
  const retry = Number(res.headers.get('retry-after'));
  return new WhepError(res.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : null);
}
