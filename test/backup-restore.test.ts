import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { openTestDatabase, POSTGRES_URL, type TestDatabase } from '../src/db/test-databases.ts';
import { createObjectStore } from '../src/storage/create-store.ts';
import type { ObjectStore } from '../src/storage/object-store.ts';
import { ROOT } from './helpers/processes.ts';
import { startS3 } from './helpers/s3.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

// The backup engine and its commands, end to end with real parts: `framehouse backup` and
// `framehouse restore` as processes, SQLite and PostgreSQL, a folder and s3rver, a server on the
// restored data. (test/backup-roundtrip*, helper D's, covers videos, live and players.)

const ADMIN_KEY = 'fh_backup_test_admin_key_0123456789';
const PASSWORD = 'correct horse battery 1';
const PASSPHRASE = 'a passphrase of some length';
const serverEnv = { FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY, FRAMEHOUSE_WEBHOOKS_ALLOW_PRIVATE: 'true' };

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `framehouse …` as a user runs it; embedded defaults unless `env` says otherwise. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Cli> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/framehouse.js'), ...args], {
    env: { ...process.env, DATABASE_URL: '', STORAGE_URL: '', FRAMEHOUSE_BACKUP_PASSPHRASE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

const ok = (r: Cli) => assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What the installation holds that a restore must bring back, and the secrets it must not leak. */
interface Scene {
  email: string;
  webhookSecret: string;
  streamKey: string;
  /** key → sha256 */
  objects: Map<string, string>;
}

/** An account, a webhook, a live stream, an unfinished upload, and objects of a few sizes. */
async function populate(server: TestServer, store: ObjectStore, tag: string): Promise<Scene> {
  const email = `ada-${tag}@example.com`;
  const signUp = await fetch(new URL('/v1/auth/sign-up/email', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ email, password: PASSWORD, name: 'Ada' }),
  });
  assert.equal(signUp.status, 200);
  const json = (body: unknown) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const hook = await server.api<{ data: { secret: string } }>(
    '/v1/webhooks',
    json({ url: 'http://127.0.0.1:9/hook', events: ['asset.ready'] }),
  );
  assert.equal(hook.status, 201);
  const stream = await server.api<{ data: { stream_key: string } }>(
    '/v1/live-streams',
    json({ title: 'Live' }),
  );
  assert.equal(stream.status, 201);
  const upload = await fetch(new URL('/v1/uploads', server.url), {
    method: 'POST',
    headers: { 'tus-resumable': '1.0.0', 'upload-length': '1000', authorization: `Bearer ${ADMIN_KEY}` },
  });
  assert.equal(upload.status, 201);
  const objects = new Map<string, string>();
  for (let i = 0; i < 12; i++) {
    const body = Buffer.alloc(1000 + i * 3000, `${tag} segment ${i} `);
    await store.put(`hls/asset${tag}/720p/seg_${String(i).padStart(5, '0')}.m4s`, body);
    objects.set(`hls/asset${tag}/720p/seg_${String(i).padStart(5, '0')}.m4s`, sha(body));
  }
  const big = Buffer.alloc(3 * 1024 * 1024, `${tag} original `);
  await store.put(`sources/asset${tag}/source`, big);
  objects.set(`sources/asset${tag}/source`, sha(big));
  return { email, webhookSecret: hook.body.data.secret, streamKey: stream.body.data.stream_key, objects };
}

async function signIn(server: TestServer, email: string): Promise<number> {
  const res = await fetch(new URL('/v1/auth/sign-in/email', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  return res.status;
}

async function objectsOf(store: ObjectStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const o of store.listDetailed('')) out.set(o.key, sha(await store.getBuffer(o.key)));
  return out;
}

/** Every file of a folder, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Whether any file of the archive holds `needle`, as stored or gunzipped. */
async function archiveHolds(dir: string, needle: string): Promise<boolean> {
  for (const file of await filesUnder(dir)) {
    const bytes = await readFile(file);
    if (bytes.includes(needle)) return true;
    if (file.endsWith('.gz') && gunzipSync(bytes).includes(needle)) return true;
  }
  return false;
}

function sqliteRows<T>(dataDir: string, query: string): T[] {
  const db = new DatabaseSync(join(dataDir, 'framehouse.db'), { readOnly: true });
  try {
    return db
      .prepare(query)
      .all()
      .map((r) => ({ ...r })) as T[];
  } finally {
    db.close();
  }
}

describe('backup and restore: SQLite and a folder', () => {
  let work: string;
  let dirA: string;
  let server: TestServer;
  let scene: Scene;
  let secrets: { signing: string; instance: string };
  let target: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'fh-backup-'));
    dirA = join(work, 'a');
    target = join(work, 'backups');
    server = await startTestServer(serverEnv, dirA);
    scene = await populate(server, await createObjectStore(`file:${join(dirA, 'objects')}`), 'a');
    secrets = {
      signing:
        sqliteRows<{ secret: string }>(dirA, 'select secret from playback_signing_keys')[0]?.secret ?? '',
      instance:
        sqliteRows<{ value: string }>(
          dirA,
          "select value from instance_settings where key = 'auth_secret'",
        )[0]?.value ?? '',
    };
    assert.ok(secrets.signing && secrets.instance);
  });
  after(async () => {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('a backup of a running server writes no secret; a second one copies no object again', async () => {
    const first = await cli(['backup', '--to', target, '--data-dir', dirA]);
    ok(first);
    assert.match(
      first.stdout,
      /^backup \d{8}T\d{6}Z-[a-z0-9]{6}: \d+ tables, [\d,]+ rows, 13 objects \([^;]+; 13 copied\), secrets left out, verified, /m,
    );
    assert.match(first.stderr, /database .*rows/, 'progress on stderr');
    for (const secret of [scene.webhookSecret, scene.streamKey, secrets.signing, secrets.instance])
      assert.equal(await archiveHolds(target, secret), false, 'no secret in the archive');
    const rows = sqliteRows<{ status: string; verification: string; objects_copied: number }>(
      dirA,
      'select status, verification, objects_copied from backups',
    );
    assert.deepEqual(rows, [{ status: 'succeeded', verification: 'passed', objects_copied: 13 }]);

    const second = await cli(['backup', '--to', target, '--data-dir', dirA]);
    ok(second);
    assert.match(second.stdout, /13 objects \([^;]+; 0 copied\)/);
    const list = await cli(['backup', 'list', '--from', target]);
    ok(list);
    assert.equal(list.stdout.trim().split('\n').length, 2);
  });

  test('restore into an empty installation: rows, objects and accounts back; what lacked secrets is said', async () => {
    const dirB = join(work, 'b');
    const restored = await cli(['restore', '--from', target, '--data-dir', dirB]);
    ok(restored);
    assert.match(restored.stdout, /1 webhook\(s\) got new signing secrets/);
    assert.match(restored.stdout, /1 live stream\(s\): stream keys are not shown/);
    assert.match(restored.stdout, /playback signing key\(s\) retired/);
    assert.match(restored.stdout, /1 upload\(s\) unfinished at backup time removed/);
    assert.match(restored.stdout, /13\/13 verified, 0 problem\(s\)/);
    assert.deepEqual(
      await objectsOf(await createObjectStore(`file:${join(dirB, 'objects')}`)),
      scene.objects,
    );
    assert.equal(sqliteRows(dirB, 'select id from uploads where completed_at is null').length, 0);
    // The outbox readers' cursors are no secret: they come back, so waiting events still go out.
    const cursors = (dir: string) =>
      sqliteRows<{ key: string; value: string }>(
        dir,
        "select key, value from instance_settings where key like '%_cursor' order by key",
      );
    // The source server went on dispatching since: the same readers, none ahead of the source.
    const before = cursors(dirA);
    const after = cursors(dirB);
    assert.ok(before.length > 0);
    assert.deepEqual(
      after.map((c) => c.key),
      before.map((c) => c.key),
    );
    for (const [i, c] of after.entries()) assert.ok(Number(c.value) <= Number(before[i]?.value), c.key);
    assert.equal(sqliteRows(dirB, "select key from instance_settings where key = 'auth_secret'").length, 0);
    const [hook] = sqliteRows<{ secret: string }>(dirB, 'select secret from webhooks');
    assert.match(hook?.secret ?? '', /^whsec_/);
    assert.notEqual(hook?.secret, scene.webhookSecret);

    const b = await startTestServer(serverEnv, dirB);
    try {
      assert.equal(await signIn(b, scene.email), 200);
      const hooks = await b.api<{ data: Array<{ url: string }> }>('/v1/webhooks');
      assert.deepEqual(
        hooks.body.data.map((h) => h.url),
        ['http://127.0.0.1:9/hook'],
      );
      const streams = await b.api<{ data: Array<{ title: string }> }>('/v1/live-streams');
      assert.deepEqual(
        streams.body.data.map((s) => s.title),
        ['Live'],
      );
    } finally {
      await b.stop();
    }

    const again = await cli(['restore', '--from', target, '--data-dir', dirB]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /FH_ERR_RESTORE_TARGET_NOT_EMPTY/);
    assert.doesNotMatch(again.stderr, /\n\s+at /, 'no stack');
    ok(await cli(['restore', '--from', target, '--data-dir', dirB, '--force']));
  });

  test('with --include-secrets they are encrypted, and come back with the passphrase only', async () => {
    const secretTarget = join(work, 'secret-backups');
    const file = join(work, 'passphrase');
    await writeFile(file, `${PASSPHRASE}\n`);
    ok(
      await cli([
        'backup',
        '--to',
        secretTarget,
        '--data-dir',
        dirA,
        '--include-secrets',
        '--passphrase-file',
        file,
      ]),
    );
    for (const secret of [scene.webhookSecret, scene.streamKey, secrets.signing, secrets.instance])
      assert.equal(await archiveHolds(secretTarget, secret), false, 'encrypted, not in clear');

    const wrong = join(work, 'wrong');
    await writeFile(wrong, 'not the passphrase at all\n');
    const refused = await cli([
      'restore',
      '--from',
      secretTarget,
      '--data-dir',
      join(work, 'c'),
      '--passphrase-file',
      wrong,
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /FH_ERR_BACKUP_PASSPHRASE/);

    const dirC = join(work, 'c');
    const restored = await cli(['restore', '--from', secretTarget, '--data-dir', dirC], {
      FRAMEHOUSE_BACKUP_PASSPHRASE: PASSPHRASE,
    });
    ok(restored);
    assert.match(restored.stdout, /secrets: restored \(.*webhooks 1/);
    assert.deepEqual(sqliteRows(dirC, 'select secret from webhooks'), [{ secret: scene.webhookSecret }]);
    assert.deepEqual(sqliteRows(dirC, 'select stream_key from live_streams'), [
      { stream_key: scene.streamKey },
    ]);
    assert.deepEqual(sqliteRows(dirC, 'select secret, retired_at from playback_signing_keys'), [
      { secret: secrets.signing, retired_at: null },
    ]);
    assert.equal(sqliteRows(dirC, 'select id from sessions').length, 1, 'the sign-up session');
  });

  test('--objects none: nothing copied; a restore into the kept store verifies, into an empty one lists what is missing', async () => {
    const noneTarget = join(work, 'none-backups');
    const made = await cli(['backup', '--to', noneTarget, '--data-dir', dirA, '--objects', 'none']);
    ok(made);
    assert.match(made.stdout, /13 objects \([^;]+; 0 copied\)/);
    assert.deepEqual(
      (await filesUnder(noneTarget)).filter((f) => f.includes('/objects/sha256/')),
      [],
    );
    const kept = join(work, 'd');
    await cp(join(dirA, 'objects'), join(kept, 'objects'), { recursive: true });
    const intoKept = await cli(['restore', '--from', noneTarget, '--data-dir', kept]);
    ok(intoKept);
    assert.match(intoKept.stdout, /0 objects copied, 13\/13 verified/);

    const empty = await cli(['restore', '--from', noneTarget, '--data-dir', join(work, 'e')]);
    assert.equal(empty.code, 1);
    assert.match(empty.stdout, /✖ sources\/asseta\/source: missing/);
    assert.match(empty.stdout, /13 problem\(s\)/);
  });

  test('a damaged archive is refused before anything changes; a changed pool object is found by the read-back', async () => {
    const damaged = join(work, 'damaged');
    await cp(target, damaged, { recursive: true });
    const [table] = (await filesUnder(damaged)).filter((f) => f.endsWith('-webhooks.ndjson.gz'));
    assert.ok(table);
    const bytes = await readFile(table);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    await writeFile(table, bytes);
    const dirF = join(work, 'f');
    const refused = await cli(['restore', '--from', damaged, '--data-dir', dirF]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /FH_ERR_BACKUP_INCOMPLETE: .*-webhooks\.ndjson\.gz/);
    assert.deepEqual(await readdir(work).then((d) => d.includes('f')), false, 'nothing made');

    const pool = join(work, 'bad-pool');
    await cp(target, pool, { recursive: true });
    const [pooled] = (await filesUnder(pool)).filter((f) => f.includes('/objects/sha256/'));
    assert.ok(pooled);
    const content = await readFile(pooled);
    content[0] = (content[0] ?? 0) ^ 0x01; // same size, other content
    await writeFile(pooled, content);
    const found = await cli(['restore', '--from', pool, '--data-dir', join(work, 'g')]);
    assert.equal(found.code, 1);
    assert.match(found.stdout, /✖ \S+: its content differs from the backup's \(sha256\)/);
    assert.match(found.stdout, /1 problem\(s\)/);
  });

  test('a backup made by a newer version (an unknown migration) is refused', async () => {
    const newer = join(work, 'newer');
    await cp(target, newer, { recursive: true });
    for (const f of (await filesUnder(newer)).filter((p) => p.endsWith('manifest.json'))) {
      const m = JSON.parse(await readFile(f, 'utf8'));
      await writeFile(f, JSON.stringify({ ...m, migration: '0099_from_the_future' }));
    }
    const r = await cli(['restore', '--from', newer, '--data-dir', join(work, 'h')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FH_ERR_BACKUP_NEWER: .*0099_from_the_future/);
  });

  test('SQLite → PostgreSQL: the same installation runs on the restored database', {
    skip: !POSTGRES_URL,
  }, async () => {
    const db = await openTestDatabase('postgres');
    try {
      await db.db.destroy();
      const store = `file:${join(work, 'pg-objects')}`;
      const restored = await cli(['restore', '--from', target], { DATABASE_URL: db.url, STORAGE_URL: store });
      ok(restored);
      assert.match(restored.stdout, /sqlite → postgres\): \d+ rows, 13 objects copied, 13\/13 verified/);
      const b = await startTestServer(
        { ...serverEnv, DATABASE_URL: db.url, STORAGE_URL: store },
        join(work, 'pg-data'),
      );
      try {
        assert.equal(await signIn(b, scene.email), 200);
        const streams = await b.api<{ data: Array<{ title: string }> }>('/v1/live-streams');
        assert.deepEqual(
          streams.body.data.map((s) => s.title),
          ['Live'],
        );
        // The sequences follow the rows loaded: a new row gets the next number, not a taken one.
        const before = await sql<{ max: number }>`select max(seq) as max from audit_events`.execute(b.db);
        const added = await b.db
          .insertInto('audit_events')
          .values({
            id: 'after-restore',
            at: new Date().toISOString(),
            actor: 'test',
            action: 'test',
            outcome: 'success',
            details: '{}',
          })
          .returning('seq')
          .executeTakeFirstOrThrow();
        assert.ok(added.seq > Number(before.rows[0]?.max), `${added.seq} after ${before.rows[0]?.max}`);
      } finally {
        await b.stop();
      }
    } finally {
      await db.close();
    }
  });
});

describe('backup and restore: PostgreSQL and S3 (s3rver), into another bucket', {
  skip: !POSTGRES_URL,
}, () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let backupsS3: Awaited<ReturnType<typeof startS3>>;
  let source: TestDatabase;
  let server: TestServer;
  let scene: Scene;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'fh-backup-pg-'));
    s3 = await startS3('framehouse');
    backupsS3 = await startS3('fh-backups');
    source = await openTestDatabase('postgres');
    server = await startTestServer(
      { ...serverEnv, DATABASE_URL: source.url, STORAGE_URL: s3.url },
      join(work, 'a'),
    );
    scene = await populate(server, await createObjectStore(s3.url), 'pg');
  });
  after(async () => {
    await server?.stop();
    await source?.close();
    await s3?.stop();
    await backupsS3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('round trip: every row and object back, the account signs in', async () => {
    const target = `s3://fh-backups/archive?endpoint=${encodeURIComponent(backupsS3.endpoint)}&force_path_style=true`;
    const env = { DATABASE_URL: source.url, STORAGE_URL: s3.url, FRAMEHOUSE_DATA_DIR: join(work, 'a') };
    const made = await cli(['backup', '--to', target], env);
    ok(made);
    assert.match(made.stdout, /13 objects \([^;]+; 13 copied\)/);
    const again = await cli(['backup', '--to', target, '--keep', '1'], env);
    ok(again);
    assert.match(again.stdout, /13 objects \([^;]+; 0 copied\).*removed 1 backup\(s\)/);

    const restoredDb = await openTestDatabase('postgres');
    try {
      await restoredDb.db.destroy();
      const store = `s3://framehouse/restored?endpoint=${encodeURIComponent(s3.endpoint)}&force_path_style=true`;
      const restored = await cli(['restore', '--from', target], {
        DATABASE_URL: restoredDb.url,
        STORAGE_URL: store,
        FRAMEHOUSE_DATA_DIR: join(work, 'b'),
      });
      ok(restored);
      assert.match(
        restored.stdout,
        /postgres → postgres\): \d+ rows, 13 objects copied, 13\/13 verified, 0 problem/,
      );
      assert.deepEqual(await objectsOf(await createObjectStore(store)), scene.objects);
      // Every table's rows, as many as in the source (the runtime tables aside).
      const check = restoredDb.connect();
      for (const table of [
        'users',
        'accounts',
        'webhooks',
        'live_streams',
        'api_keys',
        'audit_events',
        'events',
      ]) {
        // A backup announces its outcome (backup.succeeded) after its snapshot: those events aside.
        const only = table === 'events' ? sql`where type not like 'backup.%'` : sql``;
        const count = async (db: typeof check) =>
          Number(
            (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} ${only}`.execute(db))
              .rows[0]?.n,
          );
        assert.equal(await count(check), await count(server.db), table);
      }
      const b = await startTestServer(
        { ...serverEnv, DATABASE_URL: restoredDb.url, STORAGE_URL: store },
        join(work, 'c'),
      );
      try {
        assert.equal(await signIn(b, scene.email), 200);
      } finally {
        await b.stop();
      }
      // Over a restored installation: refused, then replaced with --force (tables dropped, objects deleted).
      const env2 = { DATABASE_URL: restoredDb.url, STORAGE_URL: store, FRAMEHOUSE_DATA_DIR: join(work, 'b') };
      const refused = await cli(['restore', '--from', target], env2);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /FH_ERR_RESTORE_TARGET_NOT_EMPTY: .*rows in assets|rows in users/);
      await (await createObjectStore(store)).put('stray/object', 'not in the backup');
      ok(await cli(['restore', '--from', target, '--force'], env2));
      assert.deepEqual(
        await objectsOf(await createObjectStore(store)),
        scene.objects,
        'the stray object is gone',
      );
    } finally {
      await restoredDb.close();
    }
  });
});

describe('a backup while another process keeps writing to SQLite', () => {
  test('VACUUM INTO is not starved: the backup finishes, consistent, while the writes go on', async () => {
    const work = await mkdtemp(join(tmpdir(), 'fh-backup-busy-'));
    try {
      const dataDir = join(work, 'a');
      ok(await cli(['migrate', '--data-dir', dataDir]));
      const file = join(dataDir, 'framehouse.db');
      // Some volume first, so the copy takes a while: 60,000 audit rows. Then a writer committing
      // 20 rows about every millisecond: `backup()` would start over at each commit.
      const fill = new DatabaseSync(file);
      fill.exec('begin');
      const ins = fill.prepare(
        "insert into audit_events (id, at, actor, action, outcome, details) values (?, ?, 'fill', 'test.fill', 'success', ?)",
      );
      for (let i = 0; i < 60_000; i++)
        ins.run(`f${i}`, new Date().toISOString(), `{"pad":"${'x'.repeat(200)}"}`);
      fill.exec('commit');
      fill.close();

      const writer = spawn(
        process.execPath,
        [
          '-e',
          `const { DatabaseSync } = require('node:sqlite');
           const db = new DatabaseSync(process.argv[1]);
           db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;');
           const ins = db.prepare("insert into audit_events (id, at, actor, action, outcome, details) values (?, ?, 'writer', 'test.write', 'success', '{}')");
           let n = 0;
           const tick = () => {
             db.exec('begin immediate');
             for (let i = 0; i < 20; i++) ins.run('w' + n++, new Date().toISOString());
             db.exec('commit');
             if (n % 2000 === 0) process.stdout.write(n + '\\n');
             setTimeout(tick, 1);
           };
           tick();`,
          file,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let written = 0;
      writer.stdout.on('data', (d: Buffer) => {
        written = Number(d.toString().trim().split('\n').at(-1));
      });
      try {
        const deadline = Date.now() + 120_000;
        while (written < 4000) {
          assert.equal(writer.exitCode, null, 'the writer stopped before it had written 4,000 rows');
          assert.ok(Date.now() < deadline, `the writer wrote only ${written} rows in two minutes`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const startedWith = written;
        const made = await cli(['backup', '--to', join(work, 'backups'), '--data-dir', dataDir]);
        ok(made);
        // No timing: on a loaded machine either side may be slow; what matters is that both went on.
        assert.ok(written > startedWith, `the writer went on meanwhile (${startedWith} → ${written})`);
        assert.equal(writer.exitCode, null, 'and is still writing');
      } finally {
        writer.kill();
      }
      const restored = await cli(['restore', '--from', join(work, 'backups'), '--data-dir', join(work, 'b')]);
      ok(restored);
      const [count] = sqliteRows<{ fill: number; writes: number; max: number }>(
        join(work, 'b'),
        "select sum(action = 'test.fill') as fill, sum(action = 'test.write') as writes, max(case when action = 'test.write' then cast(substr(id, 2) as integer) end) as max from audit_events",
      );
      assert.equal(count?.fill, 60_000);
      // One snapshot: the writer's rows up to some point, every one of them, none after.
      assert.ok((count?.writes ?? 0) >= 4000);
      assert.equal(count?.writes, (count?.max ?? -1) + 1, 'no gap: a consistent cut of the writes');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
