import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { signImgproxyPath } from '../src/images/imgproxy-url.ts';
import { isFinished, startTestServer, type TestServer } from './helpers/server.ts';

const KEY = '943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881';
const SALT = '520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5';
const keys = { key: Buffer.from(KEY, 'hex'), salt: Buffer.from(SALT, 'hex') };

describe('image assets and signed on-the-fly variants', () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-images-'));
    server = await startTestServer({ FRAMEHOUSE_IMG_KEY: KEY, FRAMEHOUSE_IMG_SALT: SALT });
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
    assert.equal(again.headers.get('etag'), res.headers.get('etag'), 'made once, then served from the store');

    // Tampered: another size with the old signature.
    const tampered = path.replace('rs:fit:300:200', 'rs:fit:3000:2000');
    const refused = await fetch(new URL(`/img${tampered}`, server.url));
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'FH_ERR_IMG_SIGNATURE');

    // format auto: the best the browser takes, and a Vary so caches keep one per Accept.
    const auto = signImgproxyPath(`/w:100/f:auto/plain/assets/${asset.id}`, keys);
    const avif = await fetch(new URL(`/img${auto}`, server.url), {
      headers: { accept: 'image/avif,image/webp,*/*' },
    });
    assert.deepEqual([avif.headers.get('content-type'), avif.headers.get('vary')], ['image/avif', 'Accept']);
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
});
