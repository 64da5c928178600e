import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';
import { waitForValue } from './wait.ts';

export const CHROMIUM = process.env.FRAMEHOUSE_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'web');

/** Whether browser tests can run here; says why not on a line of its own when they cannot. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  process.stdout.write(`browser tests skipped: ${CHROMIUM} is not installed (apt-get install chromium)\n`);
  return false;
}

/** The built web app, as `npm test` and `npm start` would have it (built here when stale). */
export function ensureWebBuilt(): void {
  execFileSync(process.execPath, ['scripts/build-web-if-stale.ts'], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: 'inherit',
  });
}

/**
 * Headless Debian Chromium: no sandbox (root in CI), no background networking (the machine has
 * no internet), software WebGL (no GPU) for the 360° view, autoplay without a gesture.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Console errors and uncaught exceptions of a page, to assert there are none. */
export function collectErrors(page: Page, ignore: RegExp[] = []): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    const text = m.type() === 'error' ? `${m.text()} ${m.location().url}` : '';
    if (text && !ignore.some((r) => r.test(text))) errors.push(text);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Seconds the page's first <video> has played. */
export const currentTime = (page: Page) =>
  page.evaluate<number>("document.querySelector('video')?.currentTime ?? 0");

/**
 * Waits until the video has played past `seconds`. Polled from here: the page's CSP forbids the
 * eval that Playwright's string predicates need, and the test must not weaken it.
 */
export async function waitForPlayback(page: Page, seconds: number, timeoutMs = 30_000): Promise<void> {
  await waitForValue(
    () => currentTime(page),
    (t) => t > seconds,
    { timeoutMs, intervalMs: 200, what: `the video to play past ${seconds} s` },
  );
}

/**
 * A browser context signed in with this session cookie (as helpers/accounts.ts returns it), at
 * 1280×900 unless `options` say otherwise (a locale, a time zone, another viewport).
 */
export async function signedInContext(
  browser: Browser,
  server: { url: string },
  cookie: string,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: { width: 1280, height: 900 },
    ...options,
  });
  await context.addCookies(
    cookie.split('; ').map((c) => {
      const at = c.indexOf('=');
      return { name: c.slice(0, at), value: c.slice(at + 1), url: server.url };
    }),
  );
  return context;
}
