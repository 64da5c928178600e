/**
 * A folder of images → every preset of each, on this machine, without a server or a queue:
 * what `framehouse images process` runs. A small promise pool keeps `slots` images in flight;
 * each image is read once and rendered for every preset from that one buffer. One broken file
 * is one error in the result, never the end of the batch.
 */
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { AppError } from '../shared/errors.ts';
import { assertFileSize, DEFAULT_IMAGE_LIMITS, type ImageLimits } from './limits.ts';
import { FORMAT_EXTENSION, type Recipe } from './recipe.ts';
import { renderImage } from './render.ts';

/** The extensions looked at (lower-cased); anything else in the folder is left alone. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.avif', '.tif', '.tiff', '.gif']);

const OUTPUT_EXTENSIONS = new Set(Object.values(FORMAT_EXTENSION));

export interface BatchProgress {
  done: number;
  failed: number;
  total: number;
}

export interface BatchError {
  /** The source's path (inputDir joined with its name). */
  file: string;
  /** An FH_ERR_* code, or Node's code (EACCES, ENOSPC, …) for a file-system error. */
  code: string;
  message: string;
}

export interface BatchResult extends BatchProgress {
  errors: BatchError[];
  /** Wall time of the whole batch. */
  seconds: number;
}

export interface BatchOptions {
  inputDir: string;
  outDir: string;
  /** [name, recipe]: the name goes into the output's file name. */
  presets: Array<[string, Recipe]>;
  /** Images in flight at once. */
  slots: number;
  /**
   * libvips threads per image (sharp.concurrency). It is process-wide: set for the batch and put
   * back afterwards, so two batches at once in one process share the last value set.
   */
  threadsPerImage: number;
  limits?: ImageLimits;
  /** Once the folder is listed, before any file is processed. */
  onStart?: (total: number) => void;
  /** After each file, done or failed. */
  onProgress?: (p: BatchProgress) => void;
}

/** The image files in dir, sorted by name (not recursive). */
export async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort();
}

/**
 * Output names: `{basename}.{preset}.{ext}`, the basename without its extension — unless two
 * sources share it (photo.jpg and photo.png), which then keep theirs (photo.png.1080p.jpg).
 */
export function outputStems(names: string[]): Map<string, string> {
  const stem = (n: string) => n.slice(0, n.length - extname(n).length);
  const count = new Map<string, number>();
  for (const n of names) count.set(stem(n), (count.get(stem(n)) ?? 0) + 1);
  return new Map(names.map((n) => [n, (count.get(stem(n)) ?? 0) > 1 ? n : stem(n)]));
}

export async function processFolder(opts: BatchOptions): Promise<BatchResult> {
  const started = performance.now();
  const { inputDir, outDir, presets } = opts;
  const limits = opts.limits ?? DEFAULT_IMAGE_LIMITS;
  if (!Number.isInteger(opts.slots) || opts.slots < 1)
    throw new Error(`slots must be a positive integer, got ${opts.slots}`);
  if (!Number.isInteger(opts.threadsPerImage) || opts.threadsPerImage < 1)
    throw new Error(`threadsPerImage must be a positive integer, got ${opts.threadsPerImage}`);
  if (presets.length === 0) throw new Error('No preset to render');
  for (const [name] of presets) {
    // The name becomes part of a file name: nothing that could leave outDir or hide the file.
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name))
      throw new Error(`Preset name not usable in a file name: "${name}"`);
  }

  let names = await listImages(inputDir);
  if (resolve(outDir) === resolve(inputDir)) {
    // Writing beside the sources: this batch's own outputs from an earlier run are not sources.
    const ours = new Set(presets.map(([name]) => name));
    names = names.filter((n) => {
      const [, preset, ext] = /\.([^.]+)\.([^.]+)$/.exec(n) ?? [];
      return !(preset && ext && ours.has(preset) && OUTPUT_EXTENSIONS.has(ext));
    });
  }
  const stems = outputStems(names);
  await mkdir(outDir, { recursive: true });

  const progress: BatchProgress = { done: 0, failed: 0, total: names.length };
  const errors: BatchError[] = [];
  opts.onStart?.(names.length);
  const previousThreads = sharp.concurrency();
  sharp.concurrency(opts.threadsPerImage);
  try {
    let next = 0;
    const slot = async () => {
      for (let i = next++; i < names.length; i = next++) {
        const name = names[i] as string;
        const file = join(inputDir, name);
        try {
          await processOne(file, stems.get(name) ?? name, outDir, presets, limits);
          progress.done++;
        } catch (e) {
          progress.failed++;
          errors.push({ file, code: codeOf(e), message: e instanceof Error ? e.message : String(e) });
        }
        opts.onProgress?.({ ...progress });
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.slots, Math.max(1, names.length)) }, slot));
  } finally {
    sharp.concurrency(previousThreads);
  }
  // Errors in the order of the files, whatever order the slots finished them in.
  errors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { ...progress, errors, seconds: (performance.now() - started) / 1000 };
}

/**
 * One source: read once, every preset rendered from that buffer, then the outputs written —
 * each to a temporary name renamed into place, so that a file that fails (or a batch that is
 * interrupted) leaves no half-written output behind.
 */
async function processOne(
  file: string,
  stem: string,
  outDir: string,
  presets: Array<[string, Recipe]>,
  limits: ImageLimits,
): Promise<void> {
  const input = await readLimited(file, limits);
  const outputs: Array<[string, Buffer]> = [];
  for (const [preset, recipe] of presets) {
    const r = await renderImage(input, recipe, { size: input.length, limits });
    outputs.push([join(outDir, `${stem}.${preset}.${FORMAT_EXTENSION[r.format]}`), r.data]);
  }
  for (const [path, data] of outputs) {
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, data);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}

/** The file's bytes — refused from its size alone when it is over the limit, before reading it. */
async function readLimited(file: string, limits: ImageLimits): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    assertFileSize((await handle.stat()).size, limits);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function codeOf(e: unknown): string {
  if (e instanceof AppError) return e.code;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : 'FH_ERR_INTERNAL';
}
