import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { postgresSkip } from '../src/db/test-databases.ts';
import { diffAnswers, recordAnswers, VOLATILE } from './helpers/backup-answers.ts';
import {
  type ArchiveReader,
  bucketArchive,
  folderArchive,
  inventoryOf,
  newestBackup,
  secretsInClear,
} from './helpers/backup-archive.ts';
import {
  checkRestoredSite,
  checkRestoredWithoutSecrets,
  unannouncedDifferences,
} from './helpers/backup-checks.ts';
import { Client, framehouseCli, ServeProcess, startReceiver } from './helpers/backup-fixtures.ts';
import {
  bucket,
  diffObjects,
  embeddedSite,
  type Site,
  type StoredObject,
  scaleOutSite,
  secretsAtRest,
  workDir,
} from './helpers/backup-sites.ts';
import { ADMIN_KEY, type Populated, populate, SERVE_SETTINGS, waitForAsset } from './helpers/backup-state.ts';
import { chromiumAvailable, ensureWebBuilt, launchChromium } from './helpers/browser.ts';

// The disaster-recovery drill of issue 17, end to end and as an operator runs it: a server with
// a bit of everything (accounts, keys, videos with captions and a download, photos, presets,
// webhooks, signed playback, a recorded live broadcast) made through its HTTP API; every answer
// that describes it and every object's SHA-256 recorded; the server stopped; `framehouse backup
// --include-secrets`; the database and the store wiped; `framehouse restore`; the server started
// again on the same ports. Then: 0 differences, a video plays in Chromium, a token signed before
// the backup still opens its video, the webhook still fires with its old secret.
// Run on the embedded defaults (SQLite + folder), on PostgreSQL + S3, and from SQLite into
// PostgreSQL (the move from one machine to scale-out).

const PASSPHRASE = 'correct horse battery staple, twice';

/** What a storage report says of the kind of store, not of what it holds: differs from a folder to S3. */
const STORE_KIND = [
  [/^GET \/v1\/admin\/storage$/, 'class', 'a folder reports its objects as class "local", S3 as "STANDARD"'],
  [
    /^GET \/v1\/admin\/storage$/,
    'multipart_uploads',
    'a folder has no multipart uploads, s3rver no rules for them',
  ],
] as const;

interface Recorded {
  populated: Populated;
  answers: Awaited<ReturnType<typeof recordAnswers>>;
  objects: Map<string, StoredObject>;
  /** The secret values in the database when the backup was taken. */
  secrets: string[];
}

describe('backup and restore: the same site, answer for answer and byte for byte', {
  skip: !chromiumAvailable(),
}, () => {
  let work: string;
  let passphraseFile: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let browser: Browser;
  const cleanup: Array<() => Promise<unknown>> = [];

  before(async () => {
    ensureWebBuilt();
    work = await workDir(tmpdir(), 'backup-roundtrip');
    passphraseFile = join(work, 'passphrase');
    await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
    receiver = await startReceiver();
    browser = await launchChromium();
  });
  after(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
    await browser?.close();
    await receiver?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Populates a site through a server on it, records it, stops the server. */
  async function populateAndRecord(t: TestContext, server: ServeProcess, site: Site): Promise<Recorded> {
    const started = Date.now();
    await server.start();
    const populated = await populate(server, work, receiver);
    const answers = await recordAnswers(server.url, populated);
    // Walked after the answers: a thumbnail rendered for them is an object too.
    const objects = await site.walk();
    await server.stop();
    const secrets = await secretsAtRest(site.databaseUrl);
    const bytes = [...objects.values()].reduce((n, o) => n + o.size, 0);
    t.diagnostic(
      `${site.label}: populated in ${Date.now() - started} ms; ${answers.size} answers, ${objects.size} objects, ${bytes} bytes`,
    );
    return { populated, answers, objects, secrets };
  }

  /** `framehouse backup --include-secrets` of a stopped site; checks the archive it wrote. */
  async function backUp(
    t: TestContext,
    env: Record<string, string>,
    target: string,
    archive: ArchiveReader,
    was: Recorded,
  ) {
    const run = await framehouseCli(
      ['backup', '--to', target, '--include-secrets', '--passphrase-file', passphraseFile],
      env,
    );
    assert.equal(run.code, 0, `backup failed:\n${run.stdout}\n${run.stderr}`);
    t.diagnostic(`backup in ${run.ms} ms: ${run.stdout.trim()}`);
    const { id, manifest } = await newestBackup(archive);
    assert.equal(manifest.counts.objects, was.objects.size, 'the manifest counts every object');
    assert.equal(
      manifest.counts.object_bytes,
      [...was.objects.values()].reduce((n, o) => n + o.size, 0),
    );
    assert.equal(manifest.counts.assets, 6, 'videos, the recording, photos, the trashed one');
    assert.equal(manifest.counts.live_streams, 2);
    assert.equal(manifest.objects, 'all');
    assert.ok(manifest.secrets, 'the secrets are in, encrypted');
    // The inventory's hashes are the ones read here from the store itself.
    assert.deepEqual(diffObjects(was.objects, await inventoryOf(archive, id)), []);
    // One pool copy per distinct content, named by its hash.
    const files = new Set(await archive.list());
    const missing = [...new Set([...was.objects.values()].map((o) => o.sha256))].filter(
      (h) => !files.has(`objects/sha256/${h.slice(0, 2)}/${h}`),
    );
    assert.deepEqual(missing, [], 'every object is in the pool');
    // Nothing secret in clear anywhere in the archive.
    const p = was.populated;
    const cookieValues = Object.values(p.users).flatMap((u) =>
      u.cookie.split('; ').map((c) => decodeURIComponent(c.split('=')[1] ?? '')),
    );
    const clear = await secretsInClear(archive, id, [
      p.webhook.secret,
      p.webhook.secret.replace(/^whsec_/, ''),
      p.streams.streamKey,
      p.twoFactor.secret,
      ...p.apiKeys.map((k) => k.key),
      // better-auth's cookie is token.signature: the token is the sessions row's secret.
      ...cookieValues.map((v) => v.split('.')[0] ?? ''),
    ]);
    assert.deepEqual(clear, [], 'no secret in clear in the archive');
    return { id, manifest, ms: run.ms };
  }

  async function restore(t: TestContext, env: Record<string, string>, target: string, backupId?: string) {
    const which = backupId ? ['--backup', backupId] : [];
    const run = await framehouseCli(
      ['restore', '--from', target, ...which, '--passphrase-file', passphraseFile],
      env,
    );
    assert.equal(run.code, 0, `restore failed:\n${run.stdout}\n${run.stderr}`);
    t.diagnostic(`restore in ${run.ms} ms: ${run.stdout.trim()}`);
    return run;
  }

  /** The restored site against the recording: objects first (nothing has run on it yet), then answers. */
  async function compare(
    t: TestContext,
    server: ServeProcess,
    site: Site,
    was: Recorded,
    backupId: string,
    volatile: typeof VOLATILE = VOLATILE,
  ) {
    const objects = await site.walk();
    const objectProblems = diffObjects(was.objects, objects);
    assert.deepEqual(objectProblems, [], 'the restored store holds the same objects, byte for byte');
    await server.start(site.env);
    try {
      const answers = await recordAnswers(server.url, was.populated);
      const answerProblems = diffAnswers(was.answers, answers, volatile);
      assert.deepEqual(answerProblems, [], 'the restored site answers as before');
      // Answering did not write anything that was not there (renders and thumbnails were restored).
      assert.deepEqual(diffObjects(was.objects, await site.walk()), []);
      t.diagnostic(
        `${site.label}: ${answers.size} answers compared, ${answerProblems.length} differences; ${objects.size} objects compared, ${objectProblems.length} differences`,
      );
      await checkRestoredSite(server, was.populated, receiver, browser, backupId);
      await server.stop();
    } finally {
      // A failed check leaves it running: the next test starts it again.
      await server.kill();
    }
  }

  let embedded: { recorded: Recorded; target: string; backupId: string; server: ServeProcess } | undefined;

  test('(a) SQLite + local folder, backed up to a folder', { timeout: 900_000 }, async (t) => {
    const site = await embeddedSite(work, 'embedded');
    const server = await ServeProcess.ports({ ...SERVE_SETTINGS, ...site.env });
    cleanup.push(
      () => server.kill(),
      () => site.close(),
    );
    const target = join(work, 'backups-a');
    const archive = folderArchive(target);
    const recorded = await populateAndRecord(t, server, site);
    const { id } = await backUp(t, server.env, target, archive, recorded);
    await site.wipe();
    await restore(t, server.env, target);
    await compare(t, server, site, recorded, id);
    embedded = { recorded, target, backupId: id, server };

    // A site that is not empty is not restored over.
    const refused = await framehouseCli(
      ['restore', '--from', target, '--passphrase-file', passphraseFile],
      server.env,
    );
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /FH_ERR_RESTORE_TARGET_NOT_EMPTY/);

    // The next backup to the same target copies only what is new (the pool is by content): one
    // more photo since.
    t.after(() => server.kill());
    await server.start();
    const photo = join(work, 'pier.png');
    await writeFile(
      photo,
      await sharp({ create: { width: 120, height: 90, channels: 3, background: '#246' } })
        .png()
        .toBuffer(),
    );
    const form = new FormData();
    form.append('file', await openAsBlob(photo), 'pier.png');
    const api = new Client(server.url, ADMIN_KEY);
    const created = await api.call<{ data: { id: string } }>('/v1/assets', { method: 'POST', body: form });
    assert.equal(created.status, 202);
    await waitForAsset(api, created.body.data.id);
    await server.stop();
    const pool = async () => new Set((await archive.list()).filter((p) => p.startsWith('objects/')));
    const pooled = await pool();
    const now = await site.walk();
    const fresh = new Set([...now.values()].map((o) => `objects/sha256/${o.sha256.slice(0, 2)}/${o.sha256}`));
    const again = await framehouseCli(['backup', '--to', target], server.env);
    assert.equal(again.code, 0, again.stderr);
    const added = [...(await pool())].filter((p) => !pooled.has(p));
    assert.ok(added.length > 0, 'the new photo is pooled');
    assert.deepEqual(added.sort(), [...fresh].filter((p) => !pooled.has(p)).sort());
    t.diagnostic(
      `second backup in ${again.ms} ms: ${now.size} objects, ${added.length} new in the pool: ${again.stdout.trim()}`,
    );
  });

  test('the SQLite backup restored into PostgreSQL + S3', {
    skip: postgresSkip('postgres'),
    timeout: 600_000,
  }, async (t) => {
    assert.ok(embedded, 'needs the backup of (a)');
    const site = await scaleOutSite(work, 'moved');
    cleanup.push(() => site.close());
    // The same server settings and ports, on the new site.
    const env = { ...embedded.server.env, ...site.env };
    await restore(t, env, embedded.target, embedded.backupId);
    await compare(t, embedded.server, site, embedded.recorded, embedded.backupId, [
      ...VOLATILE,
      ...STORE_KIND,
    ]);
  });

  test('restored without the passphrase: all but the secrets, and the restore says what that changes', {
    timeout: 600_000,
  }, async (t) => {
    assert.ok(embedded, 'needs the backup of (a)');
    const site = await embeddedSite(work, 'no-secrets');
    cleanup.push(() => site.close());
    const server = embedded.server;
    t.after(() => server.kill());
    const run = await framehouseCli(['restore', '--from', embedded.target, '--backup', embedded.backupId], {
      ...server.env,
      ...site.env,
    });
    assert.equal(run.code, 0, `restore failed:\n${run.stdout}\n${run.stderr}`);
    t.diagnostic(`restore in ${run.ms} ms: ${run.stdout.trim()}`);
    assert.deepEqual(diffObjects(embedded.recorded.objects, await site.walk()), []);
    await server.start(site.env);
    const answers = await recordAnswers(server.url, embedded.recorded.populated);
    for (const said of [
      /secrets: not restored/,
      /webhook/,
      /stream key/,
      /signing key/,
      /two-factor/,
      /sessions/,
    ])
      assert.match(run.stdout, said);
    // The comparison sees the differences (it can fail), and they are the announced ones only.
    const differences = diffAnswers(embedded.recorded.answers, answers, VOLATILE);
    const { unexpected, seen } = unannouncedDifferences(differences, embedded.recorded.populated);
    assert.deepEqual(unexpected, [], 'nothing changed but the secrets');
    assert.deepEqual(seen, [
      'new SRT passphrases',
      'old token refused',
      'signing keys replaced',
      'stream keys hidden',
      'two-factor off',
    ]);
    t.diagnostic(
      `without the secrets: ${differences.length} differences, all announced (${seen.join(', ')})`,
    );
    await checkRestoredWithoutSecrets(server, embedded.recorded.populated, receiver);
    await server.stop();
  });

  test('(b) PostgreSQL + S3, backed up to a bucket of another S3 service', {
    skip: postgresSkip('postgres'),
    timeout: 900_000,
  }, async (t) => {
    const site = await scaleOutSite(work, 'scale-out');
    const vault = await bucket('backups');
    const server = await ServeProcess.ports({ ...SERVE_SETTINGS, ...site.env });
    cleanup.push(
      () => server.kill(),
      () => vault.close(),
      () => site.close(),
    );
    const target = vault.url('drill');
    const recorded = await populateAndRecord(t, server, site);
    const { id } = await backUp(t, server.env, target, bucketArchive(vault, 'drill'), recorded);
    await site.wipe();
    await restore(t, server.env, target);
    await compare(t, server, site, recorded, id);
  });
});
