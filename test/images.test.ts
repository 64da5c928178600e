import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { postgresSkip, TEST_DIALECTS } from '../src/db/test-databases.ts';
import { signImgproxyPath } from '../src/images/imgproxy-url.ts';
import { createObjectStore } from '../src/storage/create-store.ts';
import { isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

const KEY = '943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881';
const SALT = '520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5';
const keys = { key: Buffer.from(KEY, 'hex'), salt: Buffer.from(SALT, 'hex') };

for (const dialect of TEST_DIALECTS) {
  describe(`image assets, signed on-the-fly variants and batches on ${dialect}`, {
    skip: postgresSkip(dialect),
  }, () => {
    let server: TestServer;
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fh-images-'));
      // Four slots: item jobs finish concurrently, which the batch counters must survive.
      server = await startTestServer(
        {
          FRAMEHOUSE_IMG_KEY: KEY,
          FRAMEHOUSE_IMG_SALT: SALT,
          FRAMEHOUSE_WORKER_CONCURRENCY: '4',
        },
        undefined,
        dialect,
      );
    });
    after(async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    });
    const file = async (name: string, bytes: Buffer) => {
      const path = join(dir, name);
      await writeFile(path, bytes);
      return path;
    };

    it('a photo becomes a ready image asset with its size as seen (EXIF orientation applied)', async () => {
      const photo = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#3a6' } })
        .jpeg()
        .withMetadata({ orientation: 6 })
        .toBuffer();
      const created = await server.upload(await file('harbour.jpg', photo), 'Harbour');
      const asset = await server.waitForAsset(created.id, isFinished);
      assert.deepEqual([asset.status, asset.kind, asset.width, asset.height], ['ready', 'image', 800, 1200]);

      const path = signImgproxyPath(`/rs:fit:300:200/q:80/plain/assets/${asset.id}@webp`, keys);
      const res = await fetch(new URL(`/img${path}`, server.url));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/webp');
      assert.match(res.headers.get('cache-control') ?? '', /immutable/);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      assert.deepEqual(
        [meta.format, meta.width, meta.height],
        ['webp', 133, 200],
        'portrait, fitted in 300×200',
      );
      const again = await fetch(new URL(`/img${path}`, server.url));
      assert.equal(
        again.headers.get('etag'),
        res.headers.get('etag'),
        'made once, then served from the store',
      );

      // Tampered: another size with the old signature.
      const tampered = path.replace('rs:fit:300:200', 'rs:fit:3000:2000');
      const refused = await fetch(new URL(`/img${tampered}`, server.url));
      assert.equal(refused.status, 403);
      assert.equal(
        ((await refused.json()) as { error: { code: string } }).error.code,
        'FH_ERR_IMG_SIGNATURE',
      );

      // format auto: the best the browser takes, and a Vary so caches keep one per Accept.
      const auto = signImgproxyPath(`/w:100/f:auto/plain/assets/${asset.id}`, keys);
      const avif = await fetch(new URL(`/img${auto}`, server.url), {
        headers: { accept: 'image/avif,image/webp,*/*' },
      });
      assert.deepEqual(
        [avif.headers.get('content-type'), avif.headers.get('vary')],
        ['image/avif', 'Accept'],
      );
      const jpeg = await fetch(new URL(`/img${auto}`, server.url), { headers: { accept: 'image/*' } });
      assert.equal(jpeg.headers.get('content-type'), 'image/jpeg');
    });

    it('refuses image bombs and RAW without LibRaw, each with a code', async () => {
      // A PNG header declaring 50,000 × 50,000 (sharp writes it; its pixels are never decoded).
      const bomb = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
        .png()
        .toBuffer();
      const ihdr = bomb.indexOf('IHDR');
      bomb.writeUInt32BE(50_000, ihdr + 4);
      bomb.writeUInt32BE(50_000, ihdr + 8);
      const big = await server.upload(await file('bomb.png', bomb));
      const errored = await server.waitForAsset(big.id, isFinished);
      assert.deepEqual([errored.status, errored.errors[0]?.code], ['errored', 'FH_ERR_IMAGE_TOO_LARGE']);

      process.env.FRAMEHOUSE_DCRAW_EMU = '/nonexistent/dcraw_emu';
      try {
        const tiff = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#888' } })
          .tiff()
          .toBuffer();
        const raw = await server.upload(await file('IMG_0001.DNG', tiff));
        const failed = await server.waitForAsset(raw.id, isFinished);
        assert.deepEqual([failed.status, failed.errors[0]?.code], ['errored', 'FH_ERR_RAW_DECODER_MISSING']);
        assert.match(failed.errors[0]?.message ?? '', /libraw-bin/);
      } finally {
        delete process.env.FRAMEHOUSE_DCRAW_EMU;
      }
    });

    it('a batch of 200 images, a few broken, reports exact counts, per-item errors and events', async () => {
      const upload = async (name: string, bytes: Buffer) => (await server.upload(await file(name, bytes))).id;
      const logo = await upload(
        'logo.png',
        await sharp({
          create: { width: 60, height: 20, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 1 } },
        })
          .png()
          .toBuffer(),
      );
      await server.waitForAsset(logo, isFinished);
      const saved = await server.api('/v1/presets/marked', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          width: 200,
          format: 'png',
          watermark: { asset_id: logo, opacity: 0.5, position: 'soea', margin: 4, scale: 0.3 },
        }),
      });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));

      const ids: string[] = [];
      for (let i = 0; i < 192; i++) {
        const photo = await sharp({
          create: { width: 320, height: 240, channels: 3, background: { r: i, g: 100, b: 200 - i } },
        })
          .jpeg()
          .toBuffer();
        ids.push(await upload(`photo-${i}.jpg`, photo));
      }
      const whole = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#456' } })
        .jpeg()
        .toBuffer();
      for (let i = 0; i < 5; i++) ids.push(await upload(`cut-${i}.jpg`, whole.subarray(0, 300 + i * 50)));
      for (let i = 0; i < 2; i++)
        ids.push(await upload(`notes-${i}.png`, Buffer.from('this is not a picture at all')));
      ids.push('doesnotexist0000');

      const created = await server.api<{ data: { id: string; total: number } }>('/v1/batches', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ asset_ids: ids, presets: ['thumbnail', 'marked'] }),
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      assert.equal(created.body.data.total, 200);
      type Batch = {
        status: string;
        done: number;
        failed: number;
        total: number;
        throughput: number | null;
        errors: Array<{ asset_id: string; code: string }>;
      };
      const batch = await waitForValue(
        async () => (await server.api<{ data: Batch }>(`/v1/batches/${created.body.data.id}`)).body.data,
        (b) => b.status === 'completed',
        { timeoutMs: 120_000, what: 'the batch to complete' },
      );
      assert.deepEqual(
        [batch.status, batch.done, batch.failed, batch.total],
        ['completed', 192, 8, 200],
        JSON.stringify(batch.errors.slice(0, 3)),
      );
      assert.ok((batch.throughput ?? 0) > 0);
      const codes = batch.errors.map((e) => e.code).sort();
      assert.deepEqual(codes, [
        'FH_ERR_ASSET_NOT_FOUND',
        ...Array(5).fill('FH_ERR_MEDIA_DAMAGED'),
        ...Array(2).fill('FH_ERR_NOT_AN_IMAGE'),
      ]);

      const events = await server.api<{ data: Array<{ type: string; data: { done?: number } }> }>(
        `/v1/events?type=batch.created,batch.progress,batch.completed&limit=100`,
      );
      const types = events.body.data.map((e) => e.type);
      assert.equal(types[0], 'batch.created');
      assert.equal(types.at(-1), 'batch.completed');
      assert.ok(types.filter((t) => t === 'batch.progress').length >= 10, 'progress along the way');

      // Photos already in the bucket under imports/: one request imports and renders them.
      const bucket = await createObjectStore(`file:${join(server.dataDir, 'objects')}`);
      for (let i = 0; i < 3; i++) {
        const photo = await sharp({ create: { width: 500, height: 400, channels: 3, background: '#a52' } })
          .jpeg()
          .toBuffer();
        await bucket.put(`imports/trip-2026/IMG_${i}.jpg`, photo);
      }
      const imported = await server.api<{ data: { id: string; total: number } }>('/v1/batches', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source_prefix: 'imports/trip-2026/', presets: ['thumbnail'] }),
      });
      assert.equal(imported.status, 202, JSON.stringify(imported.body));
      assert.equal(imported.body.data.total, 3);
      const importedBatch = await waitForValue(
        async () => (await server.api<{ data: Batch }>(`/v1/batches/${imported.body.data.id}`)).body.data,
        (b) => b.status === 'completed',
        { timeoutMs: 60_000, what: 'the import batch to complete' },
      );
      assert.deepEqual([importedBatch.done, importedBatch.failed], [3, 0]);
      const outside = await server.api('/v1/batches', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source_prefix: 'sources/', presets: ['thumbnail'] }),
      });
      assert.equal(outside.status, 400, 'only imports/ may be named');

      const variant = await fetch(new URL(`/v1/assets/${ids[0]}/variants/marked`, server.url));
      assert.equal(variant.headers.get('content-type'), 'image/png');
      const meta = await sharp(Buffer.from(await variant.arrayBuffer())).metadata();
      assert.deepEqual([meta.width, meta.height], [200, 150]);
    });
  });
}
