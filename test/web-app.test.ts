import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
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
import { totp } from './helpers/totp.ts';
import { waitFor, waitForValue } from './helpers/wait.ts';

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
    // The two-factor test types a wrong code on purpose: its 401 is expected.
    errors = collectErrors(page, [/two-factor\/verify-totp/]);
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

  test('an upload pauses, resumes, and after a page reload continues where it stopped', async () => {
    const file = await makeClip(dir, { name: 'market day', width: 1280, height: 720, seconds: 6, grain: 40 });
    const size = (await stat(file)).size;
    assert.ok(size > 12 * 1024 * 1024, `a file of several chunks (${size} bytes)`);
    // A slow uplink, as from a phone: 3 MB/s, so there is time to pause and to reload.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 3 * 1024 * 1024,
    });
    const creations: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/uploads') creations.push(r.url());
    });
    await page.goto('/upload');
    await page.locator('input[type=file]').setInputFiles(file);
    const item = page.locator('.upload').first();
    const sent = async () => Number(await item.locator('progress').getAttribute('value'));
    await waitFor(async () => (await sent()) >= 5, { what: 'the upload to pass 5 %' });
    assert.match(
      (await item.locator('.upload-foot').textContent()) ?? '',
      /MB\/s · .* left/,
      'speed and time left',
    );
    await item.getByRole('button', { name: 'Pause' }).click();
    assert.equal(await item.getAttribute('data-state'), 'paused');
    const pausedAt = await sent();
    await sleep(1000);
    assert.equal(await sent(), pausedAt, 'nothing moves while paused');
    await item.getByRole('button', { name: 'Resume' }).click();
    await waitFor(async () => (await sent()) > pausedAt + 5, { what: 'the upload to move on after Resume' });
    const beforeReload = await sent();
    assert.ok(beforeReload > pausedAt && beforeReload < 100, `resumed: ${pausedAt}% → ${beforeReload}%`);

    await page.reload();
    await page.getByText('Unfinished uploads from an earlier visit').waitFor();
    await screenshot(page, '03b-upload-resumable');
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByRole('link', { name: 'Uploaded — see it being processed' }).waitFor({ timeout: 60_000 });
    assert.equal(creations.length, 1, 'the reload continued the same upload: no second creation');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await cdp.detach();
    await page.getByRole('link', { name: 'Uploaded — see it being processed' }).click();
    const id = page.url().split('/').pop() ?? '';
    const stored = await server.api<{ data: AssetBody }>(`/v1/assets/${id}`);
    assert.equal(stored.body.data.source.size, size, 'every byte arrived once');
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

  test('the player previews the storyboard on the seek bar, switches quality on request, and takes keys', async () => {
    await page.goto(`/assets/${flat.id}`);
    const seek = page.getByRole('slider', { name: 'Seek' });
    await seek.waitFor();
    // The mouse only reaches what is on screen: the controls sit at the viewport's bottom edge.
    await seek.scrollIntoViewIfNeeded();
    const box = await seek.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    const thumb = page.locator('.seek-thumb');
    await thumb.waitFor({ timeout: 10_000 });
    assert.match((await thumb.getAttribute('style')) ?? '', /storyboard\.jpg/);
    await screenshot(page, '04b-storyboard-hover');

    const quality = page.getByLabel('Quality');
    const options = await quality.locator('option').allTextContents();
    assert.deepEqual(options, ['Auto', '360p', '240p'], 'the ladder of a 640×360 source');
    await page.locator('.player').focus();
    await page.keyboard.press('k');
    await waitForPlayback(page, 0.5);
    await page.keyboard.press('k');
    // The attribute follows the video's own 'pause' event, a moment after the key.
    await waitForValue(
      () => page.locator('.player').getAttribute('data-playing'),
      (v) => v === 'false',
      { timeoutMs: 5000, intervalMs: 50, what: 'k to pause' },
    );
    // With a Korean keyboard layout active, K reports ㅏ: the shortcut goes by the key's place (code).
    const playing = (v: string) =>
      waitForValue(
        () => page.locator('.player').getAttribute('data-playing'),
        (p) => p === v,
        { timeoutMs: 5000, intervalMs: 50, what: `ㅏ (KeyK) to make data-playing ${v}` },
      );
    const koreanK = `document.querySelector('.player').dispatchEvent(
      new KeyboardEvent('keydown', { key: 'ㅏ', code: 'KeyK', bubbles: true, cancelable: true }))`;
    await page.evaluate(koreanK);
    await playing('true');
    await page.evaluate(koreanK);
    await playing('false');
    const t0 = await page.evaluate<number>("document.querySelector('video').currentTime");
    await page.keyboard.press('ArrowRight');
    const t1 = await page.evaluate<number>("document.querySelector('video').currentTime");
    assert.ok(t1 > t0 + 1 || t1 >= 5.9, `→ seeks forward (${t0} → ${t1})`);
    await quality.selectOption({ label: '240p' });
    const chosen = await quality.inputValue();
    const level = await waitForValue(
      () => page.locator('.player').getAttribute('data-level'),
      (l) => l === chosen,
      { what: 'hls.js to switch to the chosen 240p level' },
    );
    assert.equal(level, chosen, 'hls.js switched to the chosen 240p level');
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
    await waitForPlayback(viewer, 20, 60_000).catch(async (err: Error) => {
      const shown = await viewer
        .locator('.player-error')
        .textContent()
        .catch(() => null);
      const statuses = tokensSeen.map((t) => `${t.token === first ? 'first' : 'renewed'}:${t.status}`);
      throw new Error(`${err.message}; player says ${shown}; requests ${statuses.join(' ')}`);
    });
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

  test('a photo uploaded through the page shows as a picture, with a poster in the library', async () => {
    const photo = join(dir, 'lighthouse.jpg');
    await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#2a6f97' } })
      .jpeg()
      .toFile(photo);
    await page.goto('/upload');
    await page.locator('input[type=file]').setInputFiles(photo);
    await page.getByRole('link', { name: 'Uploaded — see it being processed' }).click({ timeout: 60_000 });
    const img = page.locator('figure.photo img');
    await img.waitFor({ timeout: 30_000 });
    const natural = await waitForValue(
      () => page.evaluate<number>("document.querySelector('figure.photo img')?.naturalWidth ?? 0"),
      (width) => width !== 0,
      { what: 'the photo to load' },
    );
    assert.equal(natural, 1440, 'the 1080p preset: 1440 × 1080');
    await screenshot(page, '05b-photo');

    // A batch over it, watched live on the admin page: the row turns done without a reload.
    const photoId = page.url().split('/').pop() ?? '';
    await page.goto('/admin/batches');
    await page.getByText('No image batches yet.').waitFor();
    const batch = await inPage<{ data: { id: string } }>('/v1/batches', {
      method: 'POST',
      json: { asset_ids: [photoId], presets: ['4k', 'thumbnail'] },
    });
    await page
      .locator(`tr[data-batch="${batch.data.id}"][data-status="completed"]`)
      .waitFor({ timeout: 30_000 });
    await screenshot(page, '05c-batch-done');
  });

  test('two-factor: turned on in settings, then sign-in asks for the code', async () => {
    await page.goto('/settings');
    const twoFactor = page.locator('form', {
      has: page.getByRole('heading', { name: 'Two-factor sign-in' }),
    });
    await twoFactor.getByLabel('Your password').fill('a long enough password');
    await twoFactor.getByRole('button', { name: 'Turn on' }).click();
    const uri = await page.locator('a[href^="otpauth:"]').getAttribute('href');
    const secret = new URL(uri ?? '').searchParams.get('secret') ?? '';
    assert.ok(secret, 'a provisioning URI with the secret');
    await page.getByLabel('Code from the app').fill(totp(secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Two-factor sign-in is on.').waitFor();
    await screenshot(page, '10b-two-factor-on');

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL('**/sign-in');
    await page.getByLabel('E-mail').fill('ana@example.com');
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Two-factor code' }).waitFor();
    await page.getByLabel('The 6-digit code from your authenticator app').fill('000000');
    await page.getByRole('button', { name: 'Two-factor code' }).click();
    await page.getByRole('alert').waitFor();
    await screenshot(page, '10c-two-factor-wrong-code');
    // The next period's code: the one used to confirm may not be used twice.
    await page
      .getByLabel('The 6-digit code from your authenticator app')
      .fill(totp(secret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Two-factor code' }).click();
    await page.getByRole('heading', { name: 'Library' }).waitFor();
  });

  test('admin, settings and a phone-sized library render, with no console errors anywhere', async () => {
    for (const tab of [
      'queues',
      'jobs',
      'workers',
      'batches',
      'storage',
      'users',
      'keys',
      'webhooks',
      'audit',
    ]) {
      await page.goto(`/admin/${tab}`);
      await page.locator('.tabs').waitFor();
      await page.waitForLoadState('networkidle');
      assert.equal(await page.locator('.error[role=alert]').count(), 0, `admin ${tab} shows no error`);
      await screenshot(page, `09-admin-${tab}`);
    }
    // The quota mails' "See your usage" leads here: the caller's quotas with what they use.
    const me = await inPage<{ data: { id: string; email: string }[] }>('/v1/users');
    const ana = me.data.find((u) => u.email === 'ana@example.com')?.id;
    await inPage(`/v1/admin/quotas/user:${ana}`, { method: 'PUT', json: { storage_bytes: 1e12 } });
    await page.goto('/settings#usage');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByRole('heading', { name: 'Usage and quotas' }).waitFor();
    await page.getByText(/^Storage: .* of 1 TB \(\d/).waitFor();
    assert.equal(await page.locator('#usage progress').count(), 1);
    await screenshot(page, '10-settings');
    await inPage(`/v1/admin/quotas/user:${ana}`, { method: 'PUT', json: { storage_bytes: null } });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/');
    await page.locator('.card').first().waitFor();
    const tooWide = await page.evaluate<string[]>(
      `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => e.tagName + '.' + e.className)`,
    );
    assert.deepEqual(tooWide, [], 'nothing wider than a 360 px phone');
    // A Korean title or chat line breaks between words on an English page too, not inside them.
    assert.equal(
      await page.evaluate<string>("getComputedStyle(document.querySelector('.card')).wordBreak"),
      'keep-all',
    );
    await screenshot(page, '11-library-phone');
    await page.goto(`/assets/${flat.id}`);
    await page.locator('video').waitFor();
    await screenshot(page, '12-asset-phone');
    assert.deepEqual(errors, []);
  });
});
