import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { AppError } from '../shared/errors.ts';
import { DEFAULT_RECIPE, type Recipe } from './recipe.ts';
import { renderImage } from './render.ts';

const recipe = (r: Partial<Recipe>): Recipe => ({ ...DEFAULT_RECIPE, ...r });
const render = (input: Buffer, r: Partial<Recipe>, loadWatermark?: (key: string) => Promise<Buffer>) =>
  renderImage(input, recipe(r), { size: input.length, ...(loadWatermark ? { loadWatermark } : {}) });
const solid = (width: number, height: number, rgb: [number, number, number]) =>
  sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
const pixel = async (png: Buffer, x: number, y: number) => {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i], data[i + 1], data[i + 2]];
};
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return null;
  } catch (e) {
    return e instanceof AppError ? e.code : String(e);
  }
};

/** A PNG that declares width × height in its header, with a few bytes of pixel data after it. */
function declaredPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const byte of b) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('renderImage (real sharp, images made here)', () => {
  it('applies EXIF orientation: a landscape file marked "rotate 90°" comes out portrait', async () => {
    const rotated = await solid(200, 100, [200, 30, 30]).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const out = await render(rotated, { format: 'png' });
    assert.deepEqual([out.width, out.height], [100, 200]);
    assert.equal(
      (await sharp(out.data).metadata()).orientation,
      undefined,
      'no orientation left to apply twice',
    );
  });

  it('converts CMYK to sRGB: red stays red', async () => {
    const cmyk = await solid(64, 64, [220, 20, 20]).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
    const out = await render(cmyk, { format: 'png' });
    const meta = await sharp(out.data).metadata();
    assert.equal(meta.space, 'srgb');
    const [r, g, b] = await pixel(out.data, 32, 32);
    assert.ok((r ?? 0) > 150 && (g ?? 255) < 90 && (b ?? 255) < 90, `red after conversion: ${r},${g},${b}`);
  });

  it('turns a 16-bit PNG into an 8-bit sRGB output', async () => {
    const deep = await solid(32, 32, [10, 200, 90]).toColourspace('rgb16').png().toBuffer();
    assert.equal((await sharp(deep).metadata()).depth, 'ushort');
    const out = await render(deep, { format: 'png', width: 16 });
    const meta = await sharp(out.data).metadata();
    assert.deepEqual([meta.depth, meta.width], ['uchar', 16]);
  });

  it('keeps an animated GIF animated as WebP, and takes its first frame for JPEG', async () => {
    const frames = await Promise.all(
      (
        [
          [255, 0, 0],
          [0, 255, 0],
          [0, 0, 255],
        ] as const
      ).map((c) => solid(40, 30, [c[0], c[1], c[2]]).png().toBuffer()),
    );
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
    assert.equal((await sharp(gif).metadata()).pages, 3);
    const webp = await render(gif, { format: 'webp', width: 20 });
    assert.equal((await sharp(webp.data).metadata()).pages, 3);
    const jpeg = await render(gif, { format: 'jpeg' });
    assert.deepEqual([jpeg.width, jpeg.height], [40, 30]);
  });

  it('refuses a truncated JPEG with a code', async () => {
    const whole = await solid(300, 200, [90, 90, 90]).jpeg().toBuffer();
    assert.equal(
      await codeOf(render(whole.subarray(0, Math.floor(whole.length / 2)), {})),
      'FH_ERR_MEDIA_DAMAGED',
    );
  });

  it('refuses a PNG declaring 50,000 × 50,000 pixels from its header, without decoding it', async () => {
    const bomb = declaredPng(50_000, 50_000);
    assert.ok(bomb.length < 2000, `${bomb.length} bytes on disk`);
    const before = process.memoryUsage().rss;
    assert.equal(await codeOf(render(bomb, { width: 100 })), 'FH_ERR_IMAGE_TOO_LARGE');
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 64 * 1024 * 1024, `memory grew by ${grown} bytes (decoded it would be 7.5 GB)`);
  });

  it('places the watermark where asked, at the asked opacity and scale', async () => {
    const photo = await solid(400, 300, [0, 0, 0]).png().toBuffer();
    const mark = await solid(50, 50, [255, 255, 255]).png().toBuffer();
    const load = async (key: string) => {
      assert.equal(key, 'marks/logo.png');
      return mark;
    };
    const out = await render(
      photo,
      {
        format: 'png',
        watermark: { key: 'marks/logo.png', opacity: 0.5, position: 'soea', margin: 10, scale: 0.1 },
      },
      load,
    );
    // 10% of 400 px wide = 40 × 40, 10 px from the bottom-right corner: x 350–389, y 250–289.
    const [inside] = await pixel(out.data, 370, 270);
    assert.ok(Math.abs((inside ?? 0) - 128) <= 3, `half-opaque white over black ≈ 128, got ${inside}`);
    assert.deepEqual(await pixel(out.data, 345, 270), [0, 0, 0], 'left of the mark');
    assert.deepEqual(await pixel(out.data, 370, 295), [0, 0, 0], 'in the margin below it');
    assert.deepEqual(await pixel(out.data, 20, 20), [0, 0, 0], 'far corner untouched');

    const opaqueTopLeft = await render(
      photo,
      {
        format: 'png',
        watermark: { key: 'marks/logo.png', opacity: 1, position: 'nowe', margin: 0, scale: 0 },
      },
      load,
    );
    assert.deepEqual(await pixel(opaqueTopLeft.data, 10, 10), [255, 255, 255]);
    assert.deepEqual(await pixel(opaqueTopLeft.data, 60, 60), [0, 0, 0], 'its own 50 px size');
  });

  it('resizes by fit and fill, blurs and sharpens, and leaves location metadata out', async () => {
    const withGps = await solid(1200, 800, [120, 140, 160])
      .jpeg()
      .withExif({ IFD0: { Make: 'TestCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1' } })
      .toBuffer();
    assert.ok((await sharp(withGps).metadata()).exif, 'the source has EXIF');
    const fit = await render(withGps, { width: 300, height: 300, fit: 'fit' });
    assert.deepEqual([fit.width, fit.height], [300, 200]);
    assert.equal((await sharp(fit.data).metadata()).exif, undefined, 'no EXIF, so no location');
    const fill = await render(withGps, {
      width: 300,
      height: 300,
      fit: 'fill',
      blur: 2,
      sharpen: 1,
      format: 'webp',
    });
    assert.deepEqual(
      [fill.width, fill.height, (await sharp(fill.data).metadata()).format],
      [300, 300, 'webp'],
    );
    const small = await render(await solid(100, 80, [1, 2, 3]).png().toBuffer(), { width: 1000 });
    assert.equal(small.width, 100, 'never enlarged unless asked');
  });
});
