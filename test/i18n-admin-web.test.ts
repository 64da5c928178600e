// The admin pages in Korean (issue 19), in Debian's Chromium against a real server: a ko-KR
// browser, signed in as the first account (the admin), sees every admin tab's headings and
// labels from web/messages/admin/ko.json and none of the English catalogue's text; it makes an
// API key and a webhook and sets a quota through the Korean forms, and reads dates and numbers
// as Korean formats them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { formatBytes, formatDateTime } from '../web/src/i18n/format.ts';
import { overwriteGetLocale } from '../web/src/i18n/generated/runtime.js';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
  signedInContext,
} from './helpers/browser.ts';
import { catalogue } from './helpers/messages.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

/** A Korean message as the catalogue has it, placeholders filled (Korean plurals have one form). */
const { raw: KO, text: ko } = catalogue('ko', ['admin']);
const EN = catalogue('en', ['admin']).raw;

/** The tab ids of /admin/<id> and the key of each one's heading. */
const TABS: Array<[string, string]> = [
  ['queues', 'admin_queues_title'],
  ['jobs', 'admin_jobs_title'],
  ['workers', 'admin_workers_title'],
  ['batches', 'admin_batches_title'],
  ['storage', 'admin_storage_title'],
  ['backups', 'admin_backups_title'],
  ['usage', 'admin_usage_title'],
  ['quotas', 'admin_quotas_title'],
  ['users', 'admin_users_title'],
  ['keys', 'admin_keys_title'],
  ['webhooks', 'admin_webhooks_title'],
  ['audit', 'admin_audit_title'],
];

/**
 * English catalogue text that must not be on a Korean page: whole sentences and labels of two
 * words or more whose Korean differs (one-word labels such as "URL" or "HD" are the same in both).
 */
const ENGLISH = Object.entries(EN)
  .filter(([key, value]) => typeof value === 'string' && value !== KO[key])
  .map(([, value]) => (value as string).split(/\{\w+\}/)[0]?.trim() ?? '')
  .filter((text) => text.includes(' ') && text.length >= 8);

// Node formats as the Korean page does: the same Intl (ICU) data, the catalogue's language ko.
overwriteGetLocale(() => 'ko');
/** The browser's time zone is Node's: a time formats the same on both sides. */
const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

describe('the admin pages in Korean', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let cookie = '';

  /** The API as the signed-in admin (a cookie session, like the page's). */
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(new URL(path, server.url), { headers: { cookie, origin: server.url } });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as T;
  };
  /** The page's visible text, for what must and must not be on it. */
  const visibleText = () => page.locator('body').innerText();
  const assertNoEnglish = async (where: string) => {
    const text = await visibleText();
    const left = ENGLISH.filter((english) => text.includes(english));
    assert.deepEqual(left, [], `${where}: English catalogue text on the Korean page`);
  };

  before(async () => {
    ensureWebBuilt();
    // Webhooks to this machine (no DNS here): the endpoint need not answer.
    server = await startTestServer({ FRAMEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true' });
    // The first account becomes the admin.
    const signUp = await fetch(new URL('/v1/auth/sign-up/email', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({
        email: 'admin@example.com',
        password: 'a long enough password',
        name: '관리자',
      }),
    });
    assert.equal(signUp.status, 200, await signUp.clone().text());
    cookie = signUp.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const users = await api<{ data: Array<{ email: string; role: string }> }>('/v1/users');
    assert.equal(users.data[0]?.role, 'admin');

    browser = await launchChromium();
    const context = await signedInContext(browser, server, cookie, {
      locale: 'ko-KR',
      timezoneId: TIME_ZONE,
    });
    page = await context.newPage();
    errors = collectErrors(page);
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('every admin tab: Korean heading and tab names, no English catalogue text', async () => {
    for (const [tab, title] of TABS) {
      await page.goto(`/admin/${tab}`);
      await page.getByRole('heading', { level: 2, name: ko(title), exact: true }).waitFor();
      await page.getByRole('heading', { level: 1, name: ko('admin_title'), exact: true }).waitFor();
      const current = page.locator('.tabs a[aria-current=page]');
      assert.equal((await current.textContent())?.trim(), ko(`admin_tab_${tab}`));
      await page.waitForLoadState('networkidle');
      await assertNoEnglish(`/admin/${tab}`);
      await screenshot(page, `ko-admin-${tab}`);
    }
    // A few labels beyond the headings, one per kind of text (table heading, select, button, legend).
    await page.goto('/admin/jobs');
    await page.getByRole('combobox', { name: ko('admin_jobs_state') }).waitFor();
    assert.equal(
      await page
        .getByRole('combobox', { name: ko('admin_jobs_state') })
        .locator('option:checked')
        .textContent(),
      ko('admin_jobs_state_dead'),
    );
    await page.goto('/admin/usage');
    await page.getByRole('combobox', { name: ko('admin_usage_period') }).waitFor();
    await page.getByRole('button', { name: ko('admin_usage_refresh') }).waitFor();
    await page.goto('/admin/users');
    await page.getByRole('columnheader', { name: ko('admin_users_col_two_factor') }).waitFor();
    await page.getByRole('button', { name: ko('admin_users_sign_out_everywhere') }).waitFor();
    // The account's creation time, as Korean writes it.
    const [me] = (await api<{ data: Array<{ created_at: string }> }>('/v1/users')).data;
    const created = formatDateTime(me?.created_at ?? '');
    assert.match(created, /오[전후]/, 'a Korean time of day');
    await page.getByRole('cell', { name: created, exact: true }).waitFor();
  });

  test('an API key made in Korean: the Korean outcome, the secret box, the dates in Korean', async () => {
    await page.goto('/admin/keys');
    const form = page
      .locator('form')
      .filter({ has: page.getByRole('heading', { name: ko('admin_keys_new') }) });
    const name = form.getByRole('textbox', { name: ko('admin_keys_name') });
    await name.fill('미디어 가져오기');
    // Enter that confirms a Hangul syllable (isComposing) is held; a plain Enter is the browser's.
    const held = (isComposing: boolean) =>
      name.evaluate((input, composing) => {
        // In the page (Node's types have no DOM): the browser's own KeyboardEvent.
        const Keyboard = (
          globalThis as unknown as {
            KeyboardEvent: new (type: string, init: object) => { defaultPrevented: boolean };
          }
        ).KeyboardEvent;
        const e = new Keyboard('keydown', {
          key: 'Enter',
          isComposing: composing,
          bubbles: true,
          cancelable: true,
        });
        input.dispatchEvent(e as never);
        return e.defaultPrevented;
      }, isComposing);
    assert.equal(await held(true), true, 'Enter while composing does not submit');
    assert.equal(await held(false), false, 'Enter after composing submits as usual');
    await form.getByRole('checkbox', { name: /playback:sign/ }).check();
    await form.getByRole('button', { name: ko('admin_keys_make') }).click();
    await page.getByText(ko('admin_keys_made', { name: '미디어 가져오기' }), { exact: true }).waitFor();
    await page
      .getByRole('region', { name: ko('admin_keys_secret_label', { name: '미디어 가져오기' }) })
      .waitFor();
    await page.getByText(ko('admin_secret_save_now')).waitFor();
    await page.getByRole('button', { name: ko('admin_secret_saved') }).click();

    const keys = await api<{ data: Array<{ name: string; created_at: string; scopes: string[] }> }>(
      '/v1/api-keys',
    );
    const key = keys.data.find((k) => k.name === '미디어 가져오기');
    assert.deepEqual(key?.scopes.sort(), ['assets:read', 'playback:sign']);
    const row = page.getByRole('row').filter({ hasText: '미디어 가져오기' });
    const cells = await row.getByRole('cell').allTextContents();
    assert.ok(
      cells.includes(formatDateTime(key?.created_at ?? '')),
      `created, in Korean: ${cells.join(' | ')}`,
    );
    assert.ok(cells.includes(ko('admin_keys_never')), 'never used');
    assert.ok(cells.includes(ko('admin_keys_active')), 'active');
    await assertNoEnglish('/admin/keys after making a key');
  });

  test('a webhook added with Enter: the Korean outcome and its status', async () => {
    await page.goto('/admin/webhooks');
    const url = 'http://127.0.0.1:9/framehouse-ko';
    const field = page.getByRole('textbox', { name: ko('admin_webhooks_url') });
    await field.fill(url);
    await field.press('Enter'); // not composing: the form's submit button makes the endpoint
    await page.getByText(ko('admin_webhooks_created', { url }), { exact: true }).waitFor();
    await page.getByRole('region', { name: ko('admin_webhooks_secret_label', { url }) }).waitFor();
    const row = page.getByRole('row').filter({ hasText: url });
    await row.getByRole('cell', { name: ko('admin_webhooks_enabled'), exact: true }).waitFor();
    await row.getByRole('button', { name: ko('admin_webhooks_disable') }).click();
    await page.getByText(ko('admin_webhooks_now_disabled', { url }), { exact: true }).waitFor();
    await row.getByRole('cell', { name: ko('admin_webhooks_disabled'), exact: true }).waitFor();
    await assertNoEnglish('/admin/webhooks after adding an endpoint');
  });

  test("a quota set in Korean: the field's check in Korean, the limit and counts in Korean formats", async () => {
    await page.goto('/admin/quotas');
    await page.getByText(ko('admin_quotas_empty')).waitFor();
    const form = page.locator('form.quota-form');
    await form.getByRole('heading', { name: ko('admin_quotas_set_title') }).waitFor();
    const field = (key: string, unit: string) =>
      form.getByLabel(ko('admin_quotas_field_label', { label: ko(key), unit: ko(unit) }), { exact: true });
    // A whole number of streams: 1.5 is refused, in Korean.
    await field('admin_quota_streams', 'admin_quota_unit_streams').fill('1.5');
    await form.getByRole('button', { name: ko('admin_quotas_save') }).click();
    await form.getByText(ko('admin_quota_error_whole', { unit: ko('admin_quota_unit_streams') })).waitFor();
    // Editors (the form's first choice): 2,5 GB (a decimal comma) and 1 stream.
    await field('admin_quota_storage', 'admin_quota_unit_gb').fill('2,5');
    await field('admin_quota_streams', 'admin_quota_unit_streams').fill('1');
    await form.getByRole('button', { name: ko('admin_quotas_save') }).click();
    const editors = ko('admin_quotas_role_editors');
    await form.getByText(ko('admin_quotas_saved', { name: editors }), { exact: true }).waitFor();

    const row = page.locator('table.quotas tr[data-subject="role:editor"]');
    await row.waitFor();
    assert.equal((await row.locator('th').textContent())?.includes(editors), true);
    // No editor yet: "계정 0개", the count through the catalogue's plural.
    await row.getByText(ko('admin_quotas_accounts', { n: '0' }), { exact: true }).waitFor();
    const storage = (await row.locator('td[data-quota=storage_bytes]').textContent()) ?? '';
    assert.equal(storage, formatBytes(2_500_000_000, 'ko-KR'));
    const streams = (await row.locator('td[data-quota=live_streams]').textContent()) ?? '';
    assert.equal(streams, '스트림 1개');
    const quotas = await api<{ data: Array<{ subject: string; updated_at: string; storage_bytes: number }> }>(
      '/v1/admin/quotas',
    );
    const saved = quotas.data.find((q) => q.subject === 'role:editor');
    assert.equal(saved?.storage_bytes, 2_500_000_000);
    await row.getByRole('cell', { name: formatDateTime(saved?.updated_at ?? ''), exact: true }).waitFor();
    await assertNoEnglish('/admin/quotas after setting a limit');
    await screenshot(page, 'ko-admin-quotas-set');
    assert.deepEqual(errors, []);
  });
});
