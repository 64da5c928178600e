import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeClip } from './fixtures/media.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
  signedInContext,
  waitForPlayback,
} from './helpers/browser.ts';
import { catalogue } from './helpers/messages.ts';
import { type QoeView, viewDetail, waitForView } from './helpers/qoe.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

const ADMIN_KEY = 'i18n-analytics-admin-key-0123456789abcdef';
const PHONE_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36';
const ZONE = 'Asia/Seoul';

/** A Korean message as the catalogue holds it, its placeholders filled (Korean has one plural form). */
const ko = catalogue('ko', ['analytics']).text;
const EN = catalogue('en', ['analytics']).raw;
/** Dates and times as a Korean reader in Seoul reads them (what web/src/i18n/format.ts asks Intl for). */
const koDateTime = (iso: string) =>
  new Intl.DateTimeFormat('ko-KR', { dateStyle: 'medium', timeStyle: 'short', timeZone: ZONE }).format(
    new Date(iso),
  );
/** Milliseconds or seconds with Korean units, written together with the number: "850ms", "1.25초". */
const KOREAN_MS = /^\d+(ms|(\.\d+)?초)$/;

// The analytics pages in Korean (web/messages/analytics/ko.json): labels, chart legends, device and
// country names, and numbers, durations and dates in Korean form, for views a real player made.
describe('the analytics pages in Korean', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let dir: string;
  let asset: AssetBody;
  let cookie: string;
  let desktopView: QoeView;

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-i18n-analytics-'));
    server = await startTestServer({ FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY, FRAMEHOUSE_SEGMENT_SECONDS: '2' });
    cookie = await signUpWithRole(server, 'bunseok@example.com', 'a long enough password', 'admin');
    const clip = await makeClip(dir, { name: 'harbour', width: 640, height: 360, seconds: 12 });
    asset = await server.waitForAsset((await server.upload(clip, '항구의 저녁')).id, isFinished);
    assert.equal(asset.status, 'ready');
    browser = await launchChromium();

    // Two views through the embed (English viewers: the player's own labels are not under test
    // here): one from a desktop, one from a phone.
    const watch = async (options: Parameters<Browser['newContext']>[0], seconds: number) => {
      const context = await browser.newContext({ ...options, baseURL: server.url, locale: 'en-US' });
      const page = await context.newPage();
      await page.goto(`/embed/${asset.playback_ids[0]?.id}`);
      await page.getByRole('button', { name: 'Play (k)' }).click();
      await waitForPlayback(page, seconds);
      await page.getByRole('button', { name: 'Pause (k)' }).click();
      return context;
    };
    const desktop = await watch({ viewport: { width: 960, height: 540 } }, 4);
    desktopView = await waitForView(
      server,
      asset.id,
      (v) => v.device_type === 'desktop' && v.playing_time_seconds > 3,
      'the desktop view',
    );
    await desktop.close();
    const phone = await watch(
      { viewport: { width: 390, height: 844 }, userAgent: PHONE_UA, isMobile: true, hasTouch: true },
      2,
    );
    await waitForView(
      server,
      asset.id,
      (v) => v.device_type === 'mobile' && v.playing_time_seconds > 1,
      'the phone view',
    );
    await phone.close();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A signed-in Korean browser (navigator.languages and Accept-Language ko-KR) in Seoul. */
  async function koreanContext(): Promise<BrowserContext> {
    return signedInContext(browser, server, cookie, { locale: 'ko-KR', timezoneId: ZONE });
  }
  const text = async (page: Page, selector: string) =>
    ((await page.locator(selector).textContent()) ?? '').trim();

  test('/analytics: Korean headings, figures, chart legends, breakdown names and dates', async () => {
    const context = await koreanContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto('/analytics?range=24h');
    await page.locator('.score-chart canvas').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'ko');

    assert.equal(await text(page, 'h1'), ko('analytics_title'));
    for (const heading of ['analytics_score_title', 'analytics_startup_title', 'analytics_breakdown_title'])
      await page.getByRole('heading', { name: ko(heading), exact: true }).waitFor();
    // The period picker, by its Korean label, names the period in Korean.
    const period = page.getByLabel(ko('analytics_period_label'));
    assert.equal(await period.locator('option:checked').textContent(), ko('analytics_range_24h'));
    assert.equal(
      await page.getByLabel(ko('analytics_content_label')).locator('option:checked').textContent(),
      ko('analytics_content_all'),
    );

    // The totals: Korean labels; counts, durations and percentages in Korean form.
    const labels = await page.locator('.qoe-totals dt').allTextContents();
    for (const key of [
      'analytics_metric_views',
      'analytics_metric_score',
      'analytics_metric_startup_median',
      'analytics_metric_time_stalled',
      'analytics_metric_watch_time',
      'analytics_metric_bitrate',
    ])
      assert.ok(labels.includes(ko(key)), `${ko(key)} in ${labels.join(' | ')}`);
    assert.equal(await text(page, '.qoe-totals [data-metric=views]'), '2');
    assert.match(await text(page, '.qoe-totals [data-metric=startup]'), KOREAN_MS);
    const watch = await text(page, '.qoe-totals [data-metric=watch]');
    assert.match(watch, /^(\d+분 )?\d+초$/, `watch time ${watch}`);
    assert.ok(
      (await page.locator('.qoe-totals dd.note').allTextContents()).includes(
        ko('analytics_view_count', { n: '0' }),
      ),
      'no failures: "시청 0회"',
    );
    assert.match(await text(page, '.qoe-totals [data-metric=bitrate]'), /^[\d,.]+(kb|Mb)\/s$|^—$/);

    // uPlot's legend: the series under their Korean names; the hour under the cursor in Korean.
    const legend = (await page.locator('.score-chart .u-legend').textContent()) ?? '';
    for (const key of [
      'analytics_interval_hour',
      'analytics_metric_score',
      'analytics_part_success',
      'analytics_part_startup',
      'analytics_part_smoothness',
      'analytics_part_quality',
    ])
      assert.ok(legend.includes(ko(key)), `${ko(key)} in the legend: ${legend}`);
    const over = page.locator('.score-chart .u-over');
    const box = await over.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2);
    const hour =
      (await page.locator('.score-chart .u-legend .u-series').first().locator('.u-value').textContent()) ??
      '';
    assert.match(
      hour,
      /^\d{4}\. \d{1,2}\. \d{1,2}\. (오전|오후) \d{1,2}:\d{2}$/,
      `the legend's hour: ${hour}`,
    );

    // The start-up histogram's numbers: Korean units on its buckets.
    await page.getByText(ko('analytics_the_numbers'), { exact: true }).click();
    const buckets = await page.locator('.startup-chart + details th').allTextContents();
    assert.ok(buckets.length > 3);
    for (const b of buckets) assert.match(b, /^[≤>][\d.]+(ms|초)$/, `bucket ${b}`);

    // The breakdown: devices, then countries, by their Korean names.
    const by = page.getByLabel(ko('analytics_breakdown_by'));
    assert.equal(await by.locator('option:checked').textContent(), ko('analytics_group_device'));
    const devices = page.locator('table.breakdown[data-group-by=device] tbody th');
    await devices.nth(1).waitFor();
    assert.deepEqual(
      (await devices.allTextContents()).sort(),
      [ko('analytics_device_desktop'), ko('analytics_device_mobile')].sort(),
    );
    await by.selectOption('country');
    const countries = page.locator('table.breakdown[data-group-by=country] tbody th');
    await countries.first().waitFor();
    // Views from this machine's loopback address have no country (ZZ).
    assert.deepEqual(await countries.allTextContents(), [ko('analytics_unknown')]);
    await by.selectOption('asset');
    await page.locator('table.breakdown[data-group-by=asset] tbody th a').first().waitFor();
    assert.equal(await text(page, 'table.breakdown[data-group-by=asset] tbody th a'), '항구의 저녁');

    // The list of views: Korean headings, the start in Korean date form, the viewer in Korean.
    await page.getByRole('heading', { name: ko('analytics_views_title'), exact: true }).waitFor();
    const heads = await page.locator('.views-list thead th').allTextContents();
    assert.deepEqual(heads, [
      ko('analytics_col_started'),
      ko('analytics_col_content'),
      ko('analytics_col_viewer'),
      ko('analytics_col_startup'),
      ko('analytics_col_stalls'),
      ko('analytics_col_watched'),
      ko('analytics_metric_score'),
    ]);
    const row = page.locator(`.views-list tr[data-view-id="${desktopView.id}"]`);
    assert.equal(
      await row.locator('td').first().locator('a').textContent(),
      koDateTime(desktopView.started_at),
    );
    const viewer = (await row.locator('td').nth(2).textContent()) ?? '';
    assert.ok(
      viewer.startsWith(`${ko('analytics_device_desktop')} · `) &&
        viewer.endsWith(` · ${ko('analytics_unknown')}`),
      `the viewer: ${viewer}`,
    );
    assert.match((await row.locator('td').nth(3).textContent()) ?? '', KOREAN_MS);
    await screenshot(page, 'analytics-ko');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a view page: Korean facts, states, durations and report offsets', async () => {
    const detail = await viewDetail(server, desktopView.id);
    const context = await koreanContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`/analytics/views/${detail.id}`);
    await page.locator('.timeline-chart canvas').waitFor();
    // The title names the video once the titles have come.
    await page
      .getByRole('heading', { name: ko('analytics_view_title', { content: '항구의 저녁' }) })
      .waitFor();
    for (const heading of ['analytics_experience', 'analytics_facts', 'analytics_timeline'])
      await page.getByRole('heading', { name: ko(heading), exact: true }).waitFor();

    const facts = await page.locator('.facts-grid dt').allTextContents();
    for (const key of [
      'analytics_col_started',
      'analytics_fact_last_report',
      'analytics_fact_dropped_frames',
    ])
      assert.ok(facts.includes(ko(key)), `${ko(key)} in ${facts.join(' | ')}`);
    const fact = (key: string) =>
      page.locator('.facts-grid dt', { hasText: ko(key) }).locator('xpath=following-sibling::dd[1]');
    assert.equal(await fact('analytics_col_started').textContent(), koDateTime(detail.started_at));
    assert.equal(await fact('analytics_fact_last_report').textContent(), koDateTime(detail.ended_at));
    assert.match((await page.locator('[data-metric=startup]').textContent()) ?? '', KOREAN_MS);
    const watched = (await fact('analytics_col_watched').textContent()) ?? '';
    assert.match(watched, /^\d+초\(재생 \d+초\)$/, `watched: ${watched}`);
    assert.ok(((await fact('analytics_fact_bitrate').textContent()) ?? '').includes('전환 '));

    // The timeline's legend: the states the view went through, in Korean.
    const legend = (await page.locator('.state-legend').textContent()) ?? '';
    for (const key of ['analytics_state_starting', 'analytics_state_playing', 'analytics_state_paused'])
      assert.ok(legend.includes(ko(key)), `${ko(key)} in ${legend}`);
    assert.ok(legend.includes(ko('analytics_fact_bitrate')) && legend.includes(ko('analytics_legend_event')));
    const label = (await page.locator('.timeline-chart').getAttribute('aria-label')) ?? '';
    assert.ok(label.includes(ko('analytics_state_playing')) && label.includes('동안의 시청'), label);

    // The reports: their count in the summary, offsets in Korean seconds, event names in Korean.
    const reports = detail.timeline?.length ?? 0;
    await page.getByText(ko('analytics_reports', { count: String(reports) }), { exact: true }).click();
    const rows = page.locator('table.reports tbody tr');
    assert.equal(await rows.count(), reports);
    for (const at of await page.locator('table.reports tbody td:first-child').allTextContents())
      assert.match(at, /^\+\d+\.\d{3}초$/, `report offset ${at}`);
    const events = await page.locator('table.reports tbody td:nth-child(2)').allTextContents();
    assert.ok(events.includes(ko('analytics_event_play_state')), events.join(' | '));
    await screenshot(page, 'analytics-view-ko');
    await page.getByRole('link', { name: ko('analytics_back_arrow') }).click();
    await page.waitForURL(/\/analytics\?asset_id=/);
    await page.locator('.qoe-totals [data-metric=views]').waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("the asset page's viewer panel in Korean", async () => {
    const context = await koreanContext();
    const page = await context.newPage();
    await page.goto(`/assets/${asset.id}`);
    const panel = page.locator('.qoe-panel');
    await panel.locator('[data-metric=views]').waitFor();
    assert.equal(await panel.locator('h2').textContent(), ko('analytics_viewers_30d'));
    assert.equal(await panel.locator('[data-metric=views]').textContent(), '2');
    assert.match((await panel.locator('[data-metric=startup]').textContent()) ?? '', KOREAN_MS);
    await panel.getByRole('link', { name: ko('analytics_see_analytics') }).click();
    await page.waitForURL(/range=30d/);
    assert.equal(
      await page.getByLabel(ko('analytics_period_label')).locator('option:checked').textContent(),
      ko('analytics_range_30d'),
    );
    await context.close();
  });

  // Last: the switch saves English on the account.
  test('switching the header to English re-renders the page, its chart legend and its dates', async () => {
    const context = await koreanContext();
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto('/analytics?range=24h');
    await page.locator('.score-chart canvas').waitFor();
    assert.equal(await text(page, 'h1'), ko('analytics_title'));
    await page.locator('.language-switch').selectOption('en');
    await page.getByRole('heading', { level: 1, name: EN.analytics_title as string }).waitFor();
    const legend = (await page.locator('.score-chart .u-legend').textContent()) ?? '';
    for (const key of ['analytics_interval_hour', 'analytics_part_success', 'analytics_part_quality'])
      assert.ok(legend.includes(EN[key] as string), `${EN[key]} in the legend: ${legend}`);
    const devices = page.locator('table.breakdown[data-group-by=device] tbody th');
    assert.deepEqual(
      (await devices.allTextContents()).sort(),
      [EN.analytics_device_desktop, EN.analytics_device_mobile].sort(),
    );
    const started = page.locator(`.views-list tr[data-view-id="${desktopView.id}"] td a`).first();
    assert.equal(
      await started.textContent(),
      new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: ZONE }).format(
        new Date(desktopView.started_at),
      ),
    );
    assert.deepEqual(errors, []);
    await context.close();
  });
});
