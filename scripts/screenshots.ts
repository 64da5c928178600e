// The screenshots in docs/screenshots/: the library, an asset, a live broadcast and the admin
// pages, in English and in Korean, taken from a real server in Debian's Chromium (the same
// server and browser the tests use). Korean text needs a Hangul font on the machine (Debian:
// fonts-noto-cjk). Usage: npm run screenshots
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClip } from '../test/fixtures/media.ts';
import { signUpWithRole } from '../test/helpers/accounts.ts';
import { ensureWebBuilt, launchChromium, signedInContext, waitForPlayback } from '../test/helpers/browser.ts';
import { type LiveStreamBody, publishRtmp, waitForStream } from '../test/helpers/live.ts';
import { isFinished, startTestServer } from '../test/helpers/server.ts';

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');
const ADMIN_KEY = 'screenshots-admin-key-0123456789abcdef';
const LOCALES = [
  { locale: 'en', browser: 'en-US' },
  { locale: 'ko', browser: 'ko-KR' },
] as const;

ensureWebBuilt();
await mkdir(OUT, { recursive: true });
const dir = await mkdtemp(join(tmpdir(), 'fh-shots-'));
const server = await startTestServer({ FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY, FRAMEHOUSE_LIVE_MAX_RUNGS: '2' });
const browser = await launchChromium();
const step = (what: string) => process.stderr.write(`screenshots: ${what}\n`);
try {
  const cookie = await signUpWithRole(server, 'ana@example.com', 'a long enough password', 'admin');
  step('uploading three videos');
  const titles = ['Jeju Olle trail, part 3', '봄 신상 립스틱 라이브 다시보기', 'Harbour walk at dusk'];
  const assets = [];
  for (const [i, title] of titles.entries())
    assets.push(await server.upload(await makeClip(dir, { name: `clip${i}`, seconds: 6 + i * 3 }), title));
  for (const a of assets) await server.waitForAsset(a.id, isFinished, 300_000);

  step('starting a broadcast');
  const created = await server.api<{ data: LiveStreamBody }>('/v1/live-streams', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Spring launch live', latency_mode: 'low', record: false }),
  });
  const stream = created.body.data;
  const publisher = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 300 });
  await waitForStream(server.api, stream.id, (s) => s.status === 'active', 60_000);
  const live = stream.playback_ids[0]?.id;

  for (const { locale, browser: language } of LOCALES) {
    const context = await signedInContext(browser, server, cookie, {
      locale: language,
      viewport: { width: 1280, height: 800 },
    });
    const page = await context.newPage();
    // The asset and stream pages are long (details under the player): those are shot whole.
    const shoot = async (name: string, fullPage = false) => {
      await page.waitForLoadState('networkidle').catch(() => {});
      await page.screenshot({
        path: join(OUT, `${name}-${locale}.jpg`),
        type: 'jpeg',
        quality: 75,
        fullPage,
      });
      step(`${name}-${locale}.jpg`);
    };
    await page.goto('/');
    await page.locator('.card').first().waitFor();
    await shoot('library');
    await page.goto(`/assets/${assets[0]?.id}`);
    await waitForPlayback(page, 1).catch(() => {});
    await shoot('asset', true);
    await page.goto(`/streams/${stream.id}`);
    await page.locator('video').first().waitFor();
    await shoot('live-host', true);
    await page.goto(`/live/${live}`);
    await waitForPlayback(page, 1, 60_000).catch(() => {});
    await shoot('live-viewer');
    await page.goto('/admin/queues');
    await page.locator('table').first().waitFor();
    await shoot('admin');
    await context.close();
  }
  await publisher.stop();
} finally {
  await browser.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
