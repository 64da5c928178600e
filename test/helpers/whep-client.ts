/**
 * A WHEP client as any player writes one, for tests and benches to run in Chromium: recvonly
 * video and audio, the whole offer once ICE gathering is done (no trickle), the answer applied,
 * the video in a muted <video>, every presented frame counted (requestVideoFrameCallback).
 * Plain JavaScript in a string: pages under the server's CSP take `page.evaluate` of a string.
 */
import type { Page } from 'playwright-core';

export interface WhepStart {
  status: number;
  location: string | null;
  /** The error body when the status is not 201. */
  error: string;
}
export interface WhepReceived {
  framesDecoded: number;
  /** Frames presented by the <video> (requestVideoFrameCallback). */
  presented: number;
  audioPackets: number;
  width: number;
  height: number;
  state: string;
}

const CLIENT = `window.whep = {
  pcs: [],
  async start(url) {
    const pc = new RTCPeerConnection();
    const video = document.createElement('video');
    video.muted = true; video.autoplay = true; video.playsInline = true;
    document.body.append(video);
    const viewer = { pc, video, presented: 0 };
    this.pcs.push(viewer);
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const stream = new MediaStream();
    pc.ontrack = (e) => { stream.addTrack(e.track); video.srcObject = stream; video.play().catch(() => {}); };
    const onFrame = () => { viewer.presented++; video.requestVideoFrameCallback(onFrame); };
    video.requestVideoFrameCallback(onFrame);
    await pc.setLocalDescription();
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      setTimeout(resolve, 2000);
    });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
    const text = await res.text();
    if (res.status !== 201) return { status: res.status, location: null, error: text };
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
    return { status: res.status, location: res.headers.get('location'), error: '' };
  },
  async received(i) {
    const { pc, presented } = this.pcs[i];
    const out = { framesDecoded: 0, presented, audioPackets: 0, width: 0, height: 0, state: pc.connectionState };
    for (const s of (await pc.getStats()).values()) {
      if (s.type !== 'inbound-rtp') continue;
      if (s.kind === 'video') { out.framesDecoded = s.framesDecoded || 0; out.width = s.frameWidth || 0; out.height = s.frameHeight || 0; }
      if (s.kind === 'audio') out.audioPackets = s.packetsReceived || 0;
    }
    return out;
  },
  offer(i) { return this.pcs[i].pc.localDescription.sdp; },
};`;

/** Opens a bare page on the server's origin (routed here, never fetched) with the client in it. */
export async function openWhepPage(page: Page, origin: string): Promise<void> {
  await page.route(`${origin}/whep-test-page.html`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><body></body>' }),
  );
  await page.goto(`${origin}/whep-test-page.html`);
  await page.evaluate(CLIENT);
}

/** Starts viewer number `whep.pcs.length` (0, 1, …) of the page. */
export const startWhep = (page: Page, url: string) =>
  page.evaluate<WhepStart>(`window.whep.start(${JSON.stringify(url)})`);
export const whepReceived = (page: Page, viewer = 0) =>
  page.evaluate<WhepReceived>(`window.whep.received(${viewer})`);
export const whepOffer = (page: Page, viewer = 0) => page.evaluate<string>(`window.whep.offer(${viewer})`);
