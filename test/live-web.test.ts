import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { LiveStreamsService } from '../src/live/streams/live-streams.service.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
  signedInContext,
} from './helpers/browser.ts';
import { publishRtmp } from './helpers/live.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

const ADMIN_KEY = 'live-web-admin-key-0123456789abcdef';
const NODE = 'node-web-test';
/** Faster than the stream page's own refresh (6 s): a change seen within this came by the live events. */
const LIVE_EVENT_MS = 4000;
/** What the page put on the clipboard (the context may read it: permission granted). */
const clipboard = (page: Page) => page.evaluate<string>('navigator.clipboard.readText()');

interface Stream {
  id: string;
  title: string | null;
  status: string;
  stream_key?: string;
  ingest: { rtmp: string; rtmps: string | null; srt: string | null };
  playback_ids: { id: string; policy: string }[];
  latency_mode: string;
  reconnect_window: number;
  record: boolean;
}

// The live pages in Debian's Chromium against a real server; the stream's state is driven from
// here through the real LiveStreamsService, as the live node drives it.
describe('live pages in Chromium', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let live: LiveStreamsService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let stream: Stream;

  const get = async (id: string) => (await server.api<{ data: Stream }>(`/v1/live-streams/${id}`)).body.data;
  const badge = (p: Page) => p.locator('h1 .badge').getAttribute('data-status');
  const waitForBadge = (status: string, timeoutMs = LIVE_EVENT_MS) =>
    waitForValue(
      () => badge(page),
      (s) => s === status,
      { timeoutMs, intervalMs: 100, what: `the page's status badge to say ${status}` },
    );

  before(async () => {
    ensureWebBuilt();
    server = await startTestServer({
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      // Two rungs on this 2-core machine (the realtime floor), 640x360 in.
      FRAMEHOUSE_LIVE_MAX_RUNGS: '2',
    });
    live = server.live.streams;
    browser = await launchChromium();
    // An editor: streams they make are theirs, so they see the keys.
    const cookie = await signUpWithRole(server, 'host@example.com', 'a long enough password', 'editor');
    context = await signedInContext(browser, server, cookie);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    // Without a live node nothing plays yet: the player's playlist requests answer 404 (not on air).
    errors = collectErrors(page, [/\/play\/\w+\/master\.m3u8/, /status of 409/]);
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a stream is created through the page; the key is masked until shown; copied values are right', async () => {
    await page.goto('/');
    await page.getByRole('link', { name: 'Live', exact: true }).click();
    await page.getByRole('heading', { name: 'Live streams' }).waitFor();
    await page.getByText('No live streams yet').waitFor();
    await page.getByText('Create a live stream').click();
    await page.getByLabel('Title').fill('Spring sale');
    await page.getByLabel(/^Standard/).check();
    await page.getByLabel('Record each broadcast').uncheck();
    await page.getByLabel(/^Reconnect window/).fill('30');
    await screenshot(page, 'live-01-create');
    await page.getByRole('button', { name: 'Create the stream' }).click();
    await page.waitForURL(/\/streams\/\w+$/);
    const id = page.url().split('/').pop() ?? '';
    stream = await get(id);
    assert.equal(stream.title, 'Spring sale');
    assert.equal(stream.latency_mode, 'standard');
    assert.equal(stream.playback_ids[0]?.policy, 'public');
    assert.equal(stream.record, false);
    assert.equal(stream.reconnect_window, 30);
    assert.equal(await badge(page), 'idle');

    const key = page.getByLabel('Stream key', { exact: true });
    assert.equal(await key.getAttribute('type'), 'password', 'the key is masked');
    assert.equal(await key.getAttribute('data-masked'), 'true');
    assert.equal(await page.getByLabel('RTMP server URL', { exact: true }).inputValue(), stream.ingest.rtmp);
    assert.match(stream.ingest.rtmp, /^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
    await screenshot(page, 'live-02-stream-masked');
    await page.getByRole('button', { name: 'Show' }).click();
    assert.equal(await key.getAttribute('type'), 'text');
    assert.equal(await key.inputValue(), stream.stream_key);
    assert.match(stream.stream_key ?? '', /^[A-Za-z0-9]{32}$/);
    await page.getByRole('button', { name: 'Copy Stream key' }).click();
    assert.equal(await clipboard(page), stream.stream_key);
    await page.getByRole('button', { name: 'Copy RTMP server URL' }).click();
    assert.equal(await clipboard(page), stream.ingest.rtmp);
    await page.getByRole('button', { name: 'Hide' }).click();
    assert.equal(await key.getAttribute('type'), 'password');

    // The OBS settings name this server, and not the key (that stays behind its Show button).
    await page.getByText('OBS settings', { exact: true }).click();
    const obs = await page.getByLabel('Settings to enter in OBS', { exact: true }).inputValue();
    assert.ok(obs.includes(`Server: ${stream.ingest.rtmp}`), obs);
    assert.match(obs, /Keyframe Interval: 2 s/);
    assert.match(obs, /Rate Control: CBR/);
    assert.match(obs, /48 kHz/);
    assert.ok(!obs.includes(stream.stream_key ?? '-'), 'no key in the OBS block');
    await page.getByRole('button', { name: 'Copy Settings to enter in OBS' }).click();
    assert.equal(await clipboard(page), obs);
    // Public playback: the viewer page's address to share, and the player waiting for the broadcast.
    assert.equal(
      await page.getByLabel('Viewer page', { exact: true }).inputValue(),
      `${server.url}/live/${stream.playback_ids[0]?.id}`,
    );
    assert.equal(await page.locator('.live-player').getAttribute('data-phase'), 'waiting');
    await page.getByText('Waiting for the broadcast…').waitFor();
  });

  test('the status follows the live node without a reload; current shows; delete while live is refused', async () => {
    let loads = 0;
    page.on('load', () => loads++);
    const broadcast = await live.startBroadcast(stream.id, { nodeId: NODE });
    assert.ok(
      await live.markActive(stream.id, {
        nodeId: NODE,
        broadcastId: broadcast.id,
        current: {
          started_at: new Date().toISOString(),
          renditions: [
            { name: '720p', width: 1280, height: 720, bandwidth: 2_800_000 },
            { name: '360p', width: 640, height: 360, bandwidth: 800_000 },
          ],
          ingest_bitrate: 3_100_000,
          fps: 30,
          dropped_renditions: ['1080p'],
        },
      }),
    );
    await waitForBadge('active');
    await page.getByText('Your encoder is live').waitFor();
    const now = page.getByRole('region', { name: 'Stream health' });
    await now.waitFor();
    assert.equal(await now.locator('[data-field=ingest_bitrate]').textContent(), '3.1 Mb/s');
    assert.equal(await now.locator('[data-field=fps]').textContent(), '30 fps');
    assert.match(
      (await now.locator('[data-field=renditions]').textContent()) ?? '',
      /720p \(1280×720\) 2\.8 Mb\/s/,
    );
    assert.match((await now.locator('[data-field=dropped]').textContent()) ?? '', /1080p/);
    await screenshot(page, 'live-03-active');

    assert.ok(await live.markDisconnected(stream.id));
    await waitForBadge('disconnected');
    await page.getByText('The encoder dropped').waitFor();
    assert.equal(await now.count(), 0, 'no current while disconnected');

    // Deleting a stream that is broadcasting: the API refuses, and the page says what to do.
    await page.getByRole('button', { name: 'Delete' }).click();
    const said = await page.locator('.controls-message').textContent();
    assert.match(said ?? '', /broadcasting: complete it/);
    assert.equal((await get(stream.id)).status, 'disconnected', 'still there');

    // End it from the page: idle (the encoder was dropped by the API).
    await page.getByRole('button', { name: 'End the broadcast' }).click();
    await waitForBadge('idle');
    assert.equal((await get(stream.id)).status, 'idle');

    // And once more, the live node ending it (window passed).
    const again = await live.startBroadcast(stream.id, { nodeId: NODE });
    await live.markActive(stream.id, {
      nodeId: NODE,
      broadcastId: again.id,
      current: { started_at: new Date().toISOString(), renditions: [], ingest_bitrate: null, fps: null },
    });
    await waitForBadge('active');
    await live.markIdle(stream.id);
    await waitForBadge('idle');
    assert.equal(loads, 0, 'every change arrived without a page load');
  });

  test('why a publish was refused is shown prominently', async () => {
    const message = 'HEVC video is not accepted: set the encoder to H.264 (x264 or NVENC H.264).';
    await live.recordRefusal(stream.id, 'FH_ERR_LIVE_UNSUPPORTED_MEDIA', message);
    const alert = page.locator('.live-error');
    await alert.waitFor({ timeout: 15_000 });
    assert.equal(await alert.getAttribute('data-code'), 'FH_ERR_LIVE_UNSUPPORTED_MEDIA');
    assert.match((await alert.textContent()) ?? '', /HEVC video is not accepted/);
    await screenshot(page, 'live-04-refused');
  });

  test('disable and enable; reset the key; edit; the list follows', async () => {
    await page.getByRole('button', { name: 'Disable' }).click();
    await waitForBadge('disabled');
    assert.equal((await get(stream.id)).status, 'disabled');
    await page.getByRole('button', { name: 'Enable' }).click();
    await waitForBadge('idle');
    assert.equal((await get(stream.id)).status, 'idle');

    const before = stream.stream_key;
    await page.getByRole('button', { name: 'Reset stream key' }).click();
    await page.getByText('A new stream key was made').waitFor();
    const after = (await get(stream.id)).stream_key;
    assert.notEqual(after, before);
    await page.getByRole('button', { name: 'Show' }).click();
    assert.equal(await page.getByLabel('Stream key', { exact: true }).inputValue(), after);
    stream.stream_key = after;

    await page.getByText('Edit', { exact: true }).click();
    await page.getByLabel('Title', { exact: true }).fill('Spring sale, day 2');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: /Spring sale, day 2/ }).waitFor();
    assert.equal((await get(stream.id)).title, 'Spring sale, day 2');

    // The list's badge changes live too.
    await page.getByRole('link', { name: 'Live', exact: true }).click();
    const row = page.locator(`[data-stream-id="${stream.id}"]`);
    await row.waitFor();
    assert.equal(await row.locator('.badge').getAttribute('data-status'), 'idle');
    const b = await live.startBroadcast(stream.id, { nodeId: NODE });
    await live.markActive(stream.id, {
      nodeId: NODE,
      broadcastId: b.id,
      current: { started_at: new Date().toISOString(), renditions: [], ingest_bitrate: null, fps: null },
    });
    await waitForValue(
      () => row.locator('.badge').getAttribute('data-status'),
      (s) => s === 'active',
      { timeoutMs: 10_000, what: 'the list badge to turn active' },
    );
    await screenshot(page, 'live-05-list');
    await live.markIdle(stream.id);
    await waitForValue(
      () => row.locator('.badge').getAttribute('data-status'),
      (s) => s === 'idle',
      { timeoutMs: 10_000, what: 'the list badge to turn idle' },
    );
  });

  test('the bare viewer page renders for anyone, waiting for the broadcast', async () => {
    const anonymous = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 960, height: 600 },
    });
    try {
      const viewer = await anonymous.newPage();
      const viewerErrors = collectErrors(viewer, [/\/play\/\w+\/master\.m3u8/, /status of 404/]);
      const playbackId = stream.playback_ids[0]?.id ?? '';
      const response = await viewer.goto(`/live/${playbackId}`);
      assert.equal(response?.status(), 200);
      await viewer.getByText('Waiting for the broadcast…').waitFor({ timeout: 15_000 });
      assert.equal(await viewer.locator('.live-player').getAttribute('data-phase'), 'waiting');
      assert.equal(await viewer.getByRole('link', { name: 'Live' }).count(), 0, 'no app chrome');
      assert.equal(viewer.url().endsWith('/sign-in'), false, 'not sent to sign in');
      await screenshot(viewer, 'live-06-viewer-waiting');
      assert.deepEqual(viewerErrors, []);
    } finally {
      await anonymous.close();
    }
  });

  test('a stream that is not broadcasting is deleted from its page', async () => {
    await page.goto(`/streams/${stream.id}`);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/streams$/);
    await page.getByText('No live streams yet').waitFor();
    assert.equal((await server.api(`/v1/live-streams/${stream.id}`)).status, 404);
    assert.deepEqual(errors, []);
  });
  test('a broadcast published with ffmpeg plays: LIVE at the edge, the latency, back in the DVR window and Go live', async (t) => {
    const created = await server.api<{ data: Stream }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Evening sale',
        latency_mode: 'low',
        record: false,
        reconnect_window: 0,
      }),
    });
    assert.equal(created.status, 201);
    const onAir = created.body.data;
    const pid = onAir.playback_ids[0]?.id ?? '';
    await page.goto(`/streams/${onAir.id}`);
    await page.getByText('Waiting for the broadcast…').waitFor();
    const publisher = publishRtmp(`${onAir.ingest.rtmp}/${onAir.stream_key}`, { seconds: 40 });
    const player = page.locator('.live-player');
    const video = (p: Page) =>
      p.evaluate<{ t: number; paused: boolean; start: number; end: number }>(
        `(() => { const v = document.querySelector('.live-player video'); const s = v.seekable;
          return { t: v.currentTime, paused: v.paused, start: s.length ? s.start(0) : 0, end: s.length ? s.end(s.length - 1) : 0 }; })()`,
      );
    const advancing = async (p: Page, seconds: number, what: string) => {
      const from = (await video(p)).t;
      await waitForValue(
        () => video(p),
        (v) => !v.paused && v.t > from + seconds,
        { timeoutMs: 20_000, intervalMs: 200, what },
      );
    };
    try {
      // The page hears the stream go active and starts the player by itself.
      await waitForBadge('active', 30_000);
      await waitForValue(
        () => player.getAttribute('data-phase'),
        (p) => p === 'playing',
        { timeoutMs: 20_000, what: 'the player to start' },
      );
      await advancing(page, 2, 'the live video to play on the stream page');
      await waitForValue(
        () => player.getAttribute('data-at-edge'),
        (e) => e === 'true',
        { timeoutMs: 10_000, what: 'the LIVE badge' },
      );
      assert.equal(await page.locator('.live-edge.on').textContent(), 'LIVE');
      const shown = await waitForValue(
        () => page.getByTestId('latency').textContent({ timeout: 10_000 }),
        (t) => /^\d+\.\d$/.test(t ?? ''),
        { timeoutMs: 10_000, what: 'the latency' },
      );
      const latency = Number(shown);
      assert.ok(latency > 0 && latency < 6, `low latency, at the edge: ${latency} s`);
      t.diagnostic(`latency shown on the stream page: ${latency} s`);
      await screenshot(page, 'live-07-playing');

      // Back in the DVR window (what the seek bar does): no longer live, "Go live" brings it back.
      const dvr = await waitForValue(
        () => video(page),
        (v) => v.end - v.start >= 8,
        { timeoutMs: 20_000, intervalMs: 250, what: '8 s in the DVR window' },
      );
      const back = Math.max(dvr.start + 0.5, dvr.t - 6);
      await page.evaluate(`document.querySelector('.live-player video').currentTime = ${back}`);
      await waitForValue(
        () => player.getAttribute('data-at-edge'),
        (e) => e === 'false',
        { timeoutMs: 5_000, what: 'the LIVE badge to turn grey' },
      );
      await advancing(page, 1, 'playback to go on from the earlier point');
      assert.ok((await video(page)).t < dvr.t + 3, 'playing behind the edge');
      await screenshot(page, 'live-08-behind');
      await page.getByRole('button', { name: 'Go live' }).click();
      await waitForValue(
        () => player.getAttribute('data-at-edge'),
        (e) => e === 'true',
        { timeoutMs: 5_000, what: 'LIVE again after Go live' },
      );

      // The bare viewer page, for anyone: it plays too, LIVE, with its latency.
      const anonymous = await browser.newContext({
        baseURL: server.url,
        viewport: { width: 960, height: 600 },
      });
      try {
        const viewer = await anonymous.newPage();
        const viewerErrors = collectErrors(viewer);
        await viewer.goto(`/live/${pid}`);
        await waitForValue(
          () => viewer.locator('.live-player').getAttribute('data-phase'),
          (p) => p === 'playing',
          { timeoutMs: 20_000, what: 'the viewer page to play' },
        );
        await advancing(viewer, 2, 'the live video to play on the viewer page');
        await waitForValue(
          () => viewer.locator('.live-player').getAttribute('data-at-edge'),
          (e) => e === 'true',
          { timeoutMs: 10_000, what: 'LIVE on the viewer page' },
        );
        await viewer.getByTestId('latency').waitFor({ timeout: 10_000 });
        t.diagnostic(
          `latency shown on the viewer page: ${await viewer.getByTestId('latency').textContent()} s`,
        );
        await screenshot(viewer, 'live-09-viewer-playing');
        assert.deepEqual(viewerErrors, []);
      } finally {
        await anonymous.close();
      }
    } finally {
      await publisher.stop();
    }
    // The encoder is gone and the window is 0 s: the broadcast ends, and the page says so.
    await page.getByText('The broadcast ended').waitFor({ timeout: 30_000 });
    await waitForBadge('idle', 30_000);
  });
});
