// WebRTC playback (WHEP) of a live stream: real ffmpeg publishing over RTMP to the server, Debian's
// Chromium receiving over a real RTCPeerConnection, frames decoded and audio received.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium } from './helpers/browser.ts';
import { type LiveStreamBody, type Publisher, publishRtmp, waitForStream } from './helpers/live.ts';
import { freePort } from './helpers/processes.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';
import { openWhepPage, whepReceived as received, startWhep, whepOffer } from './helpers/whep-client.ts';

describe('live: WebRTC playback (WHEP)', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let stream: LiveStreamBody;
  let publisher: Publisher | null = null;

  const viewers = () => server.live.localWhep.hub?.viewers ?? -1;
  const whepUrl = () => `/play/${stream.playback_ids[0]?.id}/whep`;
  const post = (body: string, type = 'application/sdp') =>
    fetch(new URL(whepUrl(), server.url), { method: 'POST', headers: { 'content-type': type }, body });

  before(async () => {
    server = await startTestServer({
      FRAMEHOUSE_RTMP_PORT: String(await freePort()),
      // 360p copied + 240p encoded (the WebRTC rung) on this 2-core machine.
      FRAMEHOUSE_LIVE_MAX_RUNGS: '2',
      FRAMEHOUSE_WHEP_MAX_VIEWERS: '1',
    });
    browser = await launchChromium();
    const res = await server.api<{ data: LiveStreamBody }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'WebRTC', reconnect_window: 30 }),
    });
    assert.equal(res.status, 201);
    stream = res.body.data;
  });
  after(async () => {
    await publisher?.stop();
    await browser?.close();
    await server?.stop();
  });

  test('before the stream is on air: 404 coded; a body that is not an offer: 400 coded', async () => {
    const notOnAir = await post('v=0\r\n');
    // The body is checked first: not an offer is a 400 whatever the stream does.
    assert.equal(notOnAir.status, 400);
    assert.equal(
      ((await notOnAir.json()) as { error: { code: string } }).error.code,
      'FH_ERR_WHEP_BAD_OFFER',
    );
    const page = await browser.newPage();
    try {
      await openWhepPage(page, server.url);
      const r = await startWhep(page, whepUrl());
      assert.equal(r.status, 404, r.error);
      assert.equal((JSON.parse(r.error) as { error: { code: string } }).error.code, 'FH_ERR_LIVE_NOT_ON_AIR');
    } finally {
      await page.close();
    }
    const unknown = await fetch(new URL('/play/doesnotexist1/whep', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: 'v=0\r\n',
    });
    assert.equal(unknown.status, 404);
    assert.equal(
      ((await unknown.json()) as { error: { code: string } }).error.code,
      'FH_ERR_PLAYBACK_NOT_FOUND',
    );
  });

  test('Chromium plays the stream: frames decode, audio arrives; the cap answers 503; a reconnect goes on; DELETE ends it', async () => {
    publisher = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 120 });
    await waitForStream(server.api, stream.id, (s) => s.status === 'active', 20_000);
    const page = await browser.newPage();
    await openWhepPage(page, server.url);
    const r = await startWhep(page, whepUrl());
    assert.equal(r.status, 201, r.error);
    assert.match(r.location ?? '', new RegExp(`^${whepUrl()}/[A-Za-z0-9_-]{16,}$`));
    const playing = await waitForValue(
      () => received(page),
      (s) => s.framesDecoded > 60 && s.presented > 30 && s.audioPackets > 100,
      { timeoutMs: 30_000, intervalMs: 250, what: 'frames decoded and audio received over WebRTC' },
    );
    assert.equal(playing.height, 240, 'the encoded 240p rung, not the copied source');
    assert.equal(viewers(), 1);

    // Bad offers: coded 400s, and the server goes on.
    const garbage = await post('this is not sdp');
    assert.equal(garbage.status, 400);
    const noH264 = await post(
      'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AA\r\na=ice-ufrag:x\r\na=ice-pwd:y\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n',
    );
    assert.equal(noH264.status, 400);
    assert.match(((await noH264.json()) as { error: { message: string } }).error.message, /H\.264/);
    const wrongType = await post('v=0\r\n', 'text/plain');
    assert.equal(wrongType.status, 415);

    // The node's cap (1 here): the next viewer is told to come back later.
    const second = await browser.newPage();
    try {
      await openWhepPage(second, server.url);
      const refused = await startWhep(second, whepUrl());
      assert.equal(refused.status, 503, refused.error);
      assert.equal((JSON.parse(refused.error) as { error: { code: string } }).error.code, 'FH_ERR_WHEP_FULL');
    } finally {
      await second.close();
    }
    const capped = await post(await whepOffer(page));
    assert.equal(capped.status, 503);
    assert.ok(Number(capped.headers.get('retry-after')) > 0, 'Retry-After says when to try again');

    // The broadcaster drops and comes back (a new ffmpeg, a new RTP source): the same session goes on.
    await publisher.stop();
    await waitForStream(server.api, stream.id, (s) => s.status === 'disconnected', 15_000);
    const before = (await received(page)).framesDecoded;
    publisher = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 120 });
    await waitForStream(server.api, stream.id, (s) => s.status === 'active', 20_000);
    await waitForValue(
      () => received(page),
      (s) => s.framesDecoded > before + 60,
      {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: 'frames of the reconnected broadcast over the same session',
      },
    );
    assert.equal(viewers(), 1);

    // DELETE ends the session on the node; a second DELETE finds nothing.
    const location = r.location ?? '';
    const del = await fetch(new URL(location, server.url), { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal(viewers(), 0);
    const again = await fetch(new URL(location, server.url), { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(
      ((await again.json()) as { error: { code: string } }).error.code,
      'FH_ERR_WHEP_SESSION_NOT_FOUND',
    );
    // What was already on its way drains (the receiver's jitter buffer, a busy decoder), then nothing.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stalled = (await received(page)).framesDecoded;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await received(page);
    assert.ok(
      after.framesDecoded - stalled < 5,
      `no frames after DELETE (${stalled} → ${JSON.stringify(after)})`,
    );
    await page.close();
  });

  test('a viewer who goes away without DELETE is cleaned up when the broadcast ends', async () => {
    const page = await browser.newPage();
    await openWhepPage(page, server.url);
    const r = await startWhep(page, whepUrl());
    assert.equal(r.status, 201, r.error);
    await waitForValue(
      () => received(page),
      (s) => s.framesDecoded > 10,
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    assert.equal(viewers(), 1);
    const complete = await server.api(`/v1/live-streams/${stream.id}/complete`, { method: 'POST' });
    assert.ok(complete.status < 300, JSON.stringify(complete.body));
    await waitForValue(viewers, (n) => n === 0, {
      timeoutMs: 10_000,
      what: 'the viewer to be ended with the broadcast',
    });
    await page.close();
  });
});
