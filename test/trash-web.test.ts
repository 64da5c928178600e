import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { makeClip } from './fixtures/media.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
} from './helpers/browser.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

// The trash in the browser app (Debian's Chromium against a real server): what a person does.
describe('the trash in Chromium', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  let kept: AssetBody;
  let dropped: AssetBody;

  before(async () => {
    ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-trash-web-'));
    // Open mode (no account yet): the visitor is the admin, who may also delete for good.
    server = await startTestServer({ FRAMEHOUSE_TRASH_DAYS: '14' });
    for (const name of ['lighthouse', 'old pier']) {
      const created = await server.upload(await makeClip(dir, { name, seconds: 1 }), name);
      const done = await server.waitForAsset(created.id, isFinished);
      if (name === 'lighthouse') kept = done;
      else dropped = done;
    }
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    errors = collectErrors(page);
    // "Move … to the trash?" and "Delete … for good?" are confirmed.
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('delete an asset from its page, find it in the trash, restore it', async () => {
    await page.goto(`/assets/${kept.id}`);
    await page.locator('h1 .badge[data-status=ready]').waitFor();
    await page.getByText('Edit', { exact: true }).click();
    await page.getByRole('button', { name: 'Move to trash' }).click();
    // Back in the library, without it.
    await page.getByRole('heading', { name: 'Library' }).waitFor();
    await page.locator(`[data-asset-id="${dropped.id}"]`).waitFor();
    assert.equal(await page.locator(`[data-asset-id="${kept.id}"]`).count(), 0);
    assert.equal((await server.api(`/v1/assets/${kept.id}`)).status, 404);

    await page.getByRole('link', { name: 'Trash' }).click();
    await page.getByRole('heading', { name: 'Trash' }).waitFor();
    const card = page.locator(`[data-trashed-id="${kept.id}"]`);
    await card.waitFor();
    assert.match(await card.innerText(), /lighthouse/);
    assert.match(await card.innerText(), /purged after/);
    const purgeAfter = await card.locator('time').getAttribute('datetime');
    const listed = (
      await server.api<{ data: { id: string; purge_after: string }[] }>('/v1/assets?trashed=true')
    ).body.data.find((a) => a.id === kept.id);
    assert.equal(purgeAfter, listed?.purge_after, 'the date shown is the one the server set');
    await page.getByText('stay here for 14 days').waitFor();
    await screenshot(page, 'trash-01-listed');

    await card.getByRole('button', { name: 'Restore lighthouse' }).click();
    await page.getByText('Restored "lighthouse".').waitFor();
    assert.equal(await card.count(), 0);
    await page.getByText('The trash is empty.').waitFor();
    await page.getByRole('link', { name: 'Open it' }).click();
    await page.locator('h1 .badge[data-status=ready]').waitFor();
    await page.locator('video').waitFor();
    assert.equal((await server.api(`/v1/assets/${kept.id}`)).status, 200);
    await page.getByRole('link', { name: 'Library' }).first().click();
    await page.locator(`[data-asset-id="${kept.id}"]`).waitFor();
  });

  test('an admin deletes one for good from the trash', async () => {
    assert.equal((await server.api(`/v1/assets/${dropped.id}`, { method: 'DELETE' })).status, 204);
    await page.goto('/trash');
    const card = page.locator(`[data-trashed-id="${dropped.id}"]`);
    await card.getByRole('button', { name: 'Delete old pier forever' }).click();
    await page.getByText('Deleted "old pier" for good.').waitFor();
    assert.equal(await card.count(), 0);
    const row = await server.db
      .selectFrom('assets')
      .select('id')
      .where('id', '=', dropped.id)
      .executeTakeFirst();
    assert.equal(row, undefined);
    await screenshot(page, 'trash-02-empty');
    assert.deepEqual(errors, []);
  });
});
