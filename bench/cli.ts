/**
 * `npm run bench:cli [-- --runs N --photos N --bin PATH]` — how long the command line takes to
 * start, beside `node -e ''` (Node's own start, the floor) measured in the same run:
 *   --help            commander and the command table only
 *   --help, cold      the same with an empty compile cache (a first run: TypeScript is stripped,
 *                     everything compiled afresh)
 *   doctor            config, the database (SQLite here: opened, migrations checked) and the
 *                     checks, which run `ffmpeg -version` — so that is timed alone as well, and
 *                     so is loading zod and kysely (the validator and the query builder it needs)
 *   images process    N photo-like 6 MP JPEGs → the '1080p' preset, against a plain sharp script
 *                     (bench/plain-sharp.mjs) doing the same on the same photos, same slots
 * Every command is a process of its own, timed from spawn to exit; the cases run in turn, the
 * order rotated each run so that drift in the machine's load hits all alike, and medians are
 * shown (ratios are medians of per-run ratios). `--bin` times another checkout's
 * bin/framehouse.js (a before/after comparison).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fmt, markdownTable, type Table, textTable } from './table.ts';
import { FFMPEG, median } from './util.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: flags } = parseArgs({
  options: { runs: { type: 'string' }, photos: { type: 'string' }, bin: { type: 'string' } },
});
const RUNS = Number(flags.runs ?? 9);
const PHOTOS = Number(flags.photos ?? 16);
const BIN = resolve(flags.bin ?? join(ROOT, 'bin', 'framehouse.js'));
const SLOTS = availableParallelism();
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Runs a command to its end; returns its wall time in seconds. */
function timed(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  okCodes = [0],
): Promise<number> {
  return new Promise((res, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (okCodes.includes(code ?? -1)) res((performance.now() - t0) / 1000);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** N photo-like JPEGs (smooth colour fields and film grain, like a camera's), made once. */
async function photos(dir: string, n: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const have = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).length;
  if (have >= n) return;
  const { default: sharp } = await import('sharp');
  const [w, h] = [3000, 2000];
  for (let i = have; i < n; i++) {
    const low = Buffer.alloc(24 * 16 * 3);
    for (let b = 0; b < low.length; b++) low[b] = (b * 2654435761 + i * 40503) % 251;
    const base = await sharp(low, { raw: { width: 24, height: 16, channels: 3 } })
      .resize(w, h, { kernel: 'cubic' })
      .raw()
      .toBuffer();
    const grain = { width: w, height: h, channels: 3 as const, background: '#000' };
    await sharp(base, { raw: { width: w, height: h, channels: 3 } })
      .composite([
        {
          input: { create: { ...grain, noise: { type: 'gaussian', mean: 128, sigma: 14 } } },
          blend: 'overlay',
        },
      ])
      .jpeg({ quality: 90 })
      .toFile(join(dir, `photo-${String(i).padStart(2, '0')}.jpg`));
  }
}

const work = join(ROOT, '.bench', 'cli');
const photoDir = join(work, 'photos');
log(`making ${PHOTOS} photos (once) in ${photoDir}…`);
await photos(photoDir, PHOTOS);
const tmp = await mkdtemp(join(tmpdir(), 'fh-bench-cli-'));
const dataDir = join(tmp, 'data');
const node = process.execPath;
const load0 = loadavg();

interface Case {
  name: string;
  run: () => Promise<number>;
}
// The compile cache is bin/framehouse.js's own (its default place), warmed by the first round;
// the cold case points it at an empty folder.
const fh = (args: string[], env: Record<string, string> = {}, okCodes?: number[]) =>
  timed(node, [BIN, ...args], { FRAMEHOUSE_DATA_DIR: dataDir, ...env }, okCodes);
let coldRuns = 0;
const CASES: Case[] = [
  { name: 'node', run: () => timed(node, ['-e', '']) },
  { name: 'help', run: () => fh(['--help']) },
  {
    name: 'helpCold',
    run: async () => {
      const empty = join(tmp, `cold-${coldRuns++}`);
      await mkdir(empty);
      return fh(['--help'], { NODE_COMPILE_CACHE: empty });
    },
  },
  // Exit 1 is doctor's verdict on this bare configuration (no API key), not a failure to run.
  { name: 'doctor', run: () => fh(['doctor'], {}, [0, 1]) },
  { name: 'ffmpeg', run: () => timed(FFMPEG, ['-version']) },
  // What doctor cannot do without: the configuration's validator and the query builder, loaded.
  {
    name: 'floor',
    run: () =>
      timed(node, ['--input-type=module', '-e', "await import('zod'); await import('kysely');"], {
        NODE_COMPILE_CACHE: join(tmp, 'floor-cache'), // compiled once, as framehouse's own
      }),
  },
  {
    name: 'images',
    run: () => fh(['images', 'process', photoDir, '--preset', '1080p', '--out', join(tmp, 'fh-out')]),
  },
  {
    name: 'plain',
    run: () =>
      timed(node, [join(ROOT, 'bench', 'plain-sharp.mjs'), photoDir, join(tmp, 'plain-out'), String(SLOTS)]),
  },
];

// Warm-up: the compile cache filled, the database made and migrated, the photos in the page cache.
for (const c of CASES) await c.run();
const times = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
for (let r = 0; r < RUNS; r++) {
  log(`run ${r + 1} of ${RUNS}`);
  for (let i = 0; i < CASES.length; i++) {
    const c = CASES[(i + r) % CASES.length] as Case;
    times.get(c.name)?.push(await c.run());
  }
}
await rm(tmp, { recursive: true, force: true });

const t = (name: string) => times.get(name) ?? [];
const med = (name: string) => median(t(name));
/** Median over runs of a / b within each run. */
const ratio = (a: string, b: string) => median(t(a).map((x, i) => x / (t(b)[i] ?? Number.NaN)));
const ms = (s: number) => fmt(s * 1000, 0);
const row = (label: string, name: string, goal = ''): string[] => [
  label,
  ms(med(name)),
  ms(med(name) - med('node')),
  fmt(ratio(name, 'node')),
  goal,
];
const table: Table = {
  head: ['command', 'median (ms)', 'over node -e (ms)', '÷ node -e', 'goal'],
  rows: [
    row("`node -e ''` (Node's own start)", 'node'),
    row('`framehouse --help`', 'help', '< 300 ms'),
    row('`framehouse --help`, empty compile cache (first run)', 'helpCold'),
    row('`framehouse doctor` (SQLite, runs `ffmpeg -version`)', 'doctor', '< 300 ms'),
    row('`ffmpeg -version` alone (doctor runs it while loading)', 'ffmpeg'),
    row('Node loading zod + kysely, nothing else (doctor needs both)', 'floor'),
    row(`\`framehouse images process\`, ${PHOTOS} × 6 MP → 1080p`, 'images'),
    row(`plain sharp script, the same ${PHOTOS} photos, ${SLOTS} at a time`, 'plain'),
    ['**images process ÷ plain sharp**', fmt(ratio('images', 'plain'), 3), '', '', ''],
  ],
};
const what = BIN.startsWith(ROOT) ? '' : ` (bin: ${BIN})`;
const runs = existsSync(join(BIN, '..', '..', 'dist', 'cli', 'main.js'))
  ? 'the dist build (when current)'
  : 'the TypeScript sources';
const note =
  `*${RUNS} runs, medians; framehouse ran ${runs}${what}, compile cache warm unless said; ` +
  `${availableParallelism()} cores, Node ${process.version}, load average ${load0.map((l) => l.toFixed(2)).join(' ')} before / ` +
  `${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} after.*`;
process.stdout.write(
  `\n${textTable(table)}\n\n<!-- bench:cli:begin -->\n${markdownTable(table)}\n\n${note}\n<!-- bench:cli:end -->\n`,
);
await writeFile(join(work, 'last.md'), `${markdownTable(table)}\n\n${note}\n`);
