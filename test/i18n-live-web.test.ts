import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { ERROR_MESSAGES_KO } from '../src/i18n/error-messages.ko.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  signedInContext,
} from './helpers/browser.ts';
import { type LiveStreamBody, type Publisher, publishRtmp, waitForStream } from './helpers/live.ts';
import { catalogue } from './helpers/messages.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

const ADMIN_KEY = 'i18n-live-web-admin-key-0123456789abcdef';
/** The Korean catalogue of the live and room areas, as the pages show it (never retyped here). */
const KO = catalogue('ko', ['live', 'room']);
const text = (key: string): string => KO.text(key);
/** A message with its placeholders filled. */
const fill = KO.text;
/** A message (plain or with plural variants: Korean has only `other`) as a pattern, placeholders as `(.+)`. */
const pattern = KO.pattern;

const chatTexts = (page: Page) =>
  page
    .locator('.chat-list .chat-message .chat-text')
    .evaluateAll((els) => els.map((e) => e.textContent ?? ''));

/** A Hangul syllable typed as an IME does: its jamo composed step by step (CDP), not yet committed. */
async function compose(cdp: CDPSession, steps: string[]): Promise<void> {
  for (const step of steps)
    await cdp.send('Input.imeSetComposition', {
      text: step,
      selectionStart: step.length,
      selectionEnd: step.length,
    });
}

// The live pages in Korean (a ko-KR Chromium context: navigator.languages and Accept-Language),
// against a real server and a real broadcast (ffmpeg over RTMP); Hangul typed through an IME
// composition, where Enter picks the syllable and must not send or submit.
describe('the live pages in Korean, with Hangul typed through an IME', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let hostContext: BrowserContext;
  let host: Page;
  let viewerContext: BrowserContext;
  let viewer: Page;
  let stream: LiveStreamBody;
  let pid: string;
  let publisher: Publisher | undefined;
  const errors: string[][] = [];

  before(async () => {
    ensureWebBuilt();
    server = await startTestServer({ FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY, FRAMEHOUSE_LIVE_MAX_RUNGS: '2' });
    browser = await launchChromium();
    const cookie = await signUpWithRole(server, 'host@example.com', 'a long enough password', 'editor');
    hostContext = await signedInContext(browser, server, cookie, { locale: 'ko-KR' });
    host = await hostContext.newPage();
    host.on('dialog', (d) => void d.accept());
    viewerContext = await browser.newContext({
      baseURL: server.url,
      locale: 'ko-KR',
      viewport: { width: 1280, height: 800 },
    });
    viewer = await viewerContext.newPage();
    // Before the encoder is up the playlist answers 404 (not on air): the players wait for it.
    const ignore = [/\/play\/\w+\/master\.m3u8/, /status of 404/, /ERR_FILE_NOT_FOUND blob:/];
    errors.push(collectErrors(host, ignore), collectErrors(viewer, ignore));
  });
  after(async () => {
    await publisher?.stop();
    await browser?.close();
    await server?.stop();
  });

  test('a stream is created in Korean; Enter while composing its Hangul title does not submit the form', async () => {
    await host.goto('/streams');
    await host.getByRole('heading', { name: text('live_streams_title') }).waitFor();
    await host.getByText(text('live_streams_empty')).waitFor();
    await host.getByText(text('live_create_summary')).click();
    const title = host.getByLabel(text('live_field_title'), { exact: true });
    assert.equal(await title.getAttribute('placeholder'), text('live_create_title_placeholder'));
    await title.click();
    const cdp = await host.context().newCDPSession(host);
    await cdp.send('Input.insertText', { text: '봄 세' });
    await compose(cdp, ['ㅇ', '이', '일']);
    // Enter confirms the syllable: the form is not submitted (no stream, still on the list page).
    await host.keyboard.press('Enter');
    await new Promise((r) => setTimeout(r, 1000));
    assert.match(host.url(), /\/streams$/, 'Enter during the composition did not submit');
    const none = await server.api<{ data: unknown[] }>('/v1/live-streams');
    assert.equal(none.body.data.length, 0, 'no stream was made');
    await cdp.send('Input.insertText', { text: '일' });
    assert.equal(await title.inputValue(), '봄 세일');
    await host.getByLabel(text('live_create_latency_low')).check();
    // Enter after the composition submits, as it always does.
    await title.press('Enter');
    await host.waitForURL(/\/streams\/\w+$/);
    const id = host.url().split('/').pop() ?? '';
    stream = (await server.api<{ data: LiveStreamBody }>(`/v1/live-streams/${id}`)).body.data;
    pid = stream.playback_ids[0]?.id ?? '';
    assert.equal(stream.title, '봄 세일', 'the whole title, its last syllable included');

    // The stream page in Korean: the badge, what the status means, the OBS fields.
    await host.getByRole('heading', { name: '봄 세일' }).waitFor();
    assert.equal(await host.locator('h1 .badge').textContent(), text('live_status_idle'));
    assert.equal(await host.locator('.status-help').textContent(), text('live_status_help_idle'));
    await host.getByRole('heading', { name: text('live_ingest_title') }).waitFor();
    assert.equal(
      await host.getByLabel(text('live_ingest_rtmp'), { exact: true }).inputValue(),
      stream.ingest.rtmp,
    );
    await host.getByRole('heading', { name: text('room_products_title') }).waitFor({ timeout: 15_000 });
  });

  test('published with ffmpeg: the stream page and the viewer page say so in Korean, with the viewer count', async () => {
    await viewer.goto(`/live/${pid}`);
    await viewer.getByText(text('live_player_waiting')).waitFor({ timeout: 15_000 });
    publisher = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 120 });
    await waitForStream(server.api, stream.id, (s) => s.status === 'active', 30_000);
    await waitForValue(
      () => host.locator('h1 .badge').textContent(),
      (t) => t === text('live_status_active'),
      { timeoutMs: 10_000, what: 'the badge to say 라이브' },
    );
    assert.equal(await host.locator('.status-help').textContent(), text('live_status_help_active'));
    await host.getByRole('region', { name: text('live_health_title') }).waitFor({ timeout: 15_000 });

    const player = viewer.locator('.live-player');
    await waitForValue(
      () => player.getAttribute('data-phase'),
      (p) => p === 'playing',
      { timeoutMs: 30_000, what: 'the viewer page to play' },
    );
    assert.equal(
      await player.getAttribute('aria-label'),
      fill('live_player_label', { title: '봄 세일' }),
      'the player named in Korean',
    );
    const count = viewer.locator('.live-viewers');
    await count.waitFor();
    const shown = ((await count.textContent()) ?? '').trim();
    const n = Number(await count.getAttribute('data-count'));
    assert.match(shown, pattern('live_viewer_watching'), `"${shown}" is the Korean count`);
    assert.equal(shown, koreanCount(Math.max(1, n)), 'the number in the Korean message');
    await viewer.getByRole('heading', { name: text('room_chat_title') }).waitFor();
    assert.equal(
      await viewer.locator('.reactions button[data-kind=heart]').getAttribute('aria-label'),
      fill('room_react', { name: text('room_reaction_heart') }),
    );
  });

  test("a signed-in viewer reads the viewer page in the account's language, in a Korean browser", async () => {
    const en = catalogue('en', ['live', 'room']).raw as Record<string, string>;
    const page = await hostContext.newPage();
    const pageErrors = collectErrors(page, [/\/play\/\w+\/master\.m3u8/, /status of 404/]);
    const setLocale = (locale: string | null) =>
      page.evaluate(async (locale) => {
        const res = await fetch('/v1/auth/update-user', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ locale }),
        });
        return res.status;
      }, locale);
    await page.goto('/streams');
    assert.equal(await setLocale('en'), 200);
    try {
      await page.goto(`/live/${pid}`);
      await page.getByRole('heading', { name: en.room_chat_title, exact: true }).waitFor({ timeout: 15_000 });
      assert.equal(
        await page.locator('.live-player').getAttribute('aria-label'),
        en.live_player_label?.replace('{title}', '봄 세일'),
        'the player named in English',
      );
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    } finally {
      assert.equal(await setLocale(null), 200);
    }
    await page.close();
    assert.deepEqual(pageErrors, []);
  });

  test('a viewer joins the chat in Korean and sends a Hangul message', async () => {
    await viewer.getByLabel(text('room_chat_nickname')).fill('민수');
    await viewer.getByRole('button', { name: text('room_chat_join'), exact: true }).click();
    const input = viewer.getByLabel(fill('room_chat_message_as', { name: '민수' }));
    await input.fill('안녕하세요');
    const posted = viewer.waitForRequest(
      (r) => r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/messages'),
    );
    await viewer.getByRole('button', { name: text('room_chat_send'), exact: true }).click();
    // The room's requests do not go through api(): they ask for the page's language themselves.
    assert.equal(await (await posted).headerValue('accept-language'), 'ko');
    await waitForValue(
      () => chatTexts(viewer),
      (t) => t.includes('안녕하세요'),
      { timeoutMs: 5_000, what: 'the message in the chat' },
    );
    // The host's page has it too, with the moderation buttons in Korean.
    const line = host.locator('.host-chat .chat-message', { hasText: '안녕하세요' });
    await line.waitFor({ timeout: 5_000 });
    await line.getByRole('button', { name: fill('room_host_ban_label', { name: '민수' }) }).waitFor();
  });

  test('Enter while composing Hangul in the chat sends nothing; Enter after it sends the whole message', async () => {
    const input = viewer.locator('#chat-text');
    await input.click();
    const cdp = await viewer.context().newCDPSession(viewer);
    // 감사합니다 as a Korean IME types it: ㄴ→니→닏, then ㅏ moves ㄷ on (니 committed), ㄷ→다.
    await cdp.send('Input.insertText', { text: '감사합' });
    await compose(cdp, ['ㄴ', '니', '닏']);
    await cdp.send('Input.insertText', { text: '니' });
    await compose(cdp, ['ㄷ', '다']);
    // The composition is still open on its last syllable: this Enter only confirms it.
    // In the bubbling phase on the document: after the page's own handlers on the input and form.
    await viewer.evaluate(`(() => {
      window.enterKeys = [];
      document.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') window.enterKeys.push({ composing: e.isComposing, prevented: e.defaultPrevented });
      });
    })()`);
    await viewer.keyboard.press('Enter');
    const keys = await viewer.evaluate<Array<{ composing: boolean; prevented: boolean }>>('window.enterKeys');
    assert.deepEqual(keys, [{ composing: true, prevented: true }], 'an Enter of the composition, held back');
    await new Promise((r) => setTimeout(r, 1500));
    let texts = await chatTexts(viewer);
    assert.ok(!texts.some((t) => t.startsWith('감사')), `nothing sent during the composition: ${texts}`);
    const sent = await server.api<{ data: Array<{ text: string }> }>(`/v1/live-streams/${stream.id}/chat`);
    assert.equal(sent.status, 200);
    assert.ok(!sent.body.data.some((x) => x.text.startsWith('감사')), 'the server has no such message');

    // The composition ends with its syllable committed; then Enter sends the whole text.
    await cdp.send('Input.insertText', { text: '다' });
    assert.equal(await input.inputValue(), '감사합니다');
    await viewer.keyboard.press('Enter');
    texts = await waitForValue(
      () => chatTexts(viewer),
      (t) => t.some((x) => x.startsWith('감사')),
      { timeoutMs: 5_000, what: 'the message after the composition' },
    );
    assert.deepEqual(
      texts.filter((t) => t.startsWith('감사')),
      ['감사합니다'],
      'sent once, with its last syllable',
    );
    assert.equal(await input.inputValue(), '', 'the box is empty again');
    const stored = await server.api<{ data: Array<{ text: string }> }>(`/v1/live-streams/${stream.id}/chat`);
    assert.deepEqual(
      stored.body.data.map((x) => x.text).filter((t) => t.startsWith('감사')),
      ['감사합니다'],
      'the server has it once, whole',
    );
  });

  test('a broadcast without sound: its health warning and its last error in Korean on the stream page', async () => {
    // One encoder at a time (the machine is small): the first broadcast ends here.
    await publisher?.stop();
    publisher = undefined;
    // Made by the host (from its page, with its session): its room and its key are the host's.
    const silent = await host.evaluate<LiveStreamBody>(`fetch('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: '무음 방송' }),
    }).then((r) => r.json()).then((b) => b.data)`);
    assert.ok(silent.stream_key, 'the creator sees its key');
    publisher = publishRtmp(`${silent.ingest.rtmp}/${silent.stream_key}`, { seconds: 90, audio: null });
    const on = await waitForStream(
      server.api,
      silent.id,
      (s) => s.current?.warnings?.some((w) => w.code === 'no_audio') ?? false,
      45_000,
    );
    assert.equal(on.status, 'active');
    await host.goto(`/streams/${silent.id}`);
    const warning = host.locator('.health-warnings li[data-code=no_audio]');
    await warning.waitFor({ timeout: 15_000 });
    // The catalogue's Korean, not the server's English message.
    assert.equal(await warning.textContent(), text('live_health_warning_no_audio'));
    const shown = await host
      .locator('.health-warnings li')
      .evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    for (const t of shown) assert.match(t, /[가-힣]/, `"${t}" is Korean`);

    // A refusal recorded on the stream: its message comes from the server in the page's language.
    await server.live.streams.recordRefusal(silent.id, 'FH_ERR_LIVE_STREAM_BUSY');
    const refusal = host.locator('.live-error[data-code=FH_ERR_LIVE_STREAM_BUSY]');
    await refusal.waitFor({ timeout: 15_000 });
    assert.equal(
      ((await refusal.textContent()) ?? '').replace(/\s+/g, ' ').trim(),
      `${text('live_stream_last_error')} ${ERROR_MESSAGES_KO.FH_ERR_LIVE_STREAM_BUSY}`,
    );
    await publisher.stop();
    publisher = undefined;
  });

  test('the same by composition events: keydown Enter with isComposing or key code 229 is held back', async () => {
    const input = viewer.locator('#chat-text');
    // What a browser dispatches around a composition (Safari reports 229 without isComposing).
    // Run in the page (as text: this project's Node typings have no DOM events).
    const held = await viewer.evaluate<{ whileComposing: boolean; safari: boolean; plain: boolean }>(`(() => {
      const field = document.getElementById('chat-text');
      const enter = (init) =>
        field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true, ...init }));
      field.dispatchEvent(new CompositionEvent('compositionstart', { bubbles: true, data: '' }));
      field.dispatchEvent(new CompositionEvent('compositionupdate', { bubbles: true, data: '요' }));
      const whileComposing = enter({ isComposing: true, keyCode: 229 });
      const safari = enter({ keyCode: 229 });
      field.dispatchEvent(new CompositionEvent('compositionend', { bubbles: true, data: '요' }));
      const plain = enter({ keyCode: 13 });
      return { whileComposing, safari, plain };
    })()`);
    // dispatchEvent answers false when a listener called preventDefault: the Enter was held back;
    // a plain Enter is left alone (an untrusted event submits nothing, so this sends nothing).
    assert.deepEqual(held, { whileComposing: false, safari: false, plain: true });
    await input.fill('');
    for (const e of errors) assert.deepEqual(e, [], 'no errors in the pages');
  });
});

/** The Korean viewer count for `n` (the catalogue's `other` variant, the number as ko-KR writes it). */
function koreanCount(n: number): string {
  return KO.text('live_viewer_watching', { n: new Intl.NumberFormat('ko-KR').format(n) });
}
