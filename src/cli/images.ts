import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_PRESETS, type Recipe } from '../images/recipe.ts';

export interface ImagesProcessOptions {
  preset: string[];
  out: string;
  slots: number;
  threads: number;
  stream: NodeJS.WriteStream;
}

/** libuv's own default: at most this many sharp pipelines run at once unless told otherwise. */
const UV_DEFAULT_THREADS = 4;
const UV_MAX_THREADS = 1024;

/** `--preset 1080p thumbnail` and `--preset 1080p,thumbnail` alike → [name, recipe] pairs. */
export function resolvePresets(names: string[]): Array<[string, Recipe]> {
  const wanted = [...new Set(names.flatMap((n) => n.split(',')).map((n) => n.trim()))].filter(Boolean);
  if (wanted.length === 0) throw new Error(`No preset given; known presets: ${known()}`);
  const unknown = wanted.filter((n) => !Object.hasOwn(DEFAULT_PRESETS, n));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown preset${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; known presets: ${known()}`,
    );
  }
  return wanted.map((n) => [n, DEFAULT_PRESETS[n] as Recipe]);
}

const known = () => Object.keys(DEFAULT_PRESETS).join(', ');

/**
 * `framehouse images process DIR`: every image in DIR → every preset, `slots` images at a time,
 * with a progress bar; a summary and each failed file at the end. Returns how many failed.
 */
export async function imagesProcessCommand(dir: string, o: ImagesProcessOptions): Promise<number> {
  const presets = resolvePresets(o.preset);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`${dir} is not a folder`);
  // sharp (libvips) and the progress bar load here, not when the command line is read.
  const [{ SingleBar }, { processFolder }] = await Promise.all([
    import('cli-progress'),
    import('../images/local-batch.ts'),
  ]);
  const bar = new SingleBar({
    format: ' images |{bar}| {value}/{total} · {failed} failed · {rate} images/s · ETA {eta_formatted}',
    hideCursor: true,
    stream: o.stream,
    noTTYOutput: true,
    notTTYSchedule: 2000,
    etaBuffer: Math.max(10, o.slots * 4),
  });
  const started = performance.now();
  const rate = (n: number) => (n / Math.max(0.001, (performance.now() - started) / 1000)).toFixed(2);
  const result = await processFolder({
    inputDir: dir,
    outDir: o.out,
    presets,
    slots: o.slots,
    threadsPerImage: o.threads,
    onStart: (total) => bar.start(total, 0, { failed: 0, rate: '0.00' }),
    onProgress: ({ done, failed }) => bar.update(done + failed, { failed, rate: rate(done + failed) }),
  });
  bar.stop();

  const perSecond = result.total / Math.max(0.001, result.seconds);
  o.stream.write(
    `${result.done} of ${result.total} image${result.total === 1 ? '' : 's'} processed` +
      ` (${presets.map(([n]) => n).join(', ')}), ${result.failed} failed,` +
      ` in ${result.seconds.toFixed(1)} s (${perSecond.toFixed(2)} images/s, ${o.slots} at a time)` +
      ` → ${resolve(o.out)}\n`,
  );
  for (const e of result.errors) o.stream.write(`  ✖ ${e.file}: ${e.message} (${e.code})\n`);
  return result.failed;
}

/**
 * sharp runs each image on libuv's thread pool, 4 threads unless UV_THREADPOOL_SIZE says more
 * before the pool starts — and it has started by the time a command runs. More slots than
 * threads would just wait in line, so the command runs itself again with a pool that fits.
 * Returns the child's exit code, or null when this process can do the work itself.
 */
function rerunWithPool(slots: number, stream: NodeJS.WriteStream): number | null {
  const need = Math.min(UV_MAX_THREADS, slots + 1); // one more for reading and writing files
  const set = Number(process.env.UV_THREADPOOL_SIZE);
  if (Number.isInteger(set) && set > 0) {
    if (set < slots) {
      stream.write(
        `warning: UV_THREADPOOL_SIZE=${set} runs at most ${set} images at once, fewer than --slots ${slots}\n`,
      );
    }
    return null;
  }
  if (need <= UV_DEFAULT_THREADS) return null;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, UV_THREADPOOL_SIZE: String(need) },
  });
  if (child.error) throw child.error;
  return child.status ?? 1;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer is expected');
  return n;
}

/** `framehouse images …`: image work on local folders, no server needed. */
export function imagesCommand(): Command {
  const images = new Command('images').description('process images in local folders, without a server');
  images
    .command('process <dir>')
    .description(
      'render presets of every image in DIR (jpg, png, webp, avif, tiff, gif) into --out; exits 1 if any file fails',
    )
    .requiredOption(
      '--preset <names...>',
      `presets to make, by name, space- or comma-separated (${Object.keys(DEFAULT_PRESETS).join(', ')})`,
    )
    .requiredOption('--out <dir>', 'where the outputs go, as {name}.{preset}.{ext}')
    .option('--slots <n>', 'images processed at once (default: the number of cores)', positiveInt)
    .option('--threads <n>', 'libvips threads per image', positiveInt, 1)
    .action(async (dir: string, o: { preset: string[]; out: string; slots?: number; threads: number }) => {
      const stream = process.stderr;
      const slots = o.slots ?? availableParallelism();
      // Preset names are checked before anything runs, in this process or a re-run one.
      resolvePresets(o.preset);
      const rerun = rerunWithPool(slots, stream);
      if (rerun !== null) {
        process.exitCode = rerun;
        return;
      }
      const failed = await imagesProcessCommand(dir, { ...o, slots, stream });
      if (failed > 0) process.exitCode = 1;
    });
  images
    .command('batch')
    .description('run presets over image assets on a server, following the batch with a progress bar')
    .option(
      '--server <url>',
      'Framehouse server (FRAMEHOUSE_URL)',
      process.env.FRAMEHOUSE_URL ?? 'http://localhost:8080',
    )
    .option('--key <key>', 'API key with assets:write (FRAMEHOUSE_API_KEY)', process.env.FRAMEHOUSE_API_KEY)
    .requiredOption('--preset <names...>', 'presets, by name, space- or comma-separated')
    .option('--ids <ids...>', 'image asset ids')
    .option('--prefix <prefix>', 'photos already in the bucket under imports/…')
    .action(
      async (o: { server: string; key?: string; preset: string[]; ids?: string[]; prefix?: string }) => {
        if (!o.ids === !o.prefix) throw new Error('give either --ids or --prefix');
        const { imagesBatchCommand } = await import('./images-batch.ts');
        const failed = await imagesBatchCommand({ ...o, key: o.key, stream: process.stderr });
        if (failed > 0) process.exitCode = 1;
      },
    );
  return images;
}
