import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { makeClip } from './fixtures/media.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
  waitForPlayback,
} from './helpers/browser.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

// The browser app in Debian's Chromium, against a real server: what a person does and sees.
describe('web app in Chromium', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let dir: string;
  let flat: AssetBody;

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-web-'));
    server = await startTestServer();
    browser = await launchChromium();
    context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    errors = collectErrors(page);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs in the page: same origin, with the session cookie (as the app itself calls the API). */
  const inPage = <T>(path: string, init: { method: string; json?: unknown } = { method: 'GET' }) =>
    page.evaluate(
      async ({ path, init }) => {
        const res = await fetch(path, {
          method: init.method,
          headers: init.json ? { 'content-type': 'application/json' } : {},
          body: init.json ? JSON.stringify(init.json) : null,
        });
        return (await res.json()) as unknown;
      },
      { path, init },
    ) as Promise<T>;

  test('the first visitor creates the admin account and lands in an empty library', async () => {
    await page.goto('/');
    // No account or key yet: the server is open, and says so.
    await page.getByText('This server is open to anyone').waitFor();
    await page.getByRole('link', { name: 'Create the first account' }).click();
    await page.getByRole('heading', { name: 'Create the first account' }).waitFor();
    await screenshot(page, '01-first-account');
    await page.getByLabel('Name').fill('Ana Guide');
    await page.getByLabel('E-mail').fill('ana@example.com');
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Create the first account' }).click();
    await page.getByRole('heading', { name: 'Library' }).waitFor();
    await page.getByText('No videos yet.').waitFor();
    assert.ok(await page.getByRole('link', { name: 'Admin' }).isVisible(), 'the first account is admin');
    await screenshot(page, '02-empty-library');
    // The server is closed now: the test's own API calls use a key the admin makes.
    const key = await inPage<{ data: { key: string } }>('/v1/api-keys', {
      method: 'POST',
      json: { name: 'browser test', scopes: ['admin'] },
    });
    server.authorize(key.data.key);
  });

  test('upload through the page; the status reaches ready without a reload; it plays with a level chosen', async () => {
    const clip = await makeClip(dir, { name: 'harbour walk', width: 640, height: 360, seconds: 6 });
    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    let loads = 0;
    page.on('load', () => loads++);
    await page.locator('input[type=file]').setInputFiles(clip);
    await page.getByRole('link', { name: 'Uploaded — see it being processed' }).click({ timeout: 60_000 });
    await screenshot(page, '03-asset-processing');
    await page.locator('h1 .badge[data-status=ready]').waitFor({ timeout: 120_000 });
    assert.equal(loads, 0, 'no page load: the status arrived live');
    const video = page.locator('video');
    await video.waitFor();
    await page.getByRole('button', { name: 'Play (k)' }).click();
    await waitForPlayback(page, 1, 30_000);
    const level = await page.locator('.player').getAttribute('data-level');
    assert.match(level ?? '', /^\d+$/, 'hls.js chose a quality level');
    await page.getByRole('button', { name: 'Pause (k)' }).click();
    await screenshot(page, '04-asset-playing');
    const id = page.url().split('/').pop() ?? '';
    flat = (await server.waitForAsset(id, isFinished)) as AssetBody;
    assert.equal(flat.status, 'ready');

    await page.getByRole('link', { name: 'Library' }).click();
    await page.locator(`[data-asset-id="${id}"] .badge[data-status=ready]`).waitFor();
    await page.getByLabel('Search titles').fill('harbour');
    await page.locator(`[data-asset-id="${id}"]`).waitFor();
    await page.getByLabel('Search titles').fill('nothing like this');
    await page.getByText('Nothing matches').waitFor();
    await page.getByLabel('Search titles').fill('');
    await screenshot(page, '05-library');
  });

  test('a 360° video renders into a WebGL canvas, and a drag turns the view', async () => {
    const clip = await makeClip(dir, {
      name: 'temple',
      width: 960,
      height: 480,
      seconds: 4,
      spherical: true,
    });
    const asset = await server.upload(clip, 'Temple courtyard 360');
    await server.waitForAsset(asset.id, isFinished);
    await page.goto(`/assets/${asset.id}`);
    const canvas = page.locator('canvas.vr-canvas');
    await canvas.waitFor();
    assert.ok(
      await page.evaluate<boolean>(
        "document.querySelector('canvas.vr-canvas').getContext('webgl2') !== null",
      ),
      'a WebGL 2 context (three.js asks for one)',
    );
    await page.getByRole('button', { name: 'Play (k)' }).click();
    await waitForPlayback(page, 0.5);
    const box = await canvas.boundingBox();
    assert.ok(box);
    const before = await canvas.getAttribute('data-lon');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 200, box.y + box.height / 2 + 40, { steps: 8 });
    await page.mouse.up();
    const afterDrag = await canvas.getAttribute('data-lon');
    assert.notEqual(afterDrag, before, 'the drag turned the view');
    assert.ok(Number(afterDrag) > 10, `looked right by dragging left (lon ${afterDrag})`);
    await canvas.focus();
    await page.keyboard.press('ArrowUp');
    assert.equal(Number(await canvas.getAttribute('data-lat')) > 0, true, 'arrow up looks up');
    // The picture on the canvas is the video, not a blank: sample its pixels.
    // Read inside an animation frame, after the view has drawn and before the buffer is cleared.
    const lit = await page.evaluate<number>(`new Promise((resolve) => requestAnimationFrame(() => {
      const copy = document.createElement('canvas');
      copy.width = 64;
      copy.height = 32;
      const ctx = copy.getContext('2d');
      ctx.drawImage(document.querySelector('canvas.vr-canvas'), 0, 0, 64, 32);
      resolve(ctx.getImageData(0, 0, 64, 32).data.reduce((sum, v, i) => (i % 4 === 3 ? sum : sum + v), 0));
    }))`);
    assert.ok(lit > 0, 'the sphere shows the video');
    await screenshot(page, '06-asset-360');
    await page.getByRole('button', { name: 'Reset view (r)' }).click();
    assert.equal(await canvas.getAttribute('data-lon'), '0.0');
  });

  test('the embed page plays on its own, without a session', async () => {
    const anonymous = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 640, height: 360 },
    });
    const embed = await anonymous.newPage();
    const embedErrors = collectErrors(embed);
    const response = await embed.goto(`/embed/${flat.playback_ids[0]?.id}`);
    assert.equal(response?.headers()['x-frame-options'], undefined, 'other sites may frame it');
    assert.match(response?.headers()['content-security-policy'] ?? '', /frame-ancestors \*/);
    await embed.getByRole('button', { name: 'Play (k)' }).click();
    await waitForPlayback(embed, 1, 30_000);
    await screenshot(embed, '07-embed');
    assert.deepEqual(embedErrors, []);
    await anonymous.close();
  });

  test('a private video plays through a signed link and keeps playing across a token renewal', async () => {
    const clip = await makeClip(dir, {
      name: 'visa briefing',
      width: 320,
      height: 180,
      seconds: 50,
      audio: false,
    });
    const asset = await server.upload(clip, 'Visa briefing');
    const ready = await server.waitForAsset(asset.id, isFinished);
    const playbackId = ready.playback_ids[0]?.id ?? '';
    await inPage(`/v1/assets/${asset.id}`, { method: 'PATCH', json: { playback_policy: 'signed' } });
    // A 12-second token, renewable for ten minutes: it expires while the video plays.
    const minted = await inPage<{ data: { token: string } }>('/v1/playback-tokens', {
      method: 'POST',
      json: { playback_id: playbackId, expires_in: 12, renewable_for: 600 },
    });
    const first = minted.data.token;

    const anonymous = await browser.newContext({ baseURL: server.url });
    const viewer = await anonymous.newPage();
    const viewerErrors = collectErrors(viewer);
    const tokensSeen: Array<{ token: string; status: number; at: number }> = [];
    viewer.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith(`/play/${playbackId}/`) && u.searchParams.get('token'))
        tokensSeen.push({ token: u.searchParams.get('token') ?? '', status: r.status(), at: Date.now() });
    });
    // Without the token: refused.
    const bare = await anonymous.request.get(`/play/${playbackId}/master.m3u8`);
    assert.equal(bare.status(), 403);

    const startedAt = Date.now();
    await viewer.goto(`/embed/${playbackId}?token=${first}`);
    await viewer.getByRole('button', { name: 'Play (k)' }).click();
    // Play well past the first token's expiry.
    await waitForPlayback(viewer, 20, 60_000);
    assert.ok(Date.now() - startedAt > 12_000);
    const renewed = tokensSeen.filter((t) => t.token !== first);
    assert.ok(renewed.length > 0, 'requests after the renewal carry a new token');
    assert.ok(
      renewed.every((t) => t.status === 200),
      JSON.stringify(renewed.map((t) => t.status)),
    );
    assert.ok(
      tokensSeen.every((t) => t.status === 200 || t.status === 206),
      'no request was refused',
    );
    assert.equal(await viewer.locator('.player-error').count(), 0);
    await screenshot(viewer, '08-signed-embed');
    assert.deepEqual(viewerErrors, []);
    await anonymous.close();
  });

  test('admin, settings and a phone-sized library render, with no console errors anywhere', async () => {
    for (const tab of ['queues', 'jobs', 'workers', 'users', 'keys', 'webhooks', 'audit']) {
      await page.goto(`/admin/${tab}`);
      await page.locator('.tabs').waitFor();
      await page.waitForLoadState('networkidle');
      assert.equal(await page.locator('.error[role=alert]').count(), 0, `admin ${tab} shows no error`);
      await screenshot(page, `09-admin-${tab}`);
    }
    await page.goto('/settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await screenshot(page, '10-settings');
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/');
    await page.locator('.card').first().waitFor();
    const tooWide = await page.evaluate<string[]>(
      `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => e.tagName + '.' + e.className)`,
    );
    assert.deepEqual(tooWide, [], 'nothing wider than a 360 px phone');
    await screenshot(page, '11-library-phone');
    await page.goto(`/assets/${flat.id}`);
    await page.locator('video').waitFor();
    await screenshot(page, '12-asset-phone');
    assert.deepEqual(errors, []);
  });
});
