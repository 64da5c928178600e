/**
 * `npm run bench:images [-- --count N --runs R --passes P --quiet C --attempts A]` — P3: local
 * image batches.
 *
 * N photo-like 24 MP JPEGs (6000 × 4000, generated once into .bench/images/), every one made
 * into the '1080p' preset, by:
 *   raw sharp, 2 at a time   a plain loop over sharp itself (no Framehouse code), the same
 *                            pipeline renderImage builds for '1080p', 2 images in flight, 1 thread
 *   batch, 2 slots           processFolder, 2 slots × 1 libvips thread                 (÷ raw ≥ 0.95)
 *   batch, 1 slot            processFolder, 1 slot × 1 thread             (2 slots ÷ 1 slot ≥ 1.8)
 *   naive loop               raw sharp, one image after the other, sharp.concurrency(1)
 *   batch, 1 slot × 2 thr.   one image at a time with 2 libvips threads: threads vs slots
 *   batch, 2 slots × 2 thr.  both at once: 4 threads on this machine's cores
 *   batch, 3 slots           more images in flight than cores: does a third fill the gaps?
 * Each measurement is a child process of its own (`node bench/images.ts --child MODE …`), so its
 * peak RSS (VmHWM) is its own; the child times only the work, not Node's start. Each child
 * processes the folder P times in a row (--passes, default 3), so a measurement lasts seconds,
 * not a fraction of one. The modes run in turn R times (the order rotated each run, so drift in
 * the machine's load hits all alike); every ratio is taken within a run, and medians are shown.
 * On a shared machine the rest of it (other processes, other guests of the hypervisor) takes
 * cores away at times: the CPU it used during each measurement is read from /proc/stat, and a
 * measurement during which it used more than C cores (--quiet, default 0.25) is taken again, up
 * to A attempts (--attempts, default 5); the report says how many were, and how many stayed noisy.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import type { Recipe } from '../src/images/recipe.ts';
import { fmt, markdownTable, mb, type Table, textTable } from './table.ts';
import { cpuSeconds, median, procStatusKb } from './util.ts';

const WIDTH = 6000;
const HEIGHT = 4000;

const { values: flags } = parseArgs({
  options: {
    count: { type: 'string' },
    runs: { type: 'string' },
    passes: { type: 'string' },
    quiet: { type: 'string' },
    attempts: { type: 'string' },
    child: { type: 'string' },
    dir: { type: 'string' },
    out: { type: 'string' },
  },
});
const positive = (name: string, v: string | undefined, dflt: number) => {
  const n = Number(v ?? dflt);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} wants a positive integer, got ${v}`);
  return n;
};
const COUNT = positive('count', flags.count, 8);
const RUNS = positive('runs', flags.runs, 3);
const PASSES = positive('passes', flags.passes, 3);
/** A measurement during which the rest of the machine used more cores than this is taken again… */
const QUIET = Number(flags.quiet ?? 0.25);
if (!(QUIET >= 0)) throw new Error(`--quiet wants a number of cores, got ${flags.quiet}`);
/** …up to this many times in all; the quietest attempt is kept. */
const ATTEMPTS = positive('attempts', flags.attempts, 5);

interface Mode {
  label: string;
  kind: 'raw' | 'batch' | 'idle';
  slots: number;
  threads: number;
}
const MODES = {
  raw2: { label: 'raw sharp, 2 at a time × 1 thread', kind: 'raw', slots: 2, threads: 1 },
  batch2: { label: 'Framehouse batch, 2 slots × 1 thread', kind: 'batch', slots: 2, threads: 1 },
  batch1: { label: 'Framehouse batch, 1 slot × 1 thread', kind: 'batch', slots: 1, threads: 1 },
  naive: { label: 'naive loop (raw sharp, 1 at a time × 1 thread)', kind: 'raw', slots: 1, threads: 1 },
  batch1t2: { label: 'Framehouse batch, 1 slot × 2 threads', kind: 'batch', slots: 1, threads: 2 },
  batch2t2: { label: 'Framehouse batch, 2 slots × 2 threads', kind: 'batch', slots: 2, threads: 2 },
  batch3: { label: 'Framehouse batch, 3 slots × 1 thread', kind: 'batch', slots: 3, threads: 1 },
  idle: { label: 'idle: Node + sharp + Framehouse loaded, no work', kind: 'idle', slots: 0, threads: 0 },
} satisfies Record<string, Mode>;
type ModeName = keyof typeof MODES;
const isMode = (m: string): m is ModeName => Object.hasOwn(MODES, m);

/** What a child reports on its stdout, as one JSON line. */
interface ChildResult {
  mode: ModeName;
  images: number;
  failed: number;
  wall: number;
  cpu: number;
  /** CPU seconds of the main thread alone: the event loop, the one part no slot can share. */
  mainCpu: number;
  hwmKb: number;
  /**
   * Filled in by the parent: CPU the rest of the machine used (other processes, and time the
   * hypervisor gave to other guests) while the child ran, in cores — a run where it is high had
   * less than the whole machine.
   */
  othersCores?: number;
}

if (flags.child !== undefined) {
  await child(flags.child, flags.dir ?? '', flags.out ?? '');
} else {
  await parent();
}

// ---- one measurement, in its own process -------------------------------------------------------

async function child(mode: string, dir: string, out: string): Promise<void> {
  if (!isMode(mode)) throw new Error(`unknown mode ${mode}`);
  const m: Mode = MODES[mode];
  let images = 0;
  let failed = 0;
  let wall = 0;
  let cpu = 0;
  let mainCpu = 0;
  if (m.kind === 'idle') {
    // What every batch child holds before its first image.
    await import('../src/images/local-batch.ts');
  } else if (m.kind === 'batch') {
    // Imported here, so that the raw children carry no Framehouse code at all.
    const { processFolder } = await import('../src/images/local-batch.ts');
    const { DEFAULT_PRESETS } = await import('../src/images/recipe.ts');
    const presets: Array<[string, Recipe]> = [['1080p', DEFAULT_PRESETS['1080p'] as Recipe]];
    const cpu0 = cpuSeconds('self')?.own ?? Number.NaN;
    const main0 = mainThreadCpu();
    const t0 = performance.now();
    for (let p = 0; p < PASSES; p++) {
      const r = await processFolder({
        inputDir: dir,
        outDir: out,
        presets,
        slots: m.slots,
        threadsPerImage: m.threads,
      });
      images += r.done;
      failed += r.failed;
    }
    wall = (performance.now() - t0) / 1000;
    cpu = (cpuSeconds('self')?.own ?? Number.NaN) - cpu0;
    mainCpu = mainThreadCpu() - main0;
  } else {
    sharp.concurrency(m.threads);
    const files = (await readdir(dir)).filter((f) => extname(f) === '.jpg').sort();
    await mkdir(out, { recursive: true });
    const cpu0 = cpuSeconds('self')?.own ?? Number.NaN;
    const main0 = mainThreadCpu();
    const t0 = performance.now();
    for (let p = 0; p < PASSES; p++) {
      let next = 0;
      const slot = async () => {
        for (let i = next++; i < files.length; i = next++) {
          const f = files[i] as string;
          try {
            await rawRender1080p(join(dir, f), join(out, `${basename(f, '.jpg')}.1080p.jpg`));
            images++;
          } catch {
            failed++;
          }
        }
      };
      await Promise.all(Array.from({ length: m.slots }, slot));
    }
    wall = (performance.now() - t0) / 1000;
    cpu = (cpuSeconds('self')?.own ?? Number.NaN) - cpu0;
    mainCpu = mainThreadCpu() - main0;
  }
  const result: ChildResult = {
    mode,
    images,
    failed,
    wall,
    cpu,
    mainCpu,
    hwmKb: procStatusKb(process.pid, 'VmHWM') ?? Number.NaN,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** CPU seconds of this process's main thread (its task's utime + stime, fields 14 and 15). */
function mainThreadCpu(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return ((f[11] ?? Number.NaN) + (f[12] ?? Number.NaN)) / 100; // USER_HZ
}

/**
 * The '1080p' preset as renderImage makes it, written against sharp directly: the same decode
 * options, EXIF rotation, sRGB, resize inside 1920 × 1080 without enlarging, progressive JPEG q82.
 * What it leaves out is Framehouse's own: the header check before decoding, the file's size limit,
 * the temporary name and rename.
 */
async function rawRender1080p(src: string, dst: string): Promise<void> {
  const input = await readFile(src);
  const data = await sharp(input, { limitInputPixels: 100_000_000, animated: false, failOn: 'truncated' })
    .rotate()
    .toColourspace('srgb')
    .resize({ width: 1920, height: 1080, fit: 'inside', position: 'centre', withoutEnlargement: true })
    .jpeg({ quality: 82, progressive: true, mozjpeg: false })
    .toBuffer();
  await writeFile(dst, data);
}

/** CPU seconds the whole machine has been busy (user, nice, system, irq, softirq, steal). */
function machineBusySeconds(): number {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const at = (i: number) => f[i] ?? 0;
  return (at(0) + at(1) + at(2) + at(5) + at(6) + at(7)) / 100; // USER_HZ
}

async function runChild(mode: ModeName, dir: string, out: string): Promise<ChildResult> {
  const busy0 = machineBusySeconds();
  const own0 = cpuSeconds('self');
  const t0 = performance.now();
  const res = await spawnChild(mode, dir, out);
  const wall = (performance.now() - t0) / 1000;
  const own1 = cpuSeconds('self');
  // Ours: this process and the child (reaped, so in our children's counters; one child at a time).
  const ours = (own1?.own ?? 0) - (own0?.own ?? 0) + (own1?.children ?? 0) - (own0?.children ?? 0);
  res.othersCores = Math.max(0, machineBusySeconds() - busy0 - ours) / wall;
  return res;
}

function spawnChild(mode: ModeName, dir: string, out: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const args = [fileURLToPath(import.meta.url), '--child', mode, '--dir', dir, '--out', out];
    const p = spawn(process.execPath, [...args, '--passes', String(PASSES)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child ${mode} exited with ${code}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ChildResult);
      } catch (e) {
        reject(new Error(`child ${mode}: no result (${(e as Error).message}): ${stdout.slice(-500)}`));
      }
    });
  });
}

// ---- the sources -------------------------------------------------------------------------------

/**
 * One photo-like 24 MP JPEG: smooth colour fields (a coarse random grid upscaled), a few hundred
 * translucent shapes for edges, and film-grain noise over all of it — about 8 MB at q90, like a
 * camera's JPEG, so the decoder has real entropy to work through. The layout is seeded; the grain
 * is libvips' own random noise, so two generations differ byte for byte but not in kind.
 */
async function photo(seed: number): Promise<Buffer> {
  let s = seed * 7919 + 17;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const [lw, lh] = [32, 22];
  const low = Buffer.alloc(lw * lh * 3);
  for (let i = 0; i < low.length; i++) low[i] = Math.floor(rnd() * 256);
  const base = await sharp(low, { raw: { width: lw, height: lh, channels: 3 } })
    .resize(WIDTH, HEIGHT, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  const shapes = Array.from({ length: 400 }, () => {
    const [x, y, r] = [Math.floor(rnd() * WIDTH), Math.floor(rnd() * HEIGHT), Math.floor(10 + rnd() * 300)];
    const fill = `rgb(${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)},${Math.floor(rnd() * 256)})`;
    const opacity = (0.2 + rnd() * 0.6).toFixed(2);
    return rnd() < 0.5
      ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}" fill-opacity="${opacity}"/>`
      : `<rect x="${x}" y="${y}" width="${r * 2}" height="${Math.floor(r * rnd() * 2)}" fill="${fill}" fill-opacity="${opacity}"/>`;
  }).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${shapes}</svg>`;
  const grain = {
    create: {
      width: WIDTH,
      height: HEIGHT,
      channels: 3 as const,
      background: '#000',
      noise: { type: 'gaussian' as const, mean: 128, sigma: 16 },
    },
  };
  return sharp(base, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .composite([{ input: Buffer.from(svg) }, { input: grain, blend: 'overlay' }])
    .jpeg({ quality: 90 })
    .toBuffer();
}

/**
 * The folder of COUNT sources: generated once into a shared pool (each under a temporary name
 * first), then hard-linked into a folder holding exactly those COUNT, which is what a batch reads.
 */
async function ensurePhotos(root: string): Promise<{ dir: string; bytes: number }> {
  const pool = join(root, `photos-${WIDTH}x${HEIGHT}`);
  const dir = join(root, `set-${COUNT}`);
  await mkdir(pool, { recursive: true });
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const have = new Set(await readdir(pool));
  let bytes = 0;
  for (let i = 1; i <= COUNT; i++) {
    const name = `photo-${String(i).padStart(3, '0')}.jpg`;
    const file = join(pool, name);
    if (!have.has(name)) {
      log(`generating ${name} (${WIDTH} × ${HEIGHT})`);
      await writeFile(`${file}.part`, await photo(i));
      await rename(`${file}.part`, file);
    }
    await link(file, join(dir, name)).catch(() => copyFile(file, join(dir, name)));
    // Read once: the runs start with every source in the page cache alike.
    bytes += (await readFile(file)).length;
  }
  return { dir, bytes };
}

// ---- the runs and the report -------------------------------------------------------------------

function log(s: string) {
  process.stderr.write(`${s}\n`);
}

async function parent(): Promise<void> {
  const root = fileURLToPath(new URL('../.bench/images/', import.meta.url));
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  const startedAt = new Date();
  const { dir, bytes } = await ensurePhotos(root);
  const loadBefore = load();
  const order: ModeName[] = ['raw2', 'batch2', 'batch1', 'naive', 'batch1t2', 'batch2t2', 'batch3', 'idle'];
  const results: Record<ModeName, ChildResult[]> = {
    raw2: [],
    batch2: [],
    batch1: [],
    naive: [],
    batch1t2: [],
    batch2t2: [],
    batch3: [],
    idle: [],
  };
  log(`${COUNT} sources, ${(bytes / COUNT / 1e6).toFixed(1)} MB each; ${RUNS} runs × ${PASSES} passes`);
  let repeated = 0;
  let noisy = 0;
  for (let r = 0; r < RUNS; r++) {
    const rotated = [...order.slice(r % order.length), ...order.slice(0, r % order.length)];
    for (const mode of rotated) {
      let kept: ChildResult | undefined;
      // Memory alone is read from the idle child: the machine's load does not change it.
      for (let attempt = 1; attempt <= (mode === 'idle' ? 1 : ATTEMPTS); attempt++) {
        const out = join(root, 'out', mode);
        await rm(out, { recursive: true, force: true });
        const res = await runChild(mode, dir, out);
        if (mode !== 'idle' && (res.failed > 0 || res.images !== COUNT * PASSES))
          throw new Error(`${mode}: ${res.images} images made, ${res.failed} failed`);
        const noise = res.othersCores ?? 0;
        if (!kept || noise < (kept.othersCores ?? 0)) kept = res;
        if (mode === 'idle' || noise <= QUIET) break;
        repeated++;
        log(`  ${mode}: the rest of the machine used ${fmt(noise, 2)} cores meanwhile; measured again`);
      }
      if (!kept) throw new Error(`${mode}: no measurement`);
      if (mode !== 'idle' && (kept.othersCores ?? 0) > QUIET) noisy++;
      results[mode].push(kept);
    }
    const ips = (m: ModeName) => fmt(rate(results[m].at(-1)), 2);
    const busiest = Math.max(...order.map((m) => results[m].at(-1)?.othersCores ?? 0));
    log(
      `run ${r + 1}/${RUNS} (the rest of the machine used up to ${fmt(busiest, 2)} cores): raw2 ${ips('raw2')}/s, batch2 ${ips('batch2')}/s, batch1 ${ips('batch1')}/s, ` +
        `naive ${ips('naive')}/s, batch1t2 ${ips('batch1t2')}/s, batch2t2 ${ips('batch2t2')}/s, ` +
        `batch3 ${ips('batch3')}/s`,
    );
  }
  const loadAfter = load();
  await rm(join(root, 'out'), { recursive: true, force: true });

  const per = (m: ModeName, f: (x: ChildResult) => number) => results[m].map(f);
  const ips = (m: ModeName) => per(m, rate);
  const ratio = (a: ModeName, b: ModeName) => ips(a).map((x, i) => x / (ips(b)[i] ?? Number.NaN));
  const head = ['', ...Array.from({ length: RUNS }, (_, i) => `run ${i + 1}`), 'median', 'target'];
  const row = (label: string, xs: number[], show: (x: number) => string, target = '') => [
    label,
    ...xs.map(show),
    show(median(xs)),
    target,
  ];
  const f2 = (x: number) => fmt(x, 2);
  const f3 = (x: number) => fmt(x, 3);
  const work: ModeName[] = ['raw2', 'batch2', 'batch1', 'naive', 'batch1t2', 'batch2t2', 'batch3'];

  // Amdahl from the 1 → 2 slot speedup S on N = 2: s = (N/S − 1)/(N − 1); S(32) = 1/(s + (1 − s)/32).
  const speedup = ratio('batch2', 'batch1');
  const serial = speedup.map((S) => 2 / S - 1);
  const at32 = serial.map((s) => 1 / (Math.max(0, s) + (1 - Math.max(0, s)) / 32));

  const main: Table = {
    head,
    rows: [
      ...work.map((m) => row(`${MODES[m].label} (images/s)`, ips(m), f2)),
      row('**P3** batch ÷ raw sharp (2 at a time each)', ratio('batch2', 'raw2'), f3, '≥ 0.95'),
      row('**P3** batch 2 slots ÷ 1 slot', speedup, f2, '≥ 1.8'),
      row('batch 1 slot ÷ naive loop', ratio('batch1', 'naive'), f3),
      row('1 slot: 2 threads ÷ 1 thread', ratio('batch1t2', 'batch1'), f2),
      row('2 slots × 1 thread ÷ 1 slot × 2 threads', ratio('batch2', 'batch1t2'), f2),
      row('2 slots × 2 threads ÷ 2 slots × 1 thread', ratio('batch2t2', 'batch2'), f2),
      row('3 slots ÷ 2 slots (1 thread each)', ratio('batch3', 'batch2'), f2),
      row('Amdahl serial fraction s = 2/S − 1', serial, f3),
      row('projected speedup on 32 cores, S(32)', at32, f2),
    ],
  };
  const memory: Table = {
    head: head.slice(0, -1),
    rows: [
      ...[...work, 'idle' as const].map((m) =>
        row(
          `${MODES[m].label}`,
          per(m, (x) => x.hwmKb),
          mb,
        ).slice(0, -1),
      ),
      row(
        'the second slot: 2 slots − 1 slot (1 thread each)',
        results.batch2.map((x, i) => x.hwmKb - (results.batch1[i]?.hwmKb ?? Number.NaN)),
        mb,
      ).slice(0, -1),
      ...work.map((m) => row(`CPU busy, ${MODES[m].label} (cores)`, per(m, busy), f2).slice(0, -1)),
      ...work.map((m) =>
        row(
          `CPU per image, ${m}: all threads / main thread (ms)`,
          per(m, (x) => (1000 * x.cpu) / x.images),
          (x) => fmt(x, 0),
        )
          .slice(0, -1)
          .map((cell, i) => (i === 0 ? cell : `${cell} / ${fmt(mainMs(results[m], i - 1), 1)}`)),
      ),
      ...work.map((m) =>
        row(`CPU used by the rest of the machine meanwhile, ${m} (cores)`, per(m, others), f2).slice(0, -1),
      ),
    ],
  };

  const sh = (file: string, re: RegExp) => {
    try {
      return re.exec(readFileSync(file, 'utf8'))?.[1] ?? '?';
    } catch {
      return '?';
    }
  };
  const cpu = sh('/proc/cpuinfo', /^model name\s*:\s*(.+)$/m);
  const machine =
    `${cpu}, ${availableParallelism()} cores, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, ` +
    `Node ${process.version}, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `load average ${loadBefore} before / ${loadAfter} after`;
  const setup =
    `${COUNT} photo-like ${WIDTH} × ${HEIGHT} JPEGs (${(bytes / COUNT / 1e6).toFixed(1)} MB each) → '1080p' ` +
    `(inside 1920 × 1080, JPEG q82 progressive); each measurement a child process making the folder ` +
    `${PASSES} times; ${RUNS} run${RUNS > 1 ? 's' : ''}, modes alternated; medians of per-run figures; ` +
    `a measurement during which the rest of the machine used more than ${QUIET} cores was taken again ` +
    `(up to ${ATTEMPTS} attempts, the quietest kept): ${repeated} repeated, ${noisy} still above it`;

  const report = [
    '',
    `P3 — local image batches: ${setup}`,
    `Machine: ${machine}`,
    '',
    textTable(main),
    '',
    'Peak RSS of each child process, VmHWM (MB); its CPU time ÷ wall time; the rest of the machine:',
    textTable(memory),
    '',
    '<!-- bench:images:begin -->',
    markdownTable(main),
    '',
    markdownTable(memory),
    '',
    `*${setup}. Machine: ${machine}.*`,
    '<!-- bench:images:end -->',
    '',
  ].join('\n');
  process.stdout.write(report);
  await writeFile(join(root, 'last-run.txt'), report);
  await writeFile(
    join(root, 'last-run.json'),
    JSON.stringify({ machine, setup, count: COUNT, passes: PASSES, quiet: QUIET, results }, null, 2),
  );
  log(`(also written to ${join(root, 'last-run.txt')} and last-run.json)`);
}

function rate(x: ChildResult | undefined): number {
  return x ? x.images / x.wall : Number.NaN;
}

function busy(x: ChildResult): number {
  return x.cpu / x.wall;
}

/** Main-thread CPU per image (ms) of the i-th run, or the median over the runs when i = runs. */
function mainMs(xs: ChildResult[], i: number): number {
  const per = xs.map((x) => (1000 * x.mainCpu) / x.images);
  return i < xs.length ? (per[i] ?? Number.NaN) : median(per);
}

function others(x: ChildResult): number {
  return x.othersCores ?? Number.NaN;
}
