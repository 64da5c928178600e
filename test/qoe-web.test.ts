import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeClip } from './fixtures/media.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import {
  chromiumAvailable,
  collectErrors,
  currentTime,
  ensureWebBuilt,
  launchChromium,
  signedInContext,
  waitForPlayback,
} from './helpers/browser.ts';
import { type LiveStreamBody, publishRtmp } from './helpers/live.ts';
import { overviewTotals, picture, recordReports, viewDetail, viewsOf, waitForView } from './helpers/qoe.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

const ADMIN_KEY = 'qoe-web-admin-key-0123456789abcdef';
const PHONE_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36';
/** Chunks that only the analytics pages (and a live stream's viewer chart) may fetch. */
const ANALYTICS_CHUNK = /\/app\/(analytics-pages|concurrency-chart|concurrency-panel)-/;

// Our player reports what viewers experience (docs/qoe.md): Debian's Chromium playing real HLS
// from a real server, which turns the reports into views, and the analytics pages showing them.
describe('viewer analytics in Chromium', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let dir: string;
  let asset: AssetBody;
  let pid: string;
  let cookie: string;
  let viewerContext: BrowserContext;
  let viewer: Page;
  let viewerReports: ReturnType<typeof recordReports>;
  let viewerChunks: string[];
  let viewId: string;

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-qoe-web-'));
    server = await startTestServer({ FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY, FRAMEHOUSE_SEGMENT_SECONDS: '2' });
    cookie = await signUpWithRole(server, 'analyst@example.com', 'a long enough password', 'admin');
    const clip = await makeClip(dir, { name: 'harbour', width: 640, height: 360, seconds: 16 });
    asset = await server.waitForAsset((await server.upload(clip, 'Harbour at dusk')).id, isFinished);
    assert.equal(asset.status, 'ready');
    pid = asset.playback_ids[0]?.id ?? '';
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a view in the embed is reported: start-up, watch time, the rendition, device and browser; media requests untouched', async () => {
    viewerContext = await browser.newContext({ baseURL: server.url, viewport: { width: 960, height: 540 } });
    viewer = await viewerContext.newPage();
    const errors = collectErrors(viewer);
    viewerReports = recordReports(viewer);
    const media: string[] = [];
    viewerChunks = [];
    viewer.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/play/')) media.push(url.pathname + url.search);
      if (url.pathname.startsWith('/app/')) viewerChunks.push(url.pathname);
    });
    await viewer.goto(`/embed/${pid}`);
    await viewer.locator('video').waitFor();
    // Opened, not played: no view (nothing is sent before a play request).
    await sleep(1500);
    assert.equal(viewerReports.length, 0, 'nothing reported before play');
    await viewer.getByRole('button', { name: 'Play (k)' }).click();
    await waitForPlayback(viewer, 5);
    await viewer.getByRole('button', { name: 'Pause (k)' }).click();
    const played = await currentTime(viewer);

    const view = await waitForView(
      server,
      asset.id,
      (v) => v.playing_time_seconds > 4,
      'the view to count its playing time (the pause report)',
    );
    viewId = view.id;
    assert.equal(view.playback_id, pid);
    assert.ok(
      view.startup_ms !== null && view.startup_ms >= 0 && view.startup_ms < 5000,
      `startup ${view.startup_ms}`,
    );
    // Playing time is the page's own: from the first frame to the pause (its reports' clocks).
    assert.ok(
      Math.abs(view.playing_time_seconds - played) < 0.5,
      `playing ${view.playing_time_seconds} s, the video played ${played} s`,
    );
    assert.ok(view.watch_time_seconds >= view.playing_time_seconds, 'watch time includes the playing time');
    assert.deepEqual(
      view.renditions.map((r) => r.rendition),
      [asset.renditions.find((r) => r.type === 'video')?.name],
      'the rendition it played',
    );
    assert.equal(view.device_type, 'desktop');
    assert.match(view.browser, /Chrom/);
    assert.equal(view.failed, false);

    // CMCD went to the report endpoint only: playlists and segments keep one cache key.
    assert.ok(media.some((u) => u.includes('.m4s')));
    assert.deepEqual(
      media.filter((u) => /cmcd/i.test(u)),
      [],
      'no CMCD on any media request',
    );
    const cmcd = viewerReports.filter((r) => r.path === '/v1/qoe/cmcd');
    assert.ok(cmcd.length >= 2, 'the start and the first frame were reported');
    assert.ok(cmcd.every((r) => r.type === 'application/cmcd'));
    assert.ok(
      cmcd.every((r) => r.body?.includes(`cid="${pid}"`)),
      'every report names the playback id',
    );
    assert.ok(
      viewerReports.some((r) => r.path === '/v1/qoe/beacon'),
      'the JSON beacon was sent',
    );
    assert.ok(
      !viewerChunks.some((c) => ANALYTICS_CHUNK.test(c)),
      'the embed does not fetch the analytics chunk',
    );
    assert.deepEqual(errors, []);
  });

  test('the page closing delivers the last report (beacon)', async () => {
    await viewer.getByRole('button', { name: 'Play (k)' }).click();
    await waitForPlayback(viewer, 8);
    const played = await currentTime(viewer);
    const closedAt = Date.now();
    await viewer.close();
    const last = await waitForValue(
      () => viewDetail(server, viewId),
      (v) => v.timeline?.some((e) => e.event === 'beacon' && e.data.exit === true) ?? false,
      { timeoutMs: 10_000, what: 'the exit beacon' },
    );
    // The last report is the page's closing, not the last 10-second keep-alive before it: the
    // view's playing time is all the video played.
    const end = Date.parse(last.ended_at);
    assert.ok(Math.abs(end - closedAt) < 1500, `last report ${end - closedAt} ms from the close`);
    assert.ok(
      Math.abs(last.playing_time_seconds - played) < 0.6,
      `playing ${last.playing_time_seconds} s, the video played ${played} s`,
    );
    await viewerContext.close();
  });

  test('a viewer who opted out (Do-Not-Track, GPC, the statistics switch, ?analytics=0) sends nothing', async () => {
    const views = (await viewsOf(server, asset.id)).length;
    const refuse = async (
      how: string,
      setUp: (c: BrowserContext) => Promise<unknown>,
      path = `/embed/${pid}`,
    ) => {
      const context = await browser.newContext({ baseURL: server.url });
      await setUp(context);
      const page = await context.newPage();
      const reports = recordReports(page);
      await page.goto(path);
      if (how === 'switch') {
        // The viewer's own switch, in the player's controls: off, and remembered.
        await page.getByRole('button', { name: 'Statistics on' }).click();
        await page.getByRole('button', { name: 'Statistics off' }).waitFor();
        await page.reload();
        await page.getByRole('button', { name: 'Statistics off' }).waitFor();
      }
      await page.getByRole('button', { name: 'Play (k)' }).click();
      await waitForPlayback(page, 2.5);
      await page.getByRole('button', { name: 'Pause (k)' }).click();
      await sleep(500);
      await page.close();
      await sleep(300);
      assert.deepEqual(reports, [], `${how}: nothing sent`);
      await context.close();
    };
    const navigatorSays = (prop: string, value: string) => (c: BrowserContext) =>
      c.addInitScript(`Object.defineProperty(Navigator.prototype, '${prop}', { get: () => ${value} });`);
    await refuse('Do-Not-Track', navigatorSays('doNotTrack', "'1'"));
    await refuse('Global Privacy Control', navigatorSays('globalPrivacyControl', 'true'));
    await refuse('switch', async () => {});
    await refuse('?analytics=0', async () => {}, `/embed/${pid}?analytics=0`);
    assert.equal((await viewsOf(server, asset.id)).length, views, 'no new view');
  });

  test('the analytics page shows the views in charts, the asset panel counts them, and a view has its timeline', async () => {
    // A second view, from a phone: the breakdown has two devices.
    const phoneContext = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 390, height: 844 },
      userAgent: PHONE_UA,
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const phone = await phoneContext.newPage();
    await phone.goto(`/embed/${pid}`);
    await phone.getByRole('button', { name: 'Play (k)' }).click();
    await waitForPlayback(phone, 3);
    await phone.getByRole('button', { name: 'Pause (k)' }).click();
    const mobile = await waitForView(
      server,
      asset.id,
      (v) => v.device_type === 'mobile' && v.playing_time_seconds > 2,
      'the phone view',
    );
    assert.equal(mobile.os, 'Android');
    await phoneContext.close();

    const totals = await overviewTotals(server);
    assert.equal(totals.views, 2);

    const context = await signedInContext(browser, server, cookie);
    const page = await context.newPage();
    const errors = collectErrors(page);
    const chunks: string[] = [];
    page.on('request', (r) => chunks.push(new URL(r.url()).pathname));

    await page.goto(`/assets/${asset.id}`);
    const panel = page.locator('.qoe-panel');
    await panel.locator('[data-metric=views]').waitFor();
    assert.equal(await panel.locator('[data-metric=views]').textContent(), '2');
    assert.match((await panel.locator('[data-metric=startup]').textContent()) ?? '', /\d+(\.\d+)? m?s/);
    assert.ok(
      !chunks.some((c) => ANALYTICS_CHUNK.test(c)),
      'the asset page does not fetch the analytics chunk',
    );

    await panel.getByRole('link', { name: 'See the analytics' }).click();
    await page.waitForURL(/\/analytics\?asset_id=/);
    await page.locator('.score-chart canvas').waitFor();
    await page.locator('.startup-chart canvas').waitFor();
    assert.ok(
      chunks.some((c) => ANALYTICS_CHUNK.test(c)),
      'the analytics chunk came with the page',
    );
    assert.equal(await page.locator('.qoe-totals [data-metric=views]').textContent(), '2');
    const devices = page.locator('table.breakdown[data-group-by=device] tbody tr');
    await devices.first().waitFor();
    assert.deepEqual(
      (await devices.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))).sort(),
      ['desktop', 'mobile'],
    );
    // Within one video, groups that span videos are not offered (the API refuses them).
    assert.equal(await page.getByLabel('By').locator('option[value=asset]').count(), 0);
    await page.getByLabel('By').selectOption('rendition');
    await page.locator('table.breakdown[data-group-by=rendition] tbody tr').first().waitFor();
    const rows = page.locator('.views-list tbody tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);

    // All content: the same views, from the whole server.
    await page.getByLabel('Video or live stream').selectOption('');
    await page.waitForURL((u) => !u.search.includes('asset_id'));
    await page.locator('.views-list tbody tr').nth(1).waitFor();
    await page.getByLabel('Period').selectOption('24h');
    await page.waitForURL(/range=24h/);
    await page.locator('.views-list tbody tr').nth(1).waitFor();
    await page.locator('.score-chart canvas').waitFor();
    await picture(page, 'qoe-analytics.png');
    await page.getByLabel('By').selectOption('asset');
    const byAsset = page.locator('table.breakdown[data-group-by=asset] tbody tr');
    await byAsset.first().waitFor();
    assert.equal(await byAsset.first().getAttribute('data-key'), asset.id);
    assert.equal(await byAsset.first().getByRole('link').textContent(), 'Harbour at dusk');

    await page.locator(`.views-list tr[data-view-id="${viewId}"] a`).click();
    await page.waitForURL(`**/analytics/views/${viewId}`);
    await page.locator('.timeline-chart canvas').waitFor();
    const legend = (await page.locator('.state-legend').textContent()) ?? '';
    for (const state of ['Starting', 'Playing', 'Paused'])
      assert.ok(legend.includes(state), `${state} in ${legend}`);
    assert.match((await page.locator('[data-metric=startup]').textContent()) ?? '', /\d+(\.\d+)? m?s/);
    await page.getByText(/^Reports \(\d+\)$/).click();
    assert.ok((await page.locator('table.reports tbody tr').count()) > 3);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('with no views in the period, the page says so', async () => {
    const context = await signedInContext(browser, server, cookie);
    const page = await context.newPage();
    const errors = collectErrors(page);
    // A live stream nobody watched.
    const created = await server.api<{ data: { id: string } }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Quiet channel' }),
    });
    assert.equal(created.status, 201);
    await page.goto(`/analytics?live_stream_id=${created.body.data.id}&range=7d`);
    await page.locator('[data-empty=views]').getByText('No views yet').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a live viewer is reported too, and the stream page shows who watches', async () => {
    const created = await server.api<{ data: LiveStreamBody }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Harbour live',
        latency_mode: 'low',
        record: false,
        reconnect_window: 0,
      }),
    });
    assert.equal(created.status, 201);
    const stream = created.body.data;
    const publisher = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 40 });
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    const errors = collectErrors(page, [/\/play\/\w+\/master\.m3u8/, /status of 404/]);
    try {
      await page.goto(`/live/${stream.playback_ids[0]?.id}`);
      // It plays by itself (muted): autoplay is the play request.
      await waitForPlayback(page, 3, 40_000);
      const view = await waitForView(
        server,
        stream.id,
        (v) => v.startup_ms !== null,
        'the live view',
        20_000,
        'live_stream_id',
      );
      assert.ok(['live', 'll'].includes(view.stream_type), view.stream_type);
      assert.equal(view.asset_id, null);
      assert.equal(view.failed, false);

      const owner = await signedInContext(browser, server, cookie);
      const streamPage = await owner.newPage();
      const ownerErrors = collectErrors(streamPage, [/\/play\/\w+\/master\.m3u8/, /status of 404/]);
      await streamPage.goto(`/streams/${stream.id}`);
      await streamPage.locator('.concurrency-chart canvas').waitFor({ timeout: 15_000 });
      await streamPage.getByRole('link', { name: 'See the analytics' }).last().click();
      await streamPage.waitForURL(/live_stream_id=/);
      await streamPage.getByRole('heading', { name: 'Viewers watching' }).waitFor();
      await streamPage.locator('.views-list tbody tr').first().waitFor();
      assert.deepEqual(ownerErrors, []);
      await owner.close();
    } finally {
      await publisher.stop();
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
});

// FRAMEHOUSE_QOE=false: the server says so in /v1/instance, and our player does not report at all.
describe('a server that does not collect viewer analytics', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let dir: string;

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-qoe-off-'));
    server = await startTestServer({ FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY, FRAMEHOUSE_QOE: 'false' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the player sends nothing', async () => {
    const clip = await makeClip(dir, { name: 'quiet', width: 320, height: 240, seconds: 6 });
    const asset = await server.waitForAsset((await server.upload(clip)).id, isFinished);
    const instance = await server.api<{ data: { qoe?: boolean } }>('/v1/instance');
    assert.equal(instance.body.data.qoe, false);
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    const errors = collectErrors(page);
    const reports = recordReports(page);
    await page.goto(`/embed/${asset.playback_ids[0]?.id}`);
    await page.getByRole('button', { name: 'Play (k)' }).click();
    await waitForPlayback(page, 2);
    await page.getByRole('button', { name: 'Pause (k)' }).click();
    await page.close();
    await sleep(300);
    assert.equal(reports.length, 0, JSON.stringify(reports));
    assert.deepEqual(errors, []);
    await context.close();
  });
});
