import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { openTestDatabase, POSTGRES_URL, type TestDatabase } from '../src/db/test-databases.ts';
import { makeClip, makeImage, makeTextAsMp4 } from './fixtures/media.ts';
import { startS3 } from './helpers/s3.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

const SECRET = 'drop-in-secret-0123456789';

interface Media {
  video: Buffer;
  photo: Buffer;
  notes: Buffer;
}

async function makeMedia(dir: string): Promise<Media> {
  return {
    video: await readFile(await makeClip(dir, { name: 'clip', seconds: 1, width: 160, height: 120 })),
    photo: await readFile(await makeImage(dir, 'jpg', 'photo')),
    notes: await readFile(await makeTextAsMp4(dir, 'notes')),
  };
}

/** Waits until `n` assets exist and every one has finished; returns them by file name. */
async function assetsWhenDone(server: TestServer, n: number, ms = 120_000): Promise<Map<string, AssetBody>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { body } = await server.api<{ data: AssetBody[] }>('/v1/assets?limit=100');
    if (body.data.length >= n && body.data.every(isFinished))
      return new Map(body.data.map((a) => [a.source.filename ?? a.id, a]));
    if (Date.now() > deadline)
      throw new Error(`waited for ${n} finished assets: ${JSON.stringify(body.data)}`);
    await sleep(200);
  }
}

const summary = (a: AssetBody | undefined) => [a?.status, a?.kind, a?.errors.map((e) => e.code).join()];

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) out.push(relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'));
  return out.sort();
}

const hook = (server: TestServer, body: unknown, secret = SECRET) =>
  server.api<{ data: { objects: number; queued: number }; error?: { code: string } }>('/v1/hooks/storage', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify(body),
  });

/** MinIO's webhook body for objects put into `bucket` (keys encoded as MinIO encodes them). */
const minioEvent = (bucket: string, keys: string[]) => ({
  EventName: 's3:ObjectCreated:Put',
  Key: `${bucket}/${keys[0]}`,
  Records: keys.map((key) => ({
    eventVersion: '2.0',
    eventSource: 'minio:s3',
    eventName: 's3:ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
      object: { key: encodeURIComponent(key).replace(/%20/g, '+'), size: 1, eTag: 'x' },
    },
  })),
});

describe('drop-in imports: a local folder, scanned', () => {
  let server: TestServer;
  let dir: string;
  let media: Media;
  let root: string;
  const drop = async (key: string, bytes: Buffer | string) => {
    const path = join(root, ...key.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-imports-'));
    media = await makeMedia(dir);
    server = await startTestServer({
      FRAMEHOUSE_IMPORTS_SCAN_SECONDS: '1',
      FRAMEHOUSE_IMPORTS_SETTLE_SECONDS: '0',
    });
    root = join(server.dataDir, 'objects');
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a video, a photo and a bad object become assets and leave imports/; the rest stays', async () => {
    await drop('imports/제주 여행/day 1.mp4', media.video);
    await drop('imports/IMG 0001.JPG', media.photo);
    await drop('imports/notes.mp4', media.notes);
    // Not drop-ins: a hidden file, rclone's partial file, the image batches' folder.
    await drop('imports/.DS_Store', 'finder');
    await drop('imports/big.mp4.a1b2c3.partial', media.video);
    await drop('imports/batches/shoot/a.jpg', media.photo);

    const assets = await assetsWhenDone(server, 3);
    assert.equal(assets.size, 3, [...assets.keys()].join());
    assert.deepEqual(summary(assets.get('day 1.mp4')), ['ready', 'video', '']);
    assert.deepEqual(summary(assets.get('IMG 0001.JPG')), ['ready', 'image', '']);
    assert.deepEqual(summary(assets.get('notes.mp4')), ['errored', null, 'FH_ERR_NOT_MEDIA']);
    assert.equal(assets.get('day 1.mp4')?.title, 'day 1');
    assert.equal(assets.get('IMG 0001.JPG')?.source.size, media.photo.length);

    const stored = await listFiles(root);
    assert.deepEqual(
      stored.filter((k) => k.startsWith('imports/')),
      ['imports/.DS_Store', 'imports/batches/shoot/a.jpg', 'imports/big.mp4.a1b2c3.partial'],
    );
    for (const a of assets.values())
      assert.ok(stored.includes(`sources/${a.id}/original`), `the source of ${a.source.filename} is kept`);
    await sleep(2500); // more scans: nothing imported twice
    assert.equal((await assetsWhenDone(server, 3)).size, 3);
  });

  test('image batches: only from their folder while drop-ins are on; their objects stay', async () => {
    await drop('imports/trip/b.jpg', media.photo);
    const refused = await server.api<{ error: { code: string; message: string } }>('/v1/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source_prefix: 'imports/trip/', presets: ['thumbnail'] }),
    });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /imports\/batches\//);

    const batch = await server.api<{ data: { id: string; total: number } }>('/v1/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source_prefix: 'imports/batches/shoot/', presets: ['thumbnail'] }),
    });
    assert.equal(batch.status, 202);
    assert.equal(batch.body.data.total, 1);
    const again = await server.api<{ data: { total: number } }>('/v1/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source_prefix: 'imports/batches/shoot/', presets: ['thumbnail'] }),
    });
    assert.equal(again.status, 202);
    // trip/b.jpg (a drop-in) and shoot/a.jpg (once, though batched twice).
    assert.equal((await assetsWhenDone(server, 5)).size, 5);
    assert.ok((await listFiles(root)).includes('imports/batches/shoot/a.jpg'));
  });
});

// Two servers against one database and one bucket (PostgreSQL where the machine has it): S3
// notifications to one, scans on the other, racing for the same objects.
describe(`drop-in imports: S3 notifications and scans on two servers, ${POSTGRES_URL ? 'PostgreSQL' : 'SQLite'}`, () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let tdb: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  let off: TestServer;
  let client: S3Client;
  let media: Media;
  let dir: string;
  const put = (key: string, body: Buffer) =>
    client.send(new PutObjectCommand({ Bucket: 'framehouse', Key: `framehouse/${key}`, Body: body }));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-imports-s3-'));
    media = await makeMedia(dir);
    s3 = await startS3();
    client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    tdb = await openTestDatabase(POSTGRES_URL ? 'postgres' : 'sqlite');
    const shared = { DATABASE_URL: tdb.url, STORAGE_URL: s3.url, FRAMEHOUSE_STORAGE_HOOK_SECRET: SECRET };
    a = await startTestServer(shared);
    b = await startTestServer({
      ...shared,
      FRAMEHOUSE_IMPORTS_SCAN_SECONDS: '1',
      FRAMEHOUSE_IMPORTS_SETTLE_SECONDS: '0',
    });
    off = await startTestServer({ STORAGE_URL: s3.url });
  });
  after(async () => {
    for (const s of [a, b, off]) await s?.stop();
    await tdb.close();
    await s3.stop();
    client.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  test('the hook: off without a secret, refuses a wrong one and what is not a notification', async () => {
    assert.equal((await hook(off, minioEvent('framehouse', []))).body.error?.code, 'FH_ERR_STORAGE_HOOK_OFF');
    const wrong = await hook(a, minioEvent('framehouse', []), 'not-the-secret-at-all');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error?.code, 'FH_ERR_UNAUTHENTICATED');
    const notOne = await hook(a, { hello: 'world' });
    assert.equal(notOne.status, 400);
    assert.equal(notOne.body.error?.code, 'FH_ERR_VALIDATION');
    const test = await hook(a, { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'framehouse' });
    assert.deepEqual([test.status, test.body.data], [202, { objects: 0, queued: 0 }]);
    // Other buckets, Framehouse's own keys and the batches' folder are not drop-ins.
    const ignored = await hook(a, {
      Records: [
        ...minioEvent('elsewhere', ['framehouse/imports/x.mp4']).Records,
        ...minioEvent('framehouse', [
          'framehouse/hls/x/720p/seg_1.m4s',
          'framehouse/imports/batches/y.jpg',
          'imports/z.mp4',
        ]).Records,
      ],
    });
    assert.deepEqual(ignored.body.data, { objects: 4, queued: 0 });
  });

  test('a notification and a scan for the same objects at once, on two servers: one asset each', async (t) => {
    const keys = ['imports/cam 1/clip.mp4', 'imports/cam 1/photo.jpg', 'imports/notes.mp4'];
    await put(keys[0] as string, media.video);
    await put(keys[1] as string, media.photo);
    await put(keys[2] as string, media.notes);
    // Five more photos, racing the same way.
    const more = Array.from({ length: 5 }, (_, i) => `imports/burst/IMG_${i}.jpg`);
    for (const k of more) await put(k, media.photo);
    // The notification reaches server a while server b's scan (every second) finds the same objects.
    const res = await hook(
      a,
      minioEvent(
        'framehouse',
        [...keys, ...more].map((k) => `framehouse/${k}`),
      ),
    );
    assert.equal(res.status, 202);
    assert.deepEqual(res.body.data, { objects: 8, queued: 8 });

    const assets = await assetsWhenDone(a, 8);
    assert.equal(assets.size, 8);
    assert.deepEqual(summary(assets.get('clip.mp4')), ['ready', 'video', '']);
    assert.deepEqual(summary(assets.get('photo.jpg')), ['ready', 'image', '']);
    assert.deepEqual(summary(assets.get('notes.mp4')), ['errored', null, 'FH_ERR_NOT_MEDIA']);
    const ledger = await tdb.db
      .selectFrom('imported_objects')
      .select(['object_key', 'asset_id', 'via'])
      .execute();
    t.diagnostic(
      `imported by the hook: ${ledger.filter((r) => r.via === 'hook').length}, by a scan: ${ledger.filter((r) => r.via === 'scan').length}`,
    );
    assert.equal(ledger.length, 8);
    assert.equal(new Set(ledger.map((r) => r.asset_id)).size, 8);
    await sleep(2500); // later scans and a repeated notification change nothing
    await hook(
      a,
      minioEvent(
        'framehouse',
        keys.map((k) => `framehouse/${k}`),
      ),
    );
    await sleep(1000);
    const { body } = await a.api<{ data: AssetBody[] }>('/v1/assets?limit=100');
    assert.equal(body.data.length, 8);
    const sources = new Set((await s3List(client, 'framehouse/sources/')).map((k) => k.split('/')[2]));
    assert.deepEqual(
      [...sources].sort(),
      body.data.map((x) => x.id).sort(),
      'no source copies beside the assets',
    );
    assert.deepEqual(await s3List(client, 'framehouse/imports/'), [], 'every object left imports/');
  });
});

async function s3List(client: S3Client, prefix: string): Promise<string[]> {
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const r = await client.send(new ListObjectsV2Command({ Bucket: 'framehouse', Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key ?? '');
}
