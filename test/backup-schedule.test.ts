import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { openTestDatabase, postgresSkip, type TestDatabase } from '../src/db/test-databases.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
  signedInContext,
} from './helpers/browser.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { startS3 } from './helpers/s3.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { type SmtpPeer, startSmtpPeer } from './helpers/smtp-peer.ts';
import { waitFor, waitForValue } from './helpers/wait.ts';

const ADMIN_KEY = 'backup-schedule-admin-key-0123456789';
/** Every 2 seconds (croner's seconds field): a few slots pass in a short test. */
const EVERY_2S = '*/2 * * * * *';

interface Backup {
  id: string;
  trigger: string;
  status: string;
  target: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  size_bytes: number | null;
  database_bytes: number | null;
  objects_total: number | null;
  objects_copied: number | null;
  objects_bytes: number | null;
  verification: string | null;
  verification_problems: string[];
  error: { code: string; message: string } | null;
}
interface BackupList {
  data: Backup[];
  next_cursor: string | null;
  schedule: { cron: string; next_run_at: string | null; target: string; keep: number } | null;
}

/** GET /v1/admin/backups on a server (with the admin key). */
async function listBackups(url: string, query = 'limit=100'): Promise<BackupList> {
  const res = await fetch(`${url}/v1/admin/backups?${query}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()) as BackupList;
}

/**
 * One run per slot, from the jobs: one job per slot (dedupe keys unique), each claimed at most
 * once (one attempt), and each attempt runs at most one backup; so no more scheduled runs than
 * claimed jobs.
 */
async function assertOneRunPerSlot(db: TestServer['db']): Promise<void> {
  const jobs = await db
    .selectFrom('jobs')
    .select(['dedupe_key', 'attempts', 'max_attempts', 'state'])
    .where('type', '=', 'backup.run')
    .execute();
  const keys = jobs.map((j) => j.dedupe_key);
  assert.equal(new Set(keys).size, keys.length, `one job per slot: ${keys}`);
  for (const j of jobs) {
    assert.match(j.dedupe_key ?? '', /^backup:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    assert.equal(j.max_attempts, 1);
    assert.ok(j.attempts <= 1, `${j.dedupe_key}: ${j.attempts} attempts`);
    assert.notEqual(
      j.state,
      'dead',
      'a failed backup completes its job: the failure is announced, not retried',
    );
  }
  const runs = await db.selectFrom('backups').select('id').where('trigger', '=', 'schedule').execute();
  const claimed = jobs.filter((j) => j.attempts === 1).length;
  assert.ok(runs.length <= claimed, `${runs.length} runs for ${claimed} claimed slots`);
}

/** The value of one sample in a Prometheus text page, or undefined when it has none. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('scheduled backups on SQLite', () => {
  let server: TestServer;
  let dir: string;
  let target: string;

  before(async () => {
    // Before the server starts: it reads the app's index.html once.
    if (chromiumAvailable()) ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-backup-schedule-'));
    target = join(dir, 'backups');
    server = await startTestServer({
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_BACKUP_SCHEDULE: EVERY_2S,
      FRAMEHOUSE_BACKUP_TARGET: target,
      FRAMEHOUSE_BACKUP_KEEP: '2',
    });
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('each slot runs once; the runs are listed with the schedule; events and metrics follow', async () => {
    const list = await waitForValue(
      () => listBackups(server.url),
      (l) => l.data.filter((b) => b.status === 'succeeded').length >= 3,
      { timeoutMs: 60_000, intervalMs: 250, what: 'three scheduled backups to succeed' },
    );
    assert.equal(list.schedule?.cron, EVERY_2S);
    assert.equal(list.schedule?.target, target);
    assert.equal(list.schedule?.keep, 2);
    const next = Date.parse(list.schedule?.next_run_at ?? '');
    assert.ok(next > Date.now() - 2000 && next <= Date.now() + 2000, 'the next run is the next 2-s slot');

    const done = list.data.filter((b) => b.status !== 'running');
    for (const b of done) {
      assert.equal(b.trigger, 'schedule');
      assert.equal(b.status, 'succeeded', JSON.stringify(b));
      assert.equal(b.verification, 'passed');
      assert.deepEqual(b.verification_problems, []);
      assert.equal(b.error, null);
      assert.ok((b.duration_ms ?? -1) >= 0 && (b.size_bytes ?? 0) > 0 && (b.database_bytes ?? 0) > 0);
      assert.equal(b.objects_total, 0, 'an empty store');
      assert.equal(b.target, target);
    }
    await assertOneRunPerSlot(server.db);

    // One by id, as in the list.
    const [first] = done;
    const one = await server.api<{ data: Backup }>(`/v1/admin/backups/${first?.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.data, first);
    const missing = await server.api<{ error: { code: string } }>(
      '/v1/admin/backups/20200101T000000Z-nonexi',
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'FH_ERR_BACKUP_NOT_FOUND');

    // Pages by cursor.
    const page1 = await listBackups(server.url, 'limit=1');
    assert.equal(page1.data.length, 1);
    const page2 = await listBackups(server.url, `limit=1&cursor=${page1.next_cursor}`);
    assert.notEqual(page2.data[0]?.id, page1.data[0]?.id);

    // Keep 2: older complete backups are removed from the target (their rows stay).
    const kept = await waitForValue(
      async () => (await readdir(join(target, 'backups'))).length,
      (n) => n <= 3,
      { what: 'the target to keep 2 backups (3 while one is being written)' },
    );
    assert.ok(kept >= 1);

    // backup.succeeded in the outbox, with the run's id and what it wrote.
    const events = await server.api<{
      data: Array<{ type: string; data: { backup_id: string; size_bytes: number } }>;
    }>('/v1/events?type=backup.succeeded,backup.failed&limit=500');
    const announced = events.body.data
      .filter((e) => e.type === 'backup.succeeded')
      .map((e) => e.data.backup_id);
    for (const b of done) assert.ok(announced.includes(b.id), `backup.succeeded for ${b.id}`);
    assert.ok(!events.body.data.some((e) => e.type === 'backup.failed'));

    // The gauges describe the newest success (from the table: any node says the same).
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const newest = (await listBackups(server.url)).data.find((b) => b.status === 'succeeded');
    const lastSuccess = sample(metrics, 'framehouse_backup_last_success_timestamp_seconds') ?? 0;
    assert.ok(lastSuccess >= Date.parse(newest?.finished_at ?? '') / 1000, metrics);
    assert.ok((sample(metrics, 'framehouse_backup_last_size_bytes') ?? 0) > 0);
    assert.ok((sample(metrics, 'framehouse_backup_last_duration_seconds') ?? -1) >= 0);
    assert.equal(sample(metrics, 'framehouse_backup_failures_total', '{trigger="schedule"}'), 0);
  });

  test('admins only', async () => {
    const anonymous = await fetch(`${server.url}/v1/admin/backups`);
    assert.equal(anonymous.status, 401);
    const editor = await signUpWithRole(server, 'editor@example.com', 'a long enough password', 'editor');
    const asEditor = await fetch(`${server.url}/v1/admin/backups`, { headers: { cookie: editor } });
    assert.equal(asEditor.status, 403);
  });

  describe('the Backups page in Chromium', { skip: !chromiumAvailable() }, () => {
    let browser: Browser;
    let page: Page;
    let errors: string[];

    before(async () => {
      const cookie = await signUpWithRole(server, 'ops@example.com', 'a long enough password', 'admin');
      browser = await launchChromium();
      page = await (await signedInContext(browser, server, cookie)).newPage();
      errors = collectErrors(page);
    });
    after(async () => {
      await browser?.close();
    });

    test('the schedule, its next run, and each run with its outcome', async () => {
      await page.goto('/admin/backups');
      await page.getByRole('heading', { name: 'Backups' }).waitFor();
      const schedule = page.locator('[data-schedule]');
      await schedule.waitFor();
      assert.equal(await schedule.getAttribute('data-schedule'), EVERY_2S);
      assert.match(await schedule.innerText(), new RegExp(target.replace(/[/\\.]/g, '\\$&')));
      const nextRun = Date.parse((await page.locator('[data-next-run]').getAttribute('data-next-run')) ?? '');
      assert.ok(Number.isFinite(nextRun), 'a next run time');

      const rows = page.locator('tr[data-backup]');
      await rows.first().waitFor();
      const api = (await listBackups(server.url, 'limit=25')).data;
      // The table is what the API said at load (or a newer poll): its first row is one of the runs.
      const firstId = await rows.first().getAttribute('data-backup');
      assert.ok(api.some((b) => b.id === firstId));
      const succeeded = page.locator('tr[data-backup]:has([data-status=succeeded])').first();
      const text = await succeeded.innerText();
      assert.match(text, /Succeeded/);
      assert.match(text, /Passed/);
      assert.match(text, /\d+(\.\d+)? s/, 'its duration');
      assert.match(text, /\d+ (kB|MB)/, 'its size');
      assert.match(text, /0 of 0/, 'objects copied of total');
      assert.match(text, /Schedule/);
      await screenshot(page, 'backups-page');
      assert.deepEqual(errors, []);
    });
  });
});

/** A webhook receiver on a loopback port that keeps what it gets. */
async function receiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('a scheduled backup whose target cannot be written', () => {
  let server: TestServer;
  let smtp: SmtpPeer;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  let dir: string;
  let adminCookie: string;

  before(async () => {
    if (chromiumAvailable()) ensureWebBuilt();
    dir = await mkdtemp(join(tmpdir(), 'fh-backup-fail-'));
    // A folder "inside" a file: nothing can be written there.
    await writeFile(join(dir, 'a-file'), 'not a folder');
    smtp = await startSmtpPeer();
    hooks = await receiver();
    server = await startTestServer({
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_SMTP_URL: smtp.url,
      FRAMEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true',
      FRAMEHOUSE_BACKUP_SCHEDULE: EVERY_2S,
      FRAMEHOUSE_BACKUP_TARGET: join(dir, 'a-file', 'backups'),
    });
  });
  after(async () => {
    await server?.stop();
    await smtp?.close();
    await hooks?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('backup.failed reaches a webhook, every admin gets a mail, the failures metric counts; one attempt per slot', async () => {
    // Before any mail: two admins and an editor (who gets none).
    adminCookie = await signUpWithRole(server, 'first-admin@example.com', 'a long enough password', 'admin');
    await signUpWithRole(server, 'second-admin@example.com', 'a long enough password', 'admin');
    await signUpWithRole(server, 'editor@example.com', 'a long enough password', 'editor');
    const made = await server.api<{ data: { id: string } }>('/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: hooks.url, events: ['backup.failed', 'backup.succeeded'] }),
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const failuresNow = async () =>
      sample(
        await (await fetch(`${server.url}/metrics`)).text(),
        'framehouse_backup_failures_total',
        '{trigger="schedule"}',
      ) ?? -1;
    const before = await failuresNow();

    const delivered = await waitFor(
      () =>
        hooks.bodies
          .map(
            (b) =>
              JSON.parse(b) as {
                type: string;
                data: { backup_id: string; error: { code: string; message: string } };
              },
          )
          .find((e) => e.type === 'backup.failed'),
      { timeoutMs: 30_000, what: 'backup.failed at the webhook' },
    );
    assert.equal(delivered.data.error.code, 'FH_ERR_BACKUP_TARGET');
    assert.ok(delivered.data.backup_id);

    // The run as the API shows it.
    const run = (await server.api<{ data: Backup }>(`/v1/admin/backups/${delivered.data.backup_id}`)).body
      .data;
    assert.equal(run.status, 'failed');
    assert.equal(run.trigger, 'schedule');
    assert.equal(run.error?.code, 'FH_ERR_BACKUP_TARGET');
    assert.ok(run.error?.message, 'the reason');
    assert.ok(run.finished_at);

    // A mail to each admin, none to the editor.
    for (const to of ['first-admin@example.com', 'second-admin@example.com']) {
      const mail = await waitFor(
        () => smtp.mails.find((m) => m.includes(`To: ${to}`) && m.includes(delivered.data.backup_id)),
        { timeoutMs: 20_000, what: `the failure mail to ${to}` },
      );
      assert.match(mail, /Subject: Backup failed: FH_ERR_BACKUP_TARGET/);
      assert.match(mail, /https?:\/\/[^\s"]+\/admin\/backups/, 'a link to the Backups page');
    }
    assert.ok(!smtp.mails.some((m) => m.includes('To: editor@example.com')));

    // More slots fail: the counter follows the table.
    await waitForValue(failuresNow, (n) => n >= before + 2, {
      timeoutMs: 20_000,
      what: 'the failures counter to grow',
    });

    // Each slot had one job and one attempt: no retry loop.
    await assertOneRunPerSlot(server.db);
    const failed = (await listBackups(server.url)).data.filter((b) => b.status === 'failed');
    assert.ok(failed.length >= 2);
    // Each failure announced once.
    const events = await server.api<{ data: Array<{ data: { backup_id: string } }> }>(
      '/v1/events?type=backup.failed&limit=500',
    );
    const ids = events.body.data.map((e) => e.data.backup_id);
    assert.equal(new Set(ids).size, ids.length);
  });

  test('the Backups page shows the failed runs with their error', {
    skip: !chromiumAvailable(),
  }, async () => {
    const browser = await launchChromium();
    try {
      const page = await (await signedInContext(browser, server, adminCookie)).newPage();
      const errors = collectErrors(page);
      await page.goto('/admin/backups');
      const failed = page.locator('tr[data-backup]:has([data-status=failed])').first();
      await failed.waitFor();
      const text = await failed.innerText();
      assert.match(text, /Failed/);
      assert.match(text, /FH_ERR_BACKUP_TARGET/);
      const run = (await listBackups(server.url)).data.find(
        (b) => b.id === (text.match(/\d{8}T\d{6}\w*-\w+/) ?? [])[0],
      );
      assert.ok(run?.error, 'the row is a run the API lists');
      assert.ok(text.includes(run.error.message.slice(0, 30)), 'with its message');
      await screenshot(page, 'backups-page-failed');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});

describe('two workers on PostgreSQL run each slot once', { skip: postgresSkip('postgres') }, () => {
  let db: TestDatabase;
  let s3: Awaited<ReturnType<typeof startS3>>;
  let work: string;
  const procs: Array<Awaited<ReturnType<typeof spawnServe>>> = [];

  before(async () => {
    db = await openTestDatabase('postgres');
    s3 = await startS3();
    work = await mkdtemp(join(tmpdir(), 'fh-backup-workers-'));
  });
  after(async () => {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => exited(p.child)));
    await s3?.stop();
    await db?.close();
    await rm(work, { recursive: true, force: true });
  });

  test('every worker schedules; each slot has one job and one run, whichever worker took it', async () => {
    const env = async (role: string) => ({
      DATABASE_URL: db.url,
      STORAGE_URL: s3.url,
      FRAMEHOUSE_DATA_DIR: await mkdtemp(join(work, `${role}-`)),
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_BACKUP_SCHEDULE: EVERY_2S,
      // One folder all workers reach, as a mounted volume would be.
      FRAMEHOUSE_BACKUP_TARGET: join(work, 'backups'),
      FRAMEHOUSE_BACKUP_KEEP: '3',
    });
    const api = await spawnServe(await env('api'), 'api');
    procs.push(api);
    procs.push(await spawnServe(await env('worker1'), 'worker'));
    procs.push(await spawnServe(await env('worker2'), 'worker'));
    const list = await waitForValue(
      () => listBackups(api.url),
      (l) => l.data.filter((b) => b.status === 'succeeded').length >= 4,
      {
        timeoutMs: 90_000,
        intervalMs: 500,
        what: () => `four scheduled backups to succeed\n${procs.map((p) => p.log()).join('\n')}`,
      },
    );
    const done = list.data.filter((b) => b.status !== 'running');
    assert.ok(
      done.every((b) => b.status === 'succeeded'),
      JSON.stringify(done),
    );
    await assertOneRunPerSlot(db.db);
  });
});
