import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { type BatchProgress, outputStems, processFolder } from './local-batch.ts';
import { DEFAULT_RECIPE, type Recipe } from './recipe.ts';

/** A small picture with some texture (noise over a colour), so every encoder has work to do. */
const picture = (width: number, height: number, seed: number) =>
  sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: (seed * 40) % 256, g: (seed * 90) % 256, b: 120 },
    },
  })
    .composite([
      {
        input: {
          create: {
            width,
            height,
            channels: 4,
            background: { r: 0, g: 0, b: 0, alpha: 0 },
            noise: { type: 'gaussian', mean: 128, sigma: 30 },
          },
        },
        blend: 'overlay',
      },
    ])
    .png()
    .toBuffer();

// 12 good sources in every format the batch looks at, two that share a basename (a.jpg, a.png).
const GOOD: Array<[string, (s: Sharp) => Sharp, number, number]> = [
  ['a.jpg', (s) => s.jpeg(), 80, 60],
  ['a.png', (s) => s.png(), 80, 60],
  ['b.jpeg', (s) => s.jpeg(), 60, 80],
  ['c.webp', (s) => s.webp(), 100, 50],
  ['d.avif', (s) => s.avif({ effort: 0 }), 64, 64],
  ['e.tif', (s) => s.tiff(), 90, 60],
  ['f.tiff', (s) => s.tiff(), 40, 30],
  ['g.gif', (s) => s.gif(), 50, 50],
  ['h.JPG', (s) => s.jpeg(), 120, 90],
  ['i.png', (s) => s.png(), 30, 20],
  ['j.webp', (s) => s.webp(), 200, 100],
  ['k.jpg', (s) => s.jpeg(), 45, 90],
];

const PRESETS: Array<[string, Recipe]> = [
  // Exactly 32 × 32 whatever the source (cover, enlarged when small).
  ['sq', { ...DEFAULT_RECIPE, width: 32, height: 32, fit: 'fill', enlarge: true, format: 'png' }],
  // Inside 40 × 40, never enlarged.
  ['small', { ...DEFAULT_RECIPE, width: 40, height: 40, fit: 'fit', format: 'jpeg', quality: 80 }],
];

/** What `small` makes of width × height: inside 40 × 40, aspect kept, never larger. */
function fitInside(width: number, height: number): [number, number] {
  const scale = Math.min(1, 40 / width, 40 / height);
  return [Math.round(width * scale), Math.round(height * scale)];
}

describe('processFolder', () => {
  let dir: string;
  let input: string;
  let out: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'framehouse-batch-'));
    input = join(dir, 'in');
    out = join(dir, 'out');
    await mkdir(input);
    let seed = 1;
    for (const [name, encode, w, h] of GOOD) {
      await writeFile(join(input, name), await encode(sharp(await picture(w, h, seed++))).toBuffer());
    }
    // A JPEG cut in half: its header reads fine, its pixels end early.
    const whole = await sharp(await picture(400, 300, 99))
      .jpeg({ quality: 95 })
      .toBuffer();
    await writeFile(join(input, 'broken-truncated.jpg'), whole.subarray(0, Math.floor(whole.length / 2)));
    // Text that only calls itself a PNG.
    await writeFile(join(input, 'broken-text.png'), 'this is not an image\n');
    // Not an image extension: not looked at, not counted.
    await writeFile(join(input, 'notes.txt'), 'hello');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders every preset of every good file and reports the broken ones without stopping', async () => {
    const seen: BatchProgress[] = [];
    const threadsBefore = sharp.concurrency();
    const result = await processFolder({
      inputDir: input,
      outDir: out,
      presets: PRESETS,
      slots: 3,
      threadsPerImage: 1,
      onProgress: (p) => seen.push(p),
    });

    assert.equal(result.total, 14);
    assert.equal(result.done, 12);
    assert.equal(result.failed, 2);
    assert.ok(result.seconds > 0);
    assert.deepEqual(
      result.errors.map((e) => [e.file, e.code]),
      [
        [join(input, 'broken-text.png'), 'FH_ERR_MEDIA_DAMAGED'],
        [join(input, 'broken-truncated.jpg'), 'FH_ERR_MEDIA_DAMAGED'],
      ],
    );
    for (const e of result.errors) assert.ok(e.message.length > 0);

    // One progress report per file; the counts only grow, and the last one is the result.
    assert.equal(seen.length, 14);
    assert.deepEqual(seen.at(-1), { done: 12, failed: 2, total: 14 });
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1] as BatchProgress, seen[i] as BatchProgress];
      assert.equal(b.done + b.failed, a.done + a.failed + 1);
    }
    // sharp's process-wide thread setting is put back.
    assert.equal(sharp.concurrency(), threadsBefore);

    // Two outputs per good file, nothing for the broken ones, no temporary files left.
    const files = (await readdir(out)).sort();
    assert.equal(files.length, 24);
    assert.ok(!files.some((f) => f.startsWith('broken') || f.endsWith('.tmp')));
    for (const [name, , w, h] of GOOD) {
      const stem = name === 'a.jpg' || name === 'a.png' ? name : name.slice(0, name.lastIndexOf('.'));
      const sq = await sharp(join(out, `${stem}.sq.png`)).metadata();
      assert.deepEqual([sq.format, sq.width, sq.height], ['png', 32, 32], `${name} sq`);
      const small = await sharp(join(out, `${stem}.small.jpg`)).metadata();
      assert.deepEqual(
        [small.format, small.width, small.height],
        ['jpeg', ...fitInside(w, h)],
        `${name} small`,
      );
    }
  });

  it('counts an empty folder as a batch of nothing', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const result = await processFolder({
      inputDir: empty,
      outDir: join(dir, 'out-empty'),
      presets: PRESETS,
      slots: 2,
      threadsPerImage: 1,
    });
    assert.deepEqual([result.total, result.done, result.failed, result.errors], [0, 0, 0, []]);
  });

  it('does not take its own earlier outputs for sources when writing beside them', async () => {
    const here = join(dir, 'beside');
    await mkdir(here);
    await writeFile(
      join(here, 'x.jpg'),
      await sharp(await picture(60, 40, 5))
        .jpeg()
        .toBuffer(),
    );
    const run = () =>
      processFolder({ inputDir: here, outDir: here, presets: PRESETS, slots: 2, threadsPerImage: 1 });
    assert.deepEqual([(await run()).total, (await run()).total], [1, 1]);
    assert.deepEqual((await readdir(here)).sort(), ['x.jpg', 'x.small.jpg', 'x.sq.png']);
  });

  it('refuses preset names that do not belong in a file name', async () => {
    await assert.rejects(
      processFolder({
        inputDir: input,
        outDir: out,
        presets: [['../x', DEFAULT_RECIPE]],
        slots: 1,
        threadsPerImage: 1,
      }),
      /Preset name/,
    );
  });
});

describe('outputStems', () => {
  it('drops the extension unless two sources share a basename', () => {
    assert.deepEqual(
      [...outputStems(['a.jpg', 'a.png', 'b.webp', 'c.d.tif'])],
      [
        ['a.jpg', 'a.jpg'],
        ['a.png', 'a.png'],
        ['b.webp', 'b'],
        ['c.d.tif', 'c.d'],
      ],
    );
  });
});
