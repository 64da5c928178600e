import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { JobQueue } from '../src/queue/queue.ts';
import { makeClip } from './fixtures/media.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import {
  chromiumAvailable,
  collectErrors,
  ensureWebBuilt,
  launchChromium,
  screenshot,
  signedInContext,
} from './helpers/browser.ts';
import { motoMissing, startMoto } from './helpers/moto.ts';
import { runCli } from './helpers/processes.ts';
import { startS3 } from './helpers/s3.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

const ADMIN_KEY = 'test-admin-key-lifecycle-0123456789';
const DAY_MS = 86_400_000;
const TUS = { 'tus-resumable': '1.0.0' };

type Asset = AssetBody & { downloads: { name: string; status: string; size: number | null }[] };

interface StorageData {
  measured_at: string;
  classes: { class: string; objects: number; bytes: number }[];
  prefixes: { prefix: string; objects: number; bytes: number }[];
  trash: { assets: number; bytes: number; waiting_on_backup: number };
  rules: Record<string, unknown>;
  next: {
    action: string;
    asset_id?: string;
    upload_id?: string;
    key?: string;
    bytes: number;
    due_at: string;
    waiting_on_backup?: boolean;
  }[];
}

async function upload(server: TestServer, file: string, fields: Record<string, string> = {}): Promise<Asset> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', await openAsBlob(file), file.split('/').pop());
  const res = await server.api<{ data: Asset }>('/v1/assets', { method: 'POST', body: form });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.data;
}

const settled = (a: Asset) =>
  isFinished(a) && (a.downloads ?? []).every((d) => d.status === 'ready' || d.status === 'errored');

/** The job as a worker runs it: enqueued (without the schedule's dedupe key), then awaited. */
async function runLifecycleJob(server: TestServer) {
  const queue = new JobQueue({ db: server.db });
  const { id } = await queue.enqueue(server.db, 'storage.lifecycle', {}, { maxAttempts: 1 });
  const job = await waitForValue(
    () => queue.get(id),
    (j) => j?.state === 'completed' || j?.state === 'dead',
    { timeoutMs: 120_000, intervalMs: 200, what: 'the storage.lifecycle job' },
  );
  assert.equal(job?.state, 'completed', job?.lastError ?? '');
}

/** Ladders finished `days` ago (the rules' clock starts there). */
async function readySince(server: TestServer, assetId: string, days: number) {
  await server.db
    .updateTable('renditions')
    .set({ updated_at: new Date(Date.now() - days * DAY_MS).toISOString() })
    .where('asset_id', '=', assetId)
    .execute();
}

/** Every segment a player would fetch: the master, each media playlist, its init segment and segments. */
async function playAll(server: TestServer, playbackId: string): Promise<{ files: number; bytes: number }> {
  const base = `${server.url}/play/${playbackId}/`;
  const master = await fetch(`${base}master.m3u8`);
  assert.equal(master.status, 200);
  const variants = (await master.text()).split('\n').flatMap((l) => {
    const uri = /URI="([^"]+)"/.exec(l)?.[1] ?? (l && !l.startsWith('#') ? l.trim() : null);
    return uri?.endsWith('.m3u8') ? [uri] : [];
  });
  assert.ok(variants.length >= 2, 'video and audio renditions');
  let files = 0;
  let bytes = 0;
  for (const variant of variants) {
    const res = await fetch(new URL(variant, base));
    assert.equal(res.status, 200, variant);
    const text = await res.text();
    const uris = text.split('\n').flatMap((l) => {
      const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(l)?.[1];
      if (map) return [map];
      return l && !l.startsWith('#') ? [l.trim()] : [];
    });
    assert.ok(uris.length >= 3, `${variant}: an init segment and segments`);
    for (const uri of uris) {
      const seg = await fetch(new URL(uri, new URL(variant, base)));
      assert.equal(seg.status, 200, `${variant} → ${uri}`);
      bytes += (await seg.arrayBuffer()).byteLength;
      files++;
    }
  }
  return { files, bytes };
}

/** Files under a folder (a local store's objects), by key, skipping its temp folder. */
async function walk(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    const key = relative(root, full).split(sep).join('/');
    if (key.startsWith('.tmp/')) continue;
    out.set(key, (await stat(full)).size);
  }
  return out;
}

const keysUnder = (files: Map<string, number>, prefix: string) =>
  [...files.keys()].filter((k) => k.startsWith(prefix));

/** Mean absolute difference of two JPEGs' grey pixels (0–255), at the first one's size. */
async function pictureDistance(a: Buffer, b: Buffer): Promise<number> {
  const meta = await sharp(a).metadata();
  const grey = (img: Buffer) =>
    sharp(img).resize(meta.width, meta.height, { fit: 'fill' }).greyscale().raw().toBuffer();
  const [x, y] = await Promise.all([grey(a), grey(b)]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs((x[i] ?? 0) - (y[i] ?? 0));
  return sum / x.length;
}

async function metric(server: TestServer, name: string, action: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{action="${action}"}`));
  return Number(line?.split(' ').pop());
}

async function cli(args: string[], env: Record<string, string>) {
  // The suite runs with DATABASE_URL (PostgreSQL) in its environment: the CLI must open the
  // installation under test, whose settings `env` holds, not that one.
  const run = runCli(['storage', 'lifecycle', ...args], { DATABASE_URL: '', STORAGE_URL: '', ...env });
  const code = await run.exit;
  return { code, output: run.output() };
}

describe('storage lifecycle on a local folder, with a second folder as the cold store', () => {
  let server: TestServer;
  let work: string;
  let coldDir: string;
  let env: Record<string, string>;
  let clip: string;

  before(async () => {
    // Before the server starts: it reads the app's index.html once, so a build after that would
    // leave it naming scripts that are gone.
    if (chromiumAvailable()) ensureWebBuilt();
    work = await mkdtemp(join(tmpdir(), 'fh-lifecycle-'));
    coldDir = join(work, 'cold');
    clip = await makeClip(work, { name: 'nine', seconds: 9, width: 320, height: 240 });
    env = {
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_LIFECYCLE_DROP_ORIGINAL_DAYS: '1',
      FRAMEHOUSE_LIFECYCLE_COLD_DAYS: '2',
      FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_URL: `file:${coldDir}`,
      FRAMEHOUSE_LIFECYCLE_UNFINISHED_UPLOAD_DAYS: '1',
      FRAMEHOUSE_TRASH_DAYS: '30',
    };
    server = await startTestServer(env, join(work, 'data'));
  });
  after(async () => {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('originals dropped, an unplayed asset moved cold and still played through the fallback, views keep one hot; the report equals a walk of both stores', async (t) => {
    const hotDir = join(server.dataDir, 'objects');
    // A: ready 1.5 days ago (original due, not cold yet). B: 3 days, never played (both).
    // C: 3 days, but played now (original due, stays hot).
    const [a, b, c] = await Promise.all([
      upload(server, clip, { mp4_support: 'standard', title: 'A' }),
      upload(server, clip, { mp4_support: 'standard', title: 'B' }),
      upload(server, clip, { title: 'C' }),
    ]);
    for (const asset of [a, b, c]) await server.waitForAsset(asset.id, (x) => settled(x as Asset), 180_000);
    const pid = (asset: Asset) => asset.playback_ids[0]?.id ?? '';

    // A frame made from the original, kept to compare with the one made from the ladder later.
    const thumb = (asset: Asset, time: number) =>
      fetch(`${server.url}/play/${pid(asset)}/thumbnail.jpg?time=${time}&width=160`);
    const fromSource = await thumb(a, 4.5);
    assert.equal(fromSource.status, 200);
    const sourceFrame = Buffer.from(await fromSource.arrayBuffer());
    await rm(join(hotDir, 'images', a.id, 'thumbs'), { recursive: true, force: true });

    // C is played: its view is recorded (off the request, once an hour).
    assert.equal((await fetch(`${server.url}/play/${pid(c)}/master.m3u8`)).status, 200);
    await waitForValue(
      () => server.db.selectFrom('assets').select('last_viewed_at').where('id', '=', c.id).executeTakeFirst(),
      (r) => Boolean(r?.last_viewed_at),
      { what: 'last_viewed_at of C' },
    );
    await readySince(server, a.id, 1.5);
    await readySince(server, b.id, 3);
    await readySince(server, c.id, 3);

    // An upload left unfinished two days ago.
    const created = await fetch(`${server.url}/v1/uploads`, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': '1000', authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(created.status, 201);
    const uploadId = (created.headers.get('location') ?? '').split('/').pop() ?? '';
    const patched = await fetch(`${server.url}/v1/uploads/${uploadId}`, {
      method: 'PATCH',
      headers: {
        ...TUS,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        authorization: `Bearer ${ADMIN_KEY}`,
      },
      body: Buffer.alloc(400, 7),
    });
    assert.equal(patched.status, 204);
    await server.db
      .updateTable('uploads')
      .set({ created_at: new Date(Date.now() - 2 * DAY_MS).toISOString() })
      .where('id', '=', uploadId)
      .execute();

    // The dry run says what will happen, and changes nothing.
    const dry = await cli(['--data-dir', server.dataDir], env);
    assert.equal(dry.code, 0, dry.output);
    assert.match(dry.output, /originals\s+removed 1 day after the ladder is ready/);
    assert.match(dry.output, /cold tier\s+after 2 days without a view, objects go to the store file:/);
    for (const id of [a.id, b.id, c.id])
      assert.match(dry.output, new RegExp(`drop-original\\s+asset ${id}\\s+[\\d.]+ [KM]B\\s+due now`));
    assert.match(dry.output, new RegExp(`move-cold\\s+asset ${b.id}\\s+[\\d.]+ [KM]B\\s+due now`));
    assert.match(dry.output, new RegExp(`move-cold\\s+asset ${a.id}\\s+[\\d.]+ [KM]B\\s+due 20`));
    assert.match(dry.output, new RegExp(`expire-upload\\s+upload ${uploadId}\\s+1\\.0 KB\\s+due now`));
    assert.match(dry.output, /Dry run: nothing was changed/);
    assert.equal(keysUnder(await walk(hotDir), 'sources/').length, 3, 'the dry run removed nothing');
    const hotBefore = await walk(hotDir);
    const sourceBytes = keysUnder(hotBefore, 'sources/').reduce((s, k) => s + (hotBefore.get(k) ?? 0), 0);
    const bMovable = [...hotBefore.keys()].filter(
      (k) => !k.startsWith('images/') && k.split('/')[1] === b.id && !k.startsWith('sources/'),
    );

    await runLifecycleJob(server);

    const hot = await walk(hotDir);
    const cold = await walk(coldDir);
    assert.deepEqual(keysUnder(hot, 'sources/'), [], 'every original dropped');
    assert.deepEqual(keysUnder(cold, 'sources/'), []);
    const rows = await server.db
      .selectFrom('assets')
      .select(['id', 'source_dropped_at', 'storage_tier', 'tiered_at', 'status'])
      .where('id', 'in', [a.id, b.id, c.id])
      .execute();
    const row = (id: string) => rows.find((r) => r.id === id);
    for (const id of [a.id, b.id, c.id]) assert.ok(row(id)?.source_dropped_at, `${id}: source_dropped_at`);
    assert.equal(row(a.id)?.storage_tier, 'hot', 'A is not due yet');
    assert.equal(row(c.id)?.storage_tier, 'hot', 'C was played');
    assert.equal(row(b.id)?.storage_tier, 'cold');
    assert.ok(row(b.id)?.tiered_at);
    // B's ladder, download and captions folder are in the cold store only; its pictures stay hot.
    assert.deepEqual(
      [...cold.keys()].sort(),
      bMovable.sort(),
      'exactly B’s objects (but its pictures) went cold',
    );
    assert.ok(bMovable.some((k) => k.startsWith(`downloads/${b.id}/`)));
    for (const k of bMovable) assert.equal(hot.has(k), false, `${k} left the main store`);
    assert.ok(hot.has(`images/${b.id}/poster.jpg`), 'the poster stays hot');
    assert.ok(keysUnder(hot, `hls/${a.id}/`).length > 0 && keysUnder(hot, `hls/${c.id}/`).length > 0);

    // B plays through the fallback: every segment of every rendition, and its download.
    const played = await playAll(server, pid(b));
    assert.ok(played.files >= 8, `${played.files} files`);
    const download = await fetch(`${server.url}/play/${pid(b)}/download.mp4`);
    assert.equal(download.status, 200);
    const dlKey = bMovable.find((k) => k.startsWith('downloads/')) ?? '';
    assert.equal((await download.arrayBuffer()).byteLength, cold.get(dlKey));
    assert.equal((await playAll(server, pid(a))).files > 0, true, 'A plays without its original');

    // A frame from the ladder: close to the original's at the same time, unlike another time's.
    const fromLadder = await thumb(a, 4.5);
    assert.equal(fromLadder.status, 200);
    assert.equal(fromLadder.headers.get('content-type'), 'image/jpeg');
    const ladderFrame = Buffer.from(await fromLadder.arrayBuffer());
    const elsewhere = Buffer.from(await (await thumb(a, 0.5)).arrayBuffer());
    const same = await pictureDistance(sourceFrame, ladderFrame);
    const other = await pictureDistance(sourceFrame, elsewhere);
    t.diagnostic(
      `frame distance at 4.5 s: ${same.toFixed(2)}; to 0.5 s: ${other.toFixed(2)}; B played ${played.files} files`,
    );
    assert.ok(
      same < 3 && same * 4 < other,
      `frame at 4.5 s: ${same.toFixed(1)} from the original's, 0.5 s: ${other.toFixed(1)}`,
    );

    // Encoding again needs the original: the job refuses without touching the ladder, and its
    // redrive answers 409.
    const queue = new JobQueue({ db: server.db });
    const { id: jobId } = await queue.enqueue(server.db, 'transcode', { assetId: a.id }, { maxAttempts: 1 });
    const dead = await waitForValue(
      () => queue.get(jobId),
      (j) => j?.state === 'dead',
      {
        timeoutMs: 30_000,
        what: 'the transcode job to fail',
      },
    );
    assert.match(dead?.lastError ?? '', /original/);
    const afterJob = (await server.api<{ data: Asset }>(`/v1/assets/${a.id}`)).body.data;
    assert.equal(afterJob.status, 'ready');
    assert.ok(afterJob.renditions.every((r) => r.status === 'ready'));
    const redrive = await server.api<{ error: { code: string } }>(`/v1/admin/jobs/${jobId}/redrive`, {
      method: 'POST',
    });
    assert.equal(redrive.status, 409);
    assert.equal(redrive.body.error.code, 'FH_ERR_SOURCE_DROPPED');
    assert.equal((await playAll(server, pid(a))).files > 0, true);

    // Counted once; a second run finds nothing to do.
    assert.equal(await metric(server, 'framehouse_lifecycle_objects_total', 'drop-original'), 3);
    assert.equal(await metric(server, 'framehouse_lifecycle_bytes_total', 'drop-original'), sourceBytes);
    assert.equal(await metric(server, 'framehouse_lifecycle_objects_total', 'move-cold'), bMovable.length);
    await runLifecycleJob(server);
    assert.equal(await metric(server, 'framehouse_lifecycle_objects_total', 'drop-original'), 3);
    assert.equal(await metric(server, 'framehouse_lifecycle_objects_total', 'move-cold'), bMovable.length);
    assert.deepEqual(await walk(coldDir), cold);

    // The unfinished upload expires with the sweep (the api nodes own the staging).
    assert.ok(server.uploads);
    await server.uploads.sweep();
    const head = await fetch(`${server.url}/v1/uploads/${uploadId}`, {
      method: 'HEAD',
      headers: { ...TUS, authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(head.status, 404);
    assert.equal(await metric(server, 'framehouse_lifecycle_objects_total', 'expire-upload'), 1);
    assert.equal(await metric(server, 'framehouse_lifecycle_bytes_total', 'expire-upload'), 400);

    // C in the trash for 40 days, a backup that succeeded before it was deleted: it waits.
    await server.db
      .updateTable('assets')
      .set({ deleted_at: new Date(Date.now() - 40 * DAY_MS).toISOString() })
      .where('id', '=', c.id)
      .execute();
    const longAgo = new Date(Date.now() - 50 * DAY_MS).toISOString();
    await server.db
      .insertInto('backups')
      .values({
        id: 'b-test',
        trigger: 'cli',
        target: '/backups',
        status: 'succeeded',
        objects_mode: 'all',
        node: null,
        started_at: longAgo,
        snapshot_at: longAgo,
        finished_at: longAgo,
        heartbeat_at: longAgo,
        database_bytes: null,
        size_bytes: null,
        objects_total: null,
        objects_bytes: null,
        objects_copied: null,
        verification: 'passed',
        verification_problems: null,
        error_code: null,
        error_message: null,
      })
      .execute();

    // The report: what a walk of both folders finds, class by class and folder by folder.
    const report = await server.api<{ data: StorageData }>('/v1/admin/storage');
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const data = report.body.data;
    const finalHot = await walk(hotDir);
    const finalCold = await walk(coldDir);
    const sum = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);
    assert.deepEqual(
      data.classes.map((x) => [x.class, x.objects, x.bytes]).sort(),
      [
        ['cold:local', finalCold.size, sum(finalCold)],
        ['local', finalHot.size, sum(finalHot)],
      ].sort(),
    );
    const byFolder = new Map<string, [number, number]>();
    for (const m of [finalHot, finalCold])
      for (const [k, size] of m) {
        const folder = `${k.split('/')[0]}/`;
        const t = byFolder.get(folder) ?? [0, 0];
        byFolder.set(folder, [t[0] + 1, t[1] + size]);
      }
    assert.deepEqual(
      data.prefixes.map((p) => [p.prefix, p.objects, p.bytes]).sort(),
      [...byFolder.entries()].map(([p, [n, bytes]]) => [p, n, bytes]).sort(),
    );
    const cBytes = [...finalHot.entries()]
      .filter(([k]) => k.split('/')[1] === c.id)
      .reduce((s, [, v]) => s + v, 0);
    assert.deepEqual(data.trash, { assets: 1, bytes: cBytes, waiting_on_backup: 1 });
    const purge = data.next.find((n) => n.action === 'purge-trash');
    assert.deepEqual([purge?.asset_id, purge?.bytes, purge?.waiting_on_backup], [c.id, cBytes, true]);
    assert.ok(
      data.next.some(
        (n) => n.action === 'move-cold' && n.asset_id === a.id && Date.parse(n.due_at) > Date.now(),
      ),
      'A goes cold later',
    );
    assert.equal(data.next.filter((n) => n.action === 'drop-original').length, 0);
    assert.equal(data.rules.drop_original_days, 1);
    assert.equal(data.rules.multipart_uploads, 'none');

    // --apply on a folder: nothing to write, said clearly, exit 0.
    const applied = await cli(['--apply', '--data-dir', server.dataDir], env);
    assert.equal(applied.code, 0, applied.output);
    assert.match(
      applied.output,
      /This store \(a folder\) has no lifecycle rules of its own: the storage.lifecycle job/,
    );
  });

  test('the admin app’s Storage page shows the classes, folders, trash, rules and next actions', {
    skip: !chromiumAvailable(),
  }, async () => {
    const cookie = await signUpWithRole(server, 'operator@example.com', 'a long enough password', 'admin');
    const browser = await launchChromium();
    try {
      const page = await (await signedInContext(browser, server, cookie)).newPage();
      const errors = collectErrors(page);
      await page.goto('/admin/storage');
      await page
        .getByRole('heading', { name: 'Storage' })
        .waitFor({ timeout: 20_000 })
        .catch(async (e) => {
          throw new Error(
            `${(e as Error).message}\n${await page.locator('body').innerText()}\n${errors.join('\n')}`,
          );
        });
      const classes = page.getByRole('table', { name: 'By storage class' });
      await classes.getByRole('cell', { name: 'cold:local', exact: true }).waitFor();
      await classes.getByRole('cell', { name: 'local', exact: true }).waitFor();
      await page.getByRole('table', { name: 'By folder' }).getByRole('cell', { name: 'hls/' }).waitFor();
      assert.match(
        (await page.locator('[data-trash]').textContent()) ?? '',
        /1 asset, .* 1 could be purged but waits? for a backup/,
      );
      assert.match(
        (await page.locator('.facts-grid').textContent()) ?? '',
        /Removed 1 day after the ladder is ready/,
      );
      const purge = page.locator('tr[data-action="purge-trash"]');
      assert.match((await purge.textContent()) ?? '', /Due now \(waits for a backup\)Purge from the trash/);
      assert.ok((await page.locator('tr[data-action="move-cold"]').count()) >= 1);
      await screenshot(page, 'admin-storage');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});

describe('storage lifecycle on S3 (s3rver) with a storage class', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let server: TestServer;
  let env: Record<string, string>;
  let work: string;

  before(async () => {
    s3 = await startS3();
    work = await mkdtemp(join(tmpdir(), 'fh-lifecycle-s3-'));
    env = {
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      STORAGE_URL: s3.url,
      FRAMEHOUSE_LIFECYCLE_COLD_DAYS: '1',
      FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_CLASS: 'STANDARD_IA',
    };
    server = await startTestServer(env, join(work, 'data'));
  });
  after(async () => {
    await server.stop();
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('objects take the class (HeadObject says so; s3rver’s listing says STANDARD), the poster stays, the asset plays; multipart and bucket rules are NotImplemented', async () => {
    const clip = await makeClip(work, { name: 'six', seconds: 9, width: 320, height: 240 });
    const asset = await upload(server, clip);
    await server.waitForAsset(asset.id, isFinished, 180_000);
    await readySince(server, asset.id, 2);
    await runLifecycleJob(server);

    const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: 'framehouse', Prefix: 'framehouse/' }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.split('/')[2] === asset.id);
    assert.ok(keys.length > 5);
    for (const key of keys) {
      const head = await client.send(new HeadObjectCommand({ Bucket: 'framehouse', Key: key }));
      const expected = key.startsWith('framehouse/images/') ? undefined : 'STANDARD_IA';
      assert.equal(head.StorageClass, expected, key);
    }
    assert.ok(
      keys.some((k) => k.startsWith('framehouse/sources/')),
      'the original is kept (no drop rule)',
    );
    assert.ok(
      (listed.Contents ?? []).every((o) => o.StorageClass === 'STANDARD'),
      's3rver lists STANDARD',
    );
    const row = await server.db
      .selectFrom('assets')
      .select(['storage_tier', 'source_dropped_at'])
      .where('id', '=', asset.id)
      .executeTakeFirst();
    assert.deepEqual({ ...row }, { storage_tier: 'cold', source_dropped_at: null });
    assert.ok((await playAll(server, asset.playback_ids[0]?.id ?? '')).files >= 6);

    // The report matches a listing of the bucket under the store's prefix.
    const report = (await server.api<{ data: StorageData }>('/v1/admin/storage')).body.data;
    const all = listed.Contents ?? [];
    assert.deepEqual(
      report.classes.map((c) => [c.class, c.objects, c.bytes]),
      [['STANDARD', all.length, all.reduce((s, o) => s + (o.Size ?? 0), 0)]],
    );
    assert.equal(report.rules.multipart_uploads, 'unsupported');
    assert.equal(report.rules.cold_storage_class, 'STANDARD_IA');

    const dry = await cli(['--data-dir', server.dataDir], env);
    assert.equal(dry.code, 0, dry.output);
    assert.match(dry.output, /multipart uploads\s+the bucket's service cannot list them \(NotImplemented\)/);
    assert.match(dry.output, /storage class STANDARD_IA/);
    const applied = await cli(['--apply', '--data-dir', server.dataDir], env);
    assert.equal(applied.code, 0, applied.output);
    assert.match(
      applied.output,
      /has no lifecycle rules \(it answered NotImplemented\): the storage.lifecycle job/,
    );
  });
});

describe('abandoned multipart uploads on S3 (moto, which lists and aborts them)', {
  skip: motoMissing,
}, () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let server: TestServer;
  let env: Record<string, string>;
  let work: string;

  before(async () => {
    moto = await startMoto();
    work = await mkdtemp(join(tmpdir(), 'fh-lifecycle-moto-'));
    env = {
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      STORAGE_URL: moto.url,
      FRAMEHOUSE_LIFECYCLE_UNFINISHED_UPLOAD_DAYS: '2',
    };
    server = await startTestServer(env, join(work, 'data'));
  });
  after(async () => {
    await server.stop();
    await moto.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('old multipart uploads under the prefix are aborted, a resumable upload in progress is kept; --apply writes the bucket rule', async () => {
    // moto reports every upload as begun in 2010: all are "old", which is what the live one must survive.
    const abandoned = await moto.client.send(
      new CreateMultipartUploadCommand({ Bucket: 'framehouse', Key: 'framehouse/hls/crashed/seg_00001.m4s' }),
    );
    await moto.client.send(
      new CreateMultipartUploadCommand({ Bucket: 'framehouse', Key: 'elsewhere/not-ours.bin' }),
    );
    const created = await fetch(`${server.url}/v1/uploads`, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': String(6 * 1024 * 1024), authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(created.status, 201);
    const uploadId = (created.headers.get('location') ?? '').split('/').pop() ?? '';
    const patched = await fetch(`${server.url}/v1/uploads/${uploadId}`, {
      method: 'PATCH',
      headers: {
        ...TUS,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        authorization: `Bearer ${ADMIN_KEY}`,
      },
      body: Buffer.alloc(5 * 1024 * 1024 + 10, 1),
    });
    assert.equal(patched.status, 204);
    const pending = async () =>
      ((await moto.client.send(new ListMultipartUploadsCommand({ Bucket: 'framehouse' }))).Uploads ?? []).map(
        (u) => u.Key,
      );
    assert.ok(
      (await pending()).includes(`framehouse/tus/${uploadId}`),
      'tus keeps its bytes as a multipart upload',
    );

    const report = (await server.api<{ data: StorageData }>('/v1/admin/storage')).body.data;
    assert.equal(report.rules.multipart_uploads, 'listed');
    assert.ok(report.next.some((n) => n.action === 'expire-upload' && n.key === 'hls/crashed/seg_00001.m4s'));
    assert.ok(report.next.some((n) => n.action === 'expire-upload' && n.upload_id === uploadId));

    await runLifecycleJob(server);
    const left = await pending();
    assert.equal(
      left.includes('framehouse/hls/crashed/seg_00001.m4s'),
      false,
      `aborted (${abandoned.UploadId})`,
    );
    assert.ok(left.includes(`framehouse/tus/${uploadId}`), 'the resumable upload in progress is kept');
    assert.ok(left.includes('elsewhere/not-ours.bin'), 'outside our prefix: not ours');
    assert.equal(await metric(server, 'framehouse_lifecycle_objects_total', 'expire-upload'), 1);

    const applied = await cli(['--apply', '--data-dir', server.dataDir], {
      ...env,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    });
    assert.equal(applied.code, 0, applied.output);
    assert.match(
      applied.output,
      /Wrote the bucket lifecycle rule: multipart uploads under this store's prefix are aborted 2 days after/,
    );
  });
});
