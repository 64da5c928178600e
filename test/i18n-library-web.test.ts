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
import { catalogue } from './helpers/messages.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { waitFor } from './helpers/wait.ts';

// The library, upload, asset, player and settings pages in Korean, for a browser that asks for
// Korean; the header switch and the account's language; Enter held while Hangul is composed.

/** A message of the catalogue as the page shows it: not retyped here. */
const ko = catalogue('ko', ['app', 'library', 'player']).text;
const en = catalogue('en', ['app', 'library', 'player']).text;

const EMAIL = 'minji@example.com';
const PASSWORD = 'a long enough password';
const SEOUL = 'Asia/Seoul';

describe('library and player in Korean (Chromium, ko-KR)', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let dir: string;

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-i18n-web-'));
    server = await startTestServer();
    browser = await launchChromium();
    context = await browser.newContext({
      baseURL: server.url,
      locale: 'ko-KR',
      timezoneId: SEOUL,
      viewport: { width: 1280, height: 800 },
    });
    page = await context.newPage();
    errors = collectErrors(page);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The signed-in account's language, as the server has it. */
  const accountLocale = (p: Page) =>
    p.evaluate(async () => {
      const res = await fetch('/v1/auth/get-session');
      return ((await res.json()) as { user: { locale: string | null } }).user.locale;
    });

  test('the first account is created in Korean and lands in an empty Korean library', async () => {
    // The page's lang when the app first puts something on it (index.html says en).
    await page.addInitScript(`(() => {
      new MutationObserver((_, seen) => {
        if (!document.getElementById('app')?.firstChild) return;
        window.firstRenderLang = document.documentElement.lang;
        seen.disconnect();
      }).observe(document, { childList: true, subtree: true });
    })()`);
    await page.goto('/');
    assert.equal(await page.evaluate('window.firstRenderLang'), 'ko', 'lang is set before the first render');
    assert.equal(await page.locator('html').getAttribute('lang'), 'ko');
    await page.getByText(ko('app_open_mode_banner')).waitFor();
    await page.getByRole('link', { name: ko('app_create_first_account') }).click();
    await page.getByRole('heading', { name: ko('app_create_first_account') }).waitFor();
    await page.getByText(ko('app_signin_first_admin')).waitFor();
    await page.getByLabel(ko('app_signin_name')).fill('김민지');
    await page.getByLabel(ko('app_signin_email')).fill(EMAIL);
    await page.getByLabel(ko('app_password')).fill(PASSWORD);
    await page.getByRole('button', { name: ko('app_create_first_account') }).click();
    await page.getByRole('heading', { name: ko('library_title') }).waitFor();
    await page.getByText(ko('library_empty')).waitFor();
    await page.getByRole('link', { name: ko('library_upload_first') }).waitFor();
    assert.equal(await accountLocale(page), null, 'no language chosen yet: the browser decides');
    await screenshot(page, 'ko-01-empty-library');
  });

  test('an upload in Korean: progress, the asset page, and the video plays', async () => {
    const clip = await makeClip(dir, { name: '항구 산책', width: 640, height: 360, seconds: 4 });
    await page.getByRole('link', { name: ko('app_nav_upload'), exact: true }).click();
    await page.getByRole('heading', { name: ko('library_upload_title') }).waitFor();
    await page.getByText(ko('library_upload_drop')).waitFor();
    const tus = page.waitForRequest(
      (r) => r.method() === 'POST' && new URL(r.url()).pathname === '/v1/uploads',
    );
    await page.locator('input[type=file]').setInputFiles(clip);
    // tus does not go through api(): it asks for the page's language itself (the server's refusals).
    assert.equal(await (await tus).headerValue('accept-language'), 'ko');
    await page.getByRole('link', { name: ko('library_upload_done') }).click({ timeout: 60_000 });
    const badge = page.locator('h1 .badge[data-status=ready]');
    await badge.waitFor({ timeout: 120_000 });
    assert.equal((await badge.textContent())?.trim(), ko('app_status_ready'));
    const id = page.url().split('/').pop() ?? '';

    // The facts line: the upload's moment in Korean words, in the browser's time zone.
    const stored = await page.evaluate(
      async (id) =>
        ((await (await fetch(`/v1/assets/${id}`)).json()) as { data: { created_at: string } }).data,
      id,
    );
    const when = new Intl.DateTimeFormat('ko', { dateStyle: 'medium', timeStyle: 'short', timeZone: SEOUL });
    const facts = (await page.locator('.asset .facts').first().textContent()) ?? '';
    assert.ok(facts.includes(when.format(new Date(stored.created_at))), `Korean date in: ${facts}`);
    assert.match(facts, /오전|오후/, 'a Korean time of day');

    await page.getByText(ko('library_asset_edit'), { exact: true }).waitFor();
    await page.getByRole('heading', { name: ko('library_asset_share') }).waitFor();
    await page.getByText(ko('library_asset_embed_code'), { exact: true }).waitFor();
    await page.getByRole('slider', { name: ko('player_seek') }).waitFor();
    await page.getByRole('button', { name: ko('player_play') }).click();
    await waitForPlayback(page, 1, 30_000);
    await page.getByRole('button', { name: ko('player_pause') }).click();
    await page.getByRole('button', { name: ko('player_fullscreen') }).waitFor();
    await screenshot(page, 'ko-02-asset-playing');

    await page.goto('/');
    await page.getByRole('heading', { name: ko('library_title') }).waitFor();
    const card = page.locator(`[data-asset-id="${id}"]`);
    await card.waitFor();
    assert.equal((await card.locator('.badge').textContent())?.trim(), ko('app_status_ready'));
    await page.getByPlaceholder(ko('library_search')).fill('없는 제목');
    await page.getByText(ko('library_no_match')).waitFor();
    await page.getByPlaceholder(ko('library_search')).fill('');
    await card.waitFor();
    await screenshot(page, 'ko-03-library');
  });

  test('the header switch turns the pages English and back, and the account keeps the choice', async () => {
    const sw = page.locator('select.language-switch');
    await sw.selectOption('en');
    await page.getByRole('heading', { name: en('library_title') }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.getByPlaceholder(en('library_search')).waitFor();
    await waitFor(async () => (await accountLocale(page)) === 'en', { what: 'the account to keep English' });
    // The choice lasts past a reload in a Korean browser.
    await page.reload();
    await page.getByRole('heading', { name: en('library_title') }).waitFor();

    await sw.selectOption('ko');
    await page.getByRole('heading', { name: ko('library_title') }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'ko');
    await waitFor(async () => (await accountLocale(page)) === 'ko', { what: 'the account to keep Korean' });
  });

  test("the settings page's language applies at once, and the account's language wins over the browser's", async () => {
    await page.getByRole('link', { name: ko('app_nav_settings') }).click();
    await page.getByRole('heading', { name: ko('app_settings_title') }).waitFor();
    const language = page.locator('select[name=locale]');
    assert.equal(await language.inputValue(), 'ko');

    // "The browser's language": nothing saved, and this Korean browser stays Korean.
    await language.selectOption('');
    await page.getByText(ko('app_settings_language_saved')).waitFor();
    await waitFor(async () => (await accountLocale(page)) === null, {
      what: 'the account to forget its language',
    });
    assert.equal(
      (await language.locator('option[value=""]').textContent())?.trim(),
      ko('app_settings_language_browser', { language: '한국어' }),
    );

    // English: at once, without a reload.
    await language.selectOption('en');
    await page.getByRole('heading', { name: en('app_settings_title') }).waitFor();
    await page.getByText(en('app_settings_language_saved')).waitFor();
    assert.equal(await accountLocale(page), 'en');

    // An English browser for an account that follows the browser is English; for a Korean account, Korean.
    await language.selectOption('');
    await waitFor(async () => (await accountLocale(page)) === null, {
      what: 'the account to forget its language',
    });
    await page.getByRole('heading', { name: ko('app_settings_title') }).waitFor();
    const english = await browser.newContext({ baseURL: server.url, locale: 'en-US' });
    const other = await english.newPage();
    const otherErrors = collectErrors(other);
    const signIn = async () => {
      await other.goto('/sign-in');
      await other.getByRole('heading', { name: en('app_signin_title') }).waitFor();
      await other.getByLabel(en('app_signin_email')).fill(EMAIL);
      await other.getByLabel(en('app_password')).fill(PASSWORD);
      await other.getByRole('button', { name: en('app_signin_title') }).click();
    };
    await signIn();
    await other.getByRole('heading', { name: en('library_title') }).waitFor();
    // The same device (its cookie and storage) once its browser asks for Korean: Korean. The
    // first visit in English must not have pinned English on the device.
    const korean = await browser.newContext({
      baseURL: server.url,
      locale: 'ko-KR',
      storageState: await english.storageState(),
    });
    const same = await korean.newPage();
    await same.goto('/');
    await same.getByRole('heading', { name: ko('library_title') }).waitFor();
    assert.equal(await same.locator('html').getAttribute('lang'), 'ko');
    await korean.close();
    await other.reload();
    await other.getByRole('heading', { name: en('library_title') }).waitFor();

    await language.selectOption('ko');
    await page.getByText(ko('app_settings_language_saved')).waitFor();
    assert.equal(await accountLocale(page), 'ko');
    await other.reload();
    await other.getByRole('heading', { name: ko('library_title') }).waitFor();
    assert.equal(await other.locator('html').getAttribute('lang'), 'ko');
    // A fresh English browser, signed in anew: the account's Korean again.
    await english.clearCookies();
    await other.evaluate(() => localStorage.clear());
    await signIn();
    await other.getByRole('heading', { name: ko('library_title') }).waitFor();
    await screenshot(other, 'ko-04-account-language-wins');
    assert.deepEqual(otherErrors, []);
    await english.close();
  });

  test('Enter while composing Hangul in the sign-in form does not submit, and keeps the whole text', async () => {
    const fresh = await browser.newContext({ baseURL: server.url, locale: 'ko-KR' });
    const p = await fresh.newPage();
    const sent: string[] = [];
    p.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/v1/auth/')) sent.push(r.url());
    });
    await p.goto('/sign-in');
    await p.getByRole('heading', { name: ko('app_signin_title') }).waitFor();
    // The create-account step of the same form: its name field is where Hangul is typed.
    await p.getByRole('button', { name: ko('app_signin_create') }).click();
    await p.getByRole('heading', { name: ko('app_signin_create') }).waitFor();
    await p.getByLabel(ko('app_signin_email')).fill('seojun@example.com');
    await p.getByLabel(ko('app_password')).fill(PASSWORD);
    const name = p.getByLabel(ko('app_signin_name'));
    await name.fill('이');
    await name.focus();
    await name.press('End');

    // A Hangul IME composes 서, then 서준, as Chromium's input method would: then Enter confirms it.
    const cdp = await fresh.newCDPSession(p);
    await cdp.send('Input.imeSetComposition', { text: 'ㅅ', selectionStart: 1, selectionEnd: 1 });
    await cdp.send('Input.imeSetComposition', { text: '서', selectionStart: 1, selectionEnd: 1 });
    await cdp.send('Input.insertText', { text: '서' });
    await cdp.send('Input.imeSetComposition', { text: '주', selectionStart: 1, selectionEnd: 1 });
    await cdp.send('Input.imeSetComposition', { text: '준', selectionStart: 1, selectionEnd: 1 });
    assert.equal(await name.inputValue(), '이서준', 'the syllable being composed is in the field');
    // Enter while 준 is still composed: the keydown reports isComposing, the form must not submit.
    await cdp.send('Input.dispatchKeyEvent', {
      type: 'keyDown',
      key: 'Enter',
      code: 'Enter',
      windowsVirtualKeyCode: 13,
      text: '\r',
      unmodifiedText: '\r',
    });
    await cdp.send('Input.dispatchKeyEvent', {
      type: 'keyUp',
      key: 'Enter',
      code: 'Enter',
      windowsVirtualKeyCode: 13,
    });
    await cdp.send('Input.insertText', { text: '준' });
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(sent, [], 'nothing was sent while composing');
    assert.equal(await name.inputValue(), '이서준', 'the whole name is kept');
    assert.equal(await p.getByRole('heading', { name: ko('app_signin_create') }).count(), 1);

    // Safari reports the confirming Enter as key code 229 without isComposing: the key code alone holds it.
    const held = await name.evaluate((input) => {
      // The test's types have no DOM: the page's own constructor.
      const dom = globalThis as unknown as {
        CompositionEvent: typeof Event;
        KeyboardEvent: new (type: string, init: object) => Event;
      };
      const Composition = dom.CompositionEvent;
      input.dispatchEvent(new Composition('compositionstart', { bubbles: true }));
      const enter = new dom.KeyboardEvent('keydown', {
        key: 'Enter',
        keyCode: 229,
        isComposing: false,
        bubbles: true,
        cancelable: true,
      });
      input.dispatchEvent(enter);
      input.dispatchEvent(new Composition('compositionend', { bubbles: true }));
      return enter.defaultPrevented;
    });
    assert.equal(held, true, 'a composing Enter (key code 229) is held back');

    // Enter once the composition is over submits, as it should.
    await cdp.detach();
    await name.press('Enter');
    await waitFor(async () => (sent as string[]).some((u) => u.includes('/sign-up/email')), {
      what: 'a plain Enter to submit the form',
    });
    await fresh.close();
    assert.deepEqual(errors, []);
  });

  test("better-auth's refusals read in Korean: an account that exists already", async () => {
    const fresh = await browser.newContext({ baseURL: server.url, locale: 'ko-KR' });
    const p = await fresh.newPage();
    await p.goto('/sign-in');
    await p.getByRole('button', { name: ko('app_signin_create') }).click();
    await p.getByLabel(ko('app_signin_name')).fill('김민지');
    await p.getByLabel(ko('app_signin_email')).fill(EMAIL);
    await p.getByLabel(ko('app_password')).fill(PASSWORD);
    await p.getByRole('button', { name: ko('app_signin_create') }).click();
    await p
      .getByRole('alert')
      .filter({ hasText: ko('app_error_account_exists') })
      .waitFor();
    await fresh.close();
  });
});
