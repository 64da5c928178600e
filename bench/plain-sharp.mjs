// `node bench/plain-sharp.mjs DIR OUT SLOTS` — the reference for `framehouse images process DIR
// --preset 1080p --out OUT` in `npm run bench:cli`: a plain script over sharp itself, no Framehouse
// code, the same pipeline as the '1080p' preset (decode options, EXIF rotation, sRGB, inside
// 1920 × 1080 without enlarging, progressive JPEG q82), SLOTS images at a time, one libvips thread
// each. Plain JavaScript on purpose: nothing to compile or strip.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';

const [dir = '', out = '', slots = '2'] = process.argv.slice(2);
sharp.concurrency(1);
await mkdir(out, { recursive: true });
const files = (await readdir(dir)).filter((f) => /\.(jpe?g|png|webp|avif|tiff?|gif)$/i.test(f)).sort();
let next = 0;
async function slot() {
  for (let i = next++; i < files.length; i = next++) {
    const file = files[i];
    const data = await sharp(await readFile(join(dir, file)), {
      limitInputPixels: 100_000_000,
      animated: false,
      failOn: 'truncated',
    })
      .rotate()
      .toColourspace('srgb')
      .resize({ width: 1920, height: 1080, fit: 'inside', position: 'centre', withoutEnlargement: true })
      .jpeg({ quality: 82, progressive: true, mozjpeg: false })
      .toBuffer();
    await writeFile(join(out, `${basename(file, extname(file))}.1080p.jpg`), data);
  }
}
await Promise.all(Array.from({ length: Number(slots) }, slot));
