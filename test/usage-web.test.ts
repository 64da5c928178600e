import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  type AssetRow,
  fmtGbHours,
  fmtMinutes,
  type QuotaRow,
  type UsageExtra,
  type UsageFigures,
  type UserRow,
} from '../web/src/admin/usage-data.ts';
import { formatBytes } from '../web/src/i18n/format.ts';
import { makeClip } from './fixtures/media.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
} from './helpers/browser.ts';
import { type LiveStreamBody, publishRtmp, waitForStream } from './helpers/live.ts';
import { picture } from './helpers/qoe.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

const ADMIN_KEY = 'usage-web-admin-key-0123456789abcdef';
const EDITOR = 'editor@example.com';
const PASSWORD = 'a long enough password';
/** The chunk only the usage and quota tabs fetch (uPlot comes with it). */
const USAGE_CHUNK = /\/app\/usage-pages-/;

type Usage<R> = { data: R[] } & UsageExtra;

// The admin's usage and quota tabs (docs/usage.md) in Debian's Chromium, against a real server
// that meters what it really did: an editor's upload encoded by ffmpeg, its segments delivered,
// its objects walked in the store.
describe('usage and quotas in the admin app', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let dir: string;
  let asset: AssetBody;
  let editorId: string;
  let delivered = 0;
  let stream: LiveStreamBody;
  /** Stored GB-hours in GET /v1/usage: awaited by the last test, while the others run. */
  let storageCounted: Promise<unknown>;

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-usage-web-'));
    server = await startTestServer({
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_SEGMENT_SECONDS: '2',
      FRAMEHOUSE_USAGE_FLUSH_SECONDS: '1',
      FRAMEHOUSE_USAGE_STORAGE_SAMPLE_MINUTES: '1',
    });
    storageCounted = waitForValue(
      async () =>
        (await server.api<Usage<never>>(`/v1/usage?from=${monthStart()}`)).body.totals?.stored_gb_hours
          .total ?? 0,
      (gbh) => gbh > 0,
      { timeoutMs: 300_000, intervalMs: 2000, what: 'stored GB-hours in GET /v1/usage' },
    );
    storageCounted.catch(() => {}); // awaited (and reported) by its test
    const adminCookie = await signUpWithRole(server, 'admin@example.com', PASSWORD, 'admin');
    const editorCookie = await signUpWithRole(server, EDITOR, PASSWORD, 'editor');
    const users = await server.api<{ data: Array<{ id: string; email: string }> }>('/v1/users');
    editorId = users.body.data.find((u) => u.email === EDITOR)?.id ?? '';

    // The editor uploads (usage is the uploader's); the server encodes and someone watches.
    const clip = await makeClip(dir, { name: 'quay', width: 640, height: 360, seconds: 6 });
    const form = new FormData();
    form.append('file', await openAsBlob(clip), 'quay.mp4');
    form.append('title', 'Quay at noon');
    const created = await fetch(new URL('/v1/assets', server.url), {
      method: 'POST',
      headers: { cookie: editorCookie, origin: server.url },
      body: form,
    });
    assert.equal(created.status, 202, await created.clone().text());
    const id = ((await created.json()) as { data: AssetBody }).data.id;
    asset = await server.waitForAsset(id, isFinished);
    assert.equal(asset.status, 'ready');
    delivered = await watchAll(server, asset.playback_ids[0]?.id ?? '');

    // And goes live for a few seconds: live input (and the live ladder's encoding) while it runs.
    const made = await fetch(new URL('/v1/live-streams', server.url), {
      method: 'POST',
      headers: { cookie: editorCookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Quay live', latency_mode: 'low', record: false, reconnect_window: 0 }),
    });
    assert.equal(made.status, 201, await made.clone().text());
    stream = ((await made.json()) as { data: LiveStreamBody }).data;
    const publisher = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, {
      seconds: 60,
      size: '320x180',
    });
    try {
      await waitForStream(server.api, stream.id, (s) => s.status === 'active', 30_000);
      await waitForValue(
        async () =>
          (await server.api<Usage<never>>(`/v1/usage?from=${monthStart()}`)).body.totals.live_input_minutes,
        (minutes) => minutes >= 0.1,
        {
          timeoutMs: 30_000,
          intervalMs: 500,
          what: () => `live input in GET /v1/usage (ffmpeg: ${publisher.log().slice(-300)})`,
        },
      );
    } finally {
      await publisher.stop();
    }

    browser = await launchChromium();
    context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    await context.addCookies(
      adminCookie.split('; ').map((c) => {
        const at = c.indexOf('=');
        return { name: c.slice(0, at), value: c.slice(at + 1), url: server.url };
      }),
    );
    page = await context.newPage();
    errors = collectErrors(page);
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const usage = async <R>(groupBy: string) => {
    const res = await server.api<Usage<R>>(`/v1/usage?from=${monthStart()}&group_by=${groupBy}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const shownTotals = () =>
    page
      .locator('.usage-totals dd[data-metric]')
      .evaluateAll((dds) =>
        Object.fromEntries(
          dds.map((dd) => [
            dd.getAttribute('data-metric'),
            [Number(dd.getAttribute('data-value')), dd.textContent],
          ]),
        ),
      ) as Promise<Record<string, [number, string]>>;
  const expectedTotals = (t: UsageFigures): Record<string, [number, string]> => ({
    encoding_minutes: [t.encoding_minutes.total, fmtMinutes(t.encoding_minutes.total, 'en-US')],
    stored_gb_hours: [t.stored_gb_hours.total, fmtGbHours(t.stored_gb_hours.total, 'en-US')],
    delivered_bytes: [t.delivered_bytes.total, formatBytes(t.delivered_bytes.total, 'en-US')],
    delivered_minutes: [t.delivered_minutes.total, fmtMinutes(t.delivered_minutes.total, 'en-US')],
    live_input_minutes: [t.live_input_minutes, fmtMinutes(t.live_input_minutes, 'en-US')],
  });
  /** The page's totals once they equal the API's (a storage walk may land between the two reads). */
  const totalsMatch = async () => {
    let last = '';
    await waitForValue(
      async () => {
        const api = expectedTotals((await usage('day')).totals);
        await page.getByRole('button', { name: 'Refresh now' }).click();
        await page.waitForTimeout(500);
        const shown = await shownTotals();
        last = JSON.stringify({ api, shown });
        return JSON.stringify(api) === JSON.stringify(shown);
      },
      (same) => same,
      { timeoutMs: 20_000, intervalMs: 200, what: () => `the totals shown to equal the API's: ${last}` },
    );
  };

  test('the usage tab: totals as the API counts them, daily charts with data, users and assets', async () => {
    // Encoding is counted as renditions turn ready, delivery as answers end; both flushed within a second.
    const counted = await waitForValue(
      () => usage<never>('day'),
      (u) => u.totals.encoding_minutes.total > 0 && u.totals.delivered_bytes.total >= delivered,
      { timeoutMs: 15_000, intervalMs: 250, what: 'encoding and delivery in GET /v1/usage' },
    );
    // The clip: 6 s, encoded once per rendition (every rendition of a 360p clip is SD or audio).
    assert.ok(
      counted.totals.encoding_minutes.sd >= 0.1 - 1e-9,
      JSON.stringify(counted.totals.encoding_minutes),
    );
    assert.equal(counted.totals.delivered_bytes.origin, counted.totals.delivered_bytes.total);

    const chunks: string[] = [];
    page.on('request', (r) => chunks.push(new URL(r.url()).pathname));
    await page.goto('/admin/queues');
    await page.getByRole('heading', { name: 'Queues' }).waitFor();
    assert.ok(!chunks.some((c) => USAGE_CHUNK.test(c)), 'the other admin tabs do not fetch the usage chunk');

    await page.getByRole('link', { name: 'Usage', exact: true }).click();
    await page.waitForURL('**/admin/usage');
    const deliveredChart = page.locator('.usage-chart[data-metric=delivered_bytes]');
    await deliveredChart.locator('canvas').waitFor();
    assert.ok(
      chunks.some((c) => USAGE_CHUNK.test(c)),
      'the usage chunk came with the tab',
    );
    for (const metric of ['delivered_bytes', 'encoding_minutes', 'stored_gb_hours', 'live_input_minutes'])
      assert.equal(await page.locator(`.usage-chart[data-metric=${metric}] canvas`).count(), 1, metric);
    // Series with data: what the charts draw adds up to the period's totals.
    assert.equal(
      Number(await deliveredChart.getAttribute('data-total')),
      counted.totals.delivered_bytes.total,
    );
    const encodingTotal = Number(
      await page.locator('.usage-chart[data-metric=encoding_minutes]').getAttribute('data-total'),
    );
    assert.ok(Math.abs(encodingTotal - counted.totals.encoding_minutes.total) < 1e-9, String(encodingTotal));
    const liveInput = Number(
      await page.locator('.usage-chart[data-metric=live_input_minutes]').getAttribute('data-total'),
    );
    assert.ok(liveInput > 0, String(liveInput));
    // The legend names the series drawn: origin and edge, and the classes encoded.
    const legend = (await deliveredChart.locator('.u-legend').textContent()) ?? '';
    assert.match(legend, /Origin/);
    assert.match(legend, /Edge/);
    assert.match(
      (await page.locator('.usage-chart[data-metric=encoding_minutes] .u-legend').textContent()) ?? '',
      /SD/,
    );
    // Something is drawn: the bars' canvas is not blank.
    const png = await deliveredChart.locator('canvas').screenshot();
    assert.ok(png.length > 2000, `the delivered chart's picture is ${png.length} bytes`);

    await totalsMatch();
    await page.locator('.usage-status time[data-updated-at]').waitFor();

    // Per user: the editor, by e-mail, with the API's figures.
    const users = await usage<UserRow>('user');
    const editorRow = users.data.find((u) => u.owner === `user:${editorId}`);
    assert.ok(editorRow, JSON.stringify(users.data));
    assert.equal(editorRow.email, EDITOR);
    const row = page.locator(`table[data-group-by=user] tr[data-key="user:${editorId}"]`);
    await row.waitFor();
    assert.match((await row.locator('th').textContent()) ?? '', /editor@example\.com/);
    assert.equal(
      Number(await row.locator('td[data-metric=delivered_bytes]').getAttribute('data-value')),
      editorRow.delivered_bytes.total,
    );

    // Per asset: its title, linking to its page.
    const assets = await usage<AssetRow>('asset');
    assert.ok(assets.data.some((a) => a.subject_id === asset.id && a.title === 'Quay at noon'));
    const link = page.locator(`table[data-group-by=asset] tr[data-key="asset:${asset.id}"] a`);
    assert.equal(await link.textContent(), 'Quay at noon');
    assert.equal(await link.getAttribute('href'), `/assets/${asset.id}`);

    const live = page.locator(`table[data-group-by=asset] tr[data-key="live_stream:${stream.id}"]`);
    assert.equal(await live.locator('a').textContent(), 'Quay live');
    assert.equal(await live.locator('a').getAttribute('href'), `/streams/${stream.id}`);
    assert.ok(
      Number(await live.locator('td[data-metric=live_input_minutes]').getAttribute('data-value')) > 0,
    );
    // Sorting by a column's heading: the order flips on a second click.
    const heading = page.locator('table[data-group-by=asset] th', { hasText: 'Delivered minutes' });
    await heading.getByRole('button').click();
    assert.equal(await heading.getAttribute('aria-sort'), 'descending');
    await heading.getByRole('button').click();
    assert.equal(await heading.getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(errors, []);
  });

  test('each grouping downloads as CSV for the period shown', async () => {
    for (const [groupBy, header, expect] of [
      ['user', /^owner,email,/, EDITOR],
      ['asset', /^subject_kind,subject_id,title,owner,/, 'Quay at noon'],
      ['day', /^day,/, new Date().toISOString().slice(0, 10)],
    ] as const) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator(`a[data-csv=${groupBy}]`).click(),
      ]);
      assert.match(download.suggestedFilename(), new RegExp(`^usage-.+-${groupBy}\\.csv$`));
      const text = await readFile((await download.path()) ?? '', 'utf8');
      assert.match(text, header, text);
      assert.ok(text.includes(expect), text);
      assert.match(text.split('\n')[0] ?? '', /encoding_minutes_sd/);
    }
  });

  test('other periods: last month has no usage (the empty state); a custom period is checked', async () => {
    await page.getByRole('combobox', { name: /^Period/ }).selectOption('last-month');
    await page.waitForURL(/period=last-month/);
    await page.locator('[data-empty=usage]').getByText('No usage in this period.').waitFor();
    const csv = await page.locator('a[data-csv=user]').getAttribute('href');
    const lastMonth = new Date();
    lastMonth.setUTCDate(1);
    lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
    assert.ok(csv?.includes(`from=${lastMonth.toISOString().slice(0, 10)}`), csv ?? '');
    assert.ok(csv?.includes('format=csv'));

    await page.getByRole('combobox', { name: /^Period/ }).selectOption('custom');
    await page.getByLabel('From', { exact: true }).fill('2026-11-20');
    await page.getByLabel('To', { exact: true }).fill('2026-11-10');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('The last day comes before the first.').waitFor();

    await page.getByRole('combobox', { name: /^Period/ }).selectOption('last-30-days');
    await page.waitForURL(/period=last-30-days/);
    await page.locator('.usage-chart[data-metric=delivered_bytes] canvas').waitFor();
    assert.deepEqual(errors, []);
  });

  test('quotas: set a user’s limits with the form, see them in the API, with their use; bad values are refused; clear', async () => {
    // Opened on its own, the quotas tab brings its own chunk, not the charts' (uPlot).
    const alone = await context.newPage();
    const fetched: string[] = [];
    alone.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await alone.goto('/admin/quotas');
    await alone.getByRole('heading', { name: 'Quotas' }).waitFor();
    assert.ok(
      fetched.some((f) => /\/app\/quotas-/.test(f)),
      fetched.join(' '),
    );
    assert.ok(!fetched.some((f) => /\/app\/(chart|usage-pages)-/.test(f)), fetched.join(' '));
    await alone.close();

    await page.getByRole('link', { name: 'Quotas', exact: true }).click();
    await page.getByRole('heading', { name: 'Quotas' }).waitFor();
    await page.getByText('No limits are set').waitFor();
    const form = page.locator('form.quota-form');

    // A role: editors may encode 100 minutes a month.
    await form.getByRole('combobox', { name: /^Role/ }).selectOption('editor');
    await form.getByLabel('Encoding this month (minutes)', { exact: true }).fill('100');
    await form.getByRole('button', { name: 'Save the limits' }).click();
    await form.getByText('The limits of Editors are saved.').waitFor();

    // A user, picked by e-mail: a value that is no number is refused here, nothing is sent.
    await form.getByLabel('A user').check();
    await form.getByLabel("User's e-mail").fill('nobody@example.com');
    await form.getByLabel('Storage (GB)', { exact: true }).fill('2.5');
    await form.getByRole('button', { name: 'Save the limits' }).click();
    await form.getByText('No account has the e-mail nobody@example.com. Pick one from the list.').waitFor();
    await form.getByLabel("User's e-mail").fill(EDITOR);
    await form.getByLabel('Live streams at once (streams)', { exact: true }).fill('1.5');
    await form.getByRole('button', { name: 'Save the limits' }).click();
    await form.getByText('Write a whole number of streams.').waitFor();
    const quotas = async () =>
      (await server.api<{ data: QuotaRow[] }>('/v1/admin/quotas')).body.data.find(
        (r) => r.subject === `user:${editorId}`,
      );
    assert.equal(await quotas(), undefined, 'nothing was saved');

    await form.getByLabel('Live streams at once (streams)', { exact: true }).fill('1');
    await form.getByRole('button', { name: 'Save the limits' }).click();
    await form.getByText(`The limits of ${EDITOR} are saved.`).waitFor();
    const saved = await quotas();
    assert.deepEqual(saved && [saved.storage_bytes, saved.encoding_minutes_per_month, saved.live_streams], [
      2_500_000_000,
      null,
      1,
    ]);

    // The row: the editor's storage against 2.5 GB, encoding against the role's 100 minutes.
    const row = page.locator(`table.quotas tr[data-subject="user:${editorId}"]`);
    await row.waitFor();
    assert.match((await row.locator('th').textContent()) ?? '', /editor@example\.com/);
    const storage = row.locator('td[data-quota=storage_bytes]');
    assert.equal(await storage.getAttribute('data-limit'), '2500000000');
    assert.match((await storage.textContent()) ?? '', /of 2\.5 GB · \d+%/);
    assert.equal(
      Number(await storage.locator('.quota-use').getAttribute('data-percent')),
      Math.round(((saved?.usage?.storage_bytes ?? 0) / 2.5e9) * 100),
    );
    const encoding = row.locator('td[data-quota=encoding_minutes_per_month]');
    assert.match((await encoding.textContent()) ?? '', /of 100 min \(the role’s\)/);
    assert.ok((saved?.usage?.encoding_minutes_per_month ?? 0) > 0, JSON.stringify(saved?.usage));
    await page.locator('table.quotas tr[data-subject="role:editor"]').getByText('1 account').waitFor();
    await screenshot(page, 'usage-web-quotas');

    // Audited by the server.
    const audit = await server.api<{ data: Array<{ action: string; target: { id: string } | null }> }>(
      '/v1/audit?limit=20',
    );
    assert.ok(
      audit.body.data.some((e) => e.action === 'quota.updated' && e.target?.id === `user:${editorId}`),
      JSON.stringify(audit.body),
    );

    // Edit: the form takes the row's values (in GB).
    await row.getByRole('button', { name: /^Edit/ }).click();
    assert.equal(await form.getByLabel('Storage (GB)', { exact: true }).inputValue(), '2.5');
    assert.equal(await form.getByLabel("User's e-mail").inputValue(), EDITOR);

    // Clear (confirmed): the row is gone, and from the API.
    await row.getByRole('button', { name: /^Clear/ }).click();
    await page.getByText(`The limits of ${EDITOR} are removed.`).waitFor();
    await row.waitFor({ state: 'detached' });
    assert.equal(await quotas(), undefined);
    assert.deepEqual(errors, []);
  });

  test('the tab reads the usage again by itself: more viewing shows within a minute, without a click', async () => {
    await page.goto('/admin/usage');
    const stamp = page.locator('.usage-status time[data-updated-at]');
    await stamp.waitFor();
    const first = await stamp.getAttribute('data-updated-at');
    const shown = page.locator('.usage-totals dd[data-metric=delivered_bytes]');
    const before = Number(await shown.getAttribute('data-value'));
    await watchAll(server, asset.playback_ids[0]?.id ?? '');
    const more = await waitForValue(
      async () => (await usage<never>('day')).totals.delivered_bytes.total,
      (n) => n > before,
      { timeoutMs: 15_000, intervalMs: 250, what: 'the second viewing in GET /v1/usage' },
    );
    await waitForValue(
      async () => Number(await shown.getAttribute('data-value')),
      (n) => n >= more,
      { timeoutMs: 70_000, intervalMs: 1000, what: 'the tab to show the second viewing by itself' },
    );
    assert.notEqual(await stamp.getAttribute('data-updated-at'), first, '"updated at" moved on');
    assert.deepEqual(errors, []);
  });

  test('stored GB-hours: the store walked (every minute here) and integrated, drawn per category', async () => {
    // The first walk found the store empty (it runs as the server starts), the next one the
    // clip's objects; the one after adds their level × the time between.
    await storageCounted;
    await page.getByRole('button', { name: 'Refresh now' }).click();
    const stored = page.locator('.usage-chart[data-metric=stored_gb_hours]');
    await waitForValue(
      async () => Number(await stored.getAttribute('data-total')),
      (v) => v > 0,
      { timeoutMs: 10_000, intervalMs: 250, what: 'the stored chart to draw the stored GB-hours' },
    );
    assert.match((await stored.locator('.u-legend').textContent()) ?? '', /Originals|Renditions/);
    await totalsMatch();
    await picture(page, 'admin-usage.png');
    assert.deepEqual(errors, []);
  });
});

const monthStart = () => `${new Date().toISOString().slice(0, 7)}-01`;

/**
 * Plays a video as a player would fetch it, all of it: the master playlist, each media playlist
 * (audio ones too), init segments and media segments. Returns the body bytes received.
 */
async function watchAll(server: TestServer, playbackId: string): Promise<number> {
  let bytes = 0;
  const get = async (url: URL) => {
    const res = await fetch(url);
    assert.equal(res.status, 200, url.href);
    const body = Buffer.from(await res.arrayBuffer());
    bytes += body.length;
    return body.toString('utf8');
  };
  const uris = (playlist: string, base: URL) =>
    playlist
      .split('\n')
      .flatMap((line) => {
        const map = /URI="([^"]+)"/.exec(line);
        if (/^#EXT-X-(MAP|MEDIA)/.test(line) && map?.[1]) return [map[1]];
        return line && !line.startsWith('#') ? [line.trim()] : [];
      })
      .map((u) => new URL(u, base));
  const master = new URL(`/play/${playbackId}/master.m3u8`, server.url);
  for (const media of uris(await get(master), master))
    for (const segment of uris(await get(media), media)) await get(segment);
  assert.ok(bytes > 10_000, `${bytes} bytes delivered`);
  return bytes;
}
