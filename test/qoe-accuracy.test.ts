import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { makeClip } from './fixtures/media.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  signedInContext,
  waitForPlayback,
} from './helpers/browser.ts';
import { overviewTotals, picture, viewDetail, viewsOf, waitForView } from './helpers/qoe.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

const ADMIN_KEY = 'qoe-accuracy-admin-key-0123456789abcdef';
/** The stall the proxy makes: the held segment is released this long after playback stopped. */
const STALL_MS = 3000;
/** The first video segment comes this late: a start-up long enough to measure. */
const FIRST_SEGMENT_DELAY_MS = 1200;
/** Longer than the player's 10-second keep-alive (a view closed while watched would drop its later reports). */
const VIEW_TIMEOUT_MS = 15_000;

/**
 * A proxy in front of the server, as a slow network would be: everything passes, but the first
 * video segment comes late and one segment well after start-up (the third) is held back. The
 * stall's start is the page's own: a script of the harness (not the player) posts to
 * `/__harness/waiting` on the first `waiting` event after playback began, and the segment is
 * released STALL_MS after that. Not from the player's CMCD `sta=r` report: the reporting under
 * test would then set the clock it is checked against (a late report would make a longer stall
 * and be measured as one). The segment's headers go out at once and only its body is held, so
 * hls.js's time-to-first-byte limit never turns the hold into a retry that gets through.
 */
class StallingProxy {
  readonly server: Server;
  waitingAt: number | null = null;
  releasedAt: number | null = null;
  private release!: () => void;
  private released = new Promise<void>((r) => {
    this.release = r;
  });

  private readonly origin: URL;
  private readonly held: RegExp;
  private readonly late: RegExp;

  /** `held`: the segment kept back; `late`: the one that comes FIRST_SEGMENT_DELAY_MS late. */
  constructor(origin: URL, held: RegExp, late: RegExp) {
    this.origin = origin;
    this.held = held;
    this.late = late;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    if (path === '/__harness/waiting') {
      if (this.waitingAt === null) {
        this.waitingAt = performance.now();
        setTimeout(() => {
          this.releasedAt = performance.now();
          this.release();
        }, STALL_MS);
      }
      res.writeHead(204).end();
      return;
    }
    if (this.late.test(path)) await sleep(FIRST_SEGMENT_DELAY_MS);
    const upstream = request(
      new URL(path, this.origin),
      { method: req.method, headers: { ...req.headers, host: this.origin.host } },
      async (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (this.held.test(path)) {
          const body: Buffer[] = [];
          for await (const chunk of answer) body.push(chunk as Buffer);
          await this.released;
          res.end(Buffer.concat(body));
        } else answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}

/**
 * The harness's own clock in the page (not the player's): the click on play, the first frame
 * after it (requestVideoFrameCallback), and the stall's start, posted to the proxy.
 */
const HARNESS = `(() => {
  const h = (window.__harness = { clickAt: null, firstFrameAt: null, waitingAt: null, playingAt: null, resumedAt: null });
  document.addEventListener('click', (e) => {
    const button = e.target instanceof Element ? e.target.closest('button') : null;
    if (h.clickAt !== null || button?.getAttribute('aria-label') !== 'Play (k)') return;
    h.clickAt = performance.now();
    const video = document.querySelector('video[data-active="true"]');
    video.requestVideoFrameCallback((now, meta) => { h.firstFrameAt = meta.presentationTime ?? now; });
  }, true);
  document.addEventListener('playing', () => {
    if (h.playingAt === null) h.playingAt = performance.now();
    else if (h.waitingAt !== null && h.resumedAt === null) h.resumedAt = performance.now();
  }, true);
  document.addEventListener('waiting', () => {
    if (h.playingAt === null || h.waitingAt !== null) return;
    h.waitingAt = performance.now();
    fetch('/__harness/waiting', { method: 'POST' });
  }, true);
})();`;

interface Harness {
  clickAt: number | null;
  firstFrameAt: number | null;
  waitingAt: number | null;
  playingAt: number | null;
  resumedAt: number | null;
}

// The honest-numbers check: a stall of a known length and a start-up measured by the page
// itself, played by our player in Chromium through a proxy, must come out of the reports as they were.
describe('viewer analytics measure what the viewer went through', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let proxy: StallingProxy;
  let proxyUrl: string;
  let browser: Browser;
  let dir: string;
  let asset: AssetBody;

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-qoe-accuracy-'));
    server = await startTestServer({
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      // One-second segments: the held one is reached a few seconds into playback.
      FRAMEHOUSE_SEGMENT_SECONDS: '1',
      FRAMEHOUSE_QOE_VIEW_TIMEOUT_MS: String(VIEW_TIMEOUT_MS),
    });
    // 320×240: a ladder of one video rendition, so hls.js has nothing to switch down to while
    // the segment is held (it would abandon the held request for a lower rung's).
    const clip = await makeClip(dir, { name: 'pier', width: 320, height: 240, seconds: 14 });
    asset = await server.waitForAsset((await server.upload(clip, 'Pier at noon')).id, isFinished);
    assert.equal(asset.status, 'ready');
    const video = asset.renditions.filter((r) => r.type === 'video');
    assert.equal(video.length, 1, 'one video rendition');
    const pid = asset.playback_ids[0]?.id ?? '';
    const rung = video[0]?.name ?? '';
    const segment = (n: number) => new RegExp(`^/play/${pid}/${rung}/seg_0*${n}\\.m4s`);
    proxy = new StallingProxy(new URL(server.url), segment(2), segment(0));
    proxyUrl = await proxy.listen();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a 3 s stall and the start-up come out as the page saw them; the view is counted once, open or closed', async () => {
    const context = await browser.newContext({ baseURL: proxyUrl, viewport: { width: 960, height: 540 } });
    await context.addInitScript(HARNESS);
    const page: Page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`/embed/${asset.playback_ids[0]?.id}`);
    // Pressed as soon as it is there: the stream may still be loading (its first segment is late).
    await page.getByRole('button', { name: 'Play (k)' }).click();
    await waitForValue(
      () => page.evaluate<Harness>('window.__harness'),
      (h) => h.resumedAt !== null,
      { timeoutMs: 30_000, what: 'the stall and the resumption' },
    );
    await waitForPlayback(page, 6);
    const h = await page.evaluate<Harness>('window.__harness');
    assert.ok(h.clickAt !== null && h.firstFrameAt !== null && h.waitingAt !== null && h.resumedAt !== null);
    const startup = h.firstFrameAt - h.clickAt;
    const stallSeen = h.resumedAt - h.waitingAt;

    // A report after the resumption (the pause) brings the view up to date.
    await page.getByRole('button', { name: 'Pause (k)' }).click();
    const view = await waitForView(
      server,
      asset.id,
      (v) => v.rebuffer_count > 0 && v.playing_time_seconds > 3,
      'the view with its stall',
    ).catch(async (err) => {
      // What came instead: the views and their reports, and what the page measured.
      for (const v of await viewsOf(server, asset.id)) {
        const { timeline, ...rest } = await viewDetail(server, v.id);
        process.stdout.write(`# view ${JSON.stringify(rest)}\n`);
        for (const e of timeline ?? [])
          process.stdout.write(`#   ${e.time} ${e.event} ${e.state} ${JSON.stringify(e.data)}\n`);
      }
      process.stdout.write(`# harness ${JSON.stringify(h)}\n`);
      throw err;
    });
    const measured = {
      startup_harness_ms: Math.round(startup),
      startup_ms: view.startup_ms,
      stall_page_ms: Math.round(stallSeen),
      rebuffer_ms: view.rebuffer_ms,
      rebuffer_count: view.rebuffer_count,
    };
    process.stdout.write(`# qoe accuracy ${JSON.stringify(measured)}\n`);
    assert.equal(view.rebuffer_count, 1);
    assert.ok(
      Math.abs(view.rebuffer_ms - STALL_MS) <= 250,
      `rebuffer ${view.rebuffer_ms} ms, the stall was ${STALL_MS} ms`,
    );
    // The same stall as the page's own clock saw it (STALL_MS plus the held segment's delivery).
    assert.ok(
      Math.abs(view.rebuffer_ms - stallSeen) <= 100,
      `rebuffer ${view.rebuffer_ms} ms, the page saw ${stallSeen} ms`,
    );
    assert.ok(startup >= FIRST_SEGMENT_DELAY_MS * 0.5, `a start-up worth measuring: ${startup} ms`);
    assert.ok(
      view.startup_ms !== null && Math.abs(view.startup_ms - startup) <= 150,
      `startup ${view.startup_ms} ms, the page saw ${startup} ms`,
    );

    // Counted once while open…
    let totals = await overviewTotals(server, asset.id);
    assert.equal(totals.views, 1);
    assert.equal(totals.open_views, 1);
    assert.equal((await overviewTotals(server)).views, 1);

    // … and once when closed (from the rollups), after the page has gone and the timeout passed.
    const context2 = await signedInContext(
      browser,
      server,
      await signUpWithRole(server, 'qa@example.com', 'a long enough password', 'admin'),
    );
    const timeline = await context2.newPage();
    await timeline.goto(`/analytics/views/${view.id}`);
    await timeline.locator('.timeline-chart canvas').waitFor();
    assert.match((await timeline.locator('.state-legend').textContent()) ?? '', /Stalled/);
    await picture(timeline, 'qoe-view-timeline.png');

    await page.close();
    const closed = await waitForValue(
      () => viewDetail(server, view.id),
      (v) => v.closed,
      { timeoutMs: 120_000, intervalMs: 500, what: 'the view to be closed' },
    );
    assert.equal(closed.rebuffer_count, 1);
    totals = await overviewTotals(server, asset.id);
    assert.equal(totals.views, 1, 'closed, still one view');
    assert.equal(totals.open_views, 0);
    assert.equal((await overviewTotals(server)).views, 1);
    assert.equal((await viewsOf(server, asset.id)).length, 1);
    assert.deepEqual(errors, []);
    await context2.close();
    await context.close();
  });
});
