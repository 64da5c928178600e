/**
 * The origin side of bench:delivery and bench:api: a fresh `framehouse serve` as `npm start`
 * runs it (the compiled build, brought up to date first; embedded defaults; its own data folder
 * and port), or a server already running at BENCH_URL (with BENCH_API_KEY, and BENCH_PID for its
 * memory figures); one upload of a synthetic clip, waited for until its whole ladder is written.
 * The clips are made exactly as /work/shared/measure's mk_clip makes them, so the segment served
 * (and so every figure) is the one the measure scripts serve.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, openAsBlob, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FFMPEG, freePort, procStatusKb, serverDefaultsEnv, timeCommand } from './util.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'framehouse.js');
export const BENCH_DIR = join(ROOT, '.bench');
export const log = (s: string) => process.stderr.write(`${s}\n`);

export interface Origin {
  base: string;
  key: string;
  /** The server process, when known (for /proc readings). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** testsrc2 + a tone, libx264 ultrafast: mk_clip of the measure scripts. */
export async function measureClip(width: number, height: number, seconds: number): Promise<string> {
  const file = join(BENCH_DIR, `measure-${width}x${height}-${seconds}s.mp4`);
  if (existsSync(file)) return file;
  await mkdir(BENCH_DIR, { recursive: true });
  const tmp = `${file}.part.mp4`;
  // biome-ignore format: option/value pairs read best side by side
  await timeCommand(FFMPEG, [
    '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-shortest', tmp,
  ]);
  await rename(tmp, file);
  return file;
}

/** A running origin: BENCH_URL's, or a fresh `framehouse serve` with these extra variables. */
export async function startOrigin(extraEnv: Record<string, string> = {}): Promise<Origin> {
  if (process.env.BENCH_URL) {
    const key = process.env.BENCH_API_KEY ?? '';
    if (!key) throw new Error('BENCH_URL needs BENCH_API_KEY (an admin API key of that server)');
    const pid = process.env.BENCH_PID ? Number(process.env.BENCH_PID) : undefined;
    log(`measuring the server at ${process.env.BENCH_URL}${pid ? ` (pid ${pid})` : ''}`);
    return { base: process.env.BENCH_URL.replace(/\/$/, ''), key, pid, stop: async () => {} };
  }
  // What `npm start`'s prestart does: run the compiled build, not the type-stripped sources.
  for (const script of ['build-if-stale.ts', 'build-web-if-stale.ts'])
    execFileSync(process.execPath, [join('scripts', script)], { cwd: ROOT, stdio: 'inherit' });

  await mkdir(BENCH_DIR, { recursive: true });
  const dataDir = await mkdtemp(join(BENCH_DIR, 'origin-'));
  const port = await freePort();
  const key = 'bench-admin-key-0123456789abcdefghijklmnop';
  const env = serverDefaultsEnv();
  Object.assign(env, {
    PORT: String(port),
    FRAMEHOUSE_HOST: '127.0.0.1',
    FRAMEHOUSE_DATA_DIR: dataDir,
    FRAMEHOUSE_ADMIN_API_KEY: key,
    ...extraEnv,
  });
  // process.execPath directly (no npm, no shell): child.pid is the server process itself.
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)])) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited (${child.exitCode}): ${stderr}`);
    if ((await fetch(`${base}/readyz`).catch(() => undefined))?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`serve not ready in 120 s: ${stderr}`);
    }
    await sleep(200);
  }
  log(`serve ${base} (pid ${child.pid})`);
  return { base, key, pid: child.pid, stop };
}

export interface ReadyAsset {
  id: string;
  playbackId: string;
  hls: string;
}

/** Uploads a clip and waits until the asset is ready with every rung of its ladder. */
export async function uploadAndWait(origin: Origin, clip: string, timeoutMs = 600_000): Promise<ReadyAsset> {
  const form = new FormData();
  form.append('file', await openAsBlob(clip), basename(clip));
  const auth = { authorization: `Bearer ${origin.key}` };
  const res = await fetch(`${origin.base}/v1/assets`, { method: 'POST', headers: auth, body: form });
  const created = (await res.json()) as { data?: { id: string } };
  if (res.status !== 202 || !created.data)
    throw new Error(`upload answered ${res.status}: ${JSON.stringify(created)}`);
  const id = created.data.id;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = (
      (await (await fetch(`${origin.base}/v1/assets/${id}`, { headers: auth })).json()) as {
        data: {
          status: string;
          renditions: Array<{ status: string }>;
          playback_ids: Array<{ id: string }>;
          playback: { hls: string };
        };
      }
    ).data;
    if (a.status === 'errored') throw new Error(`the bench clip failed to process: ${JSON.stringify(a)}`);
    if (a.status === 'ready' && a.renditions.length > 0 && a.renditions.every((r) => r.status === 'ready'))
      return { id, playbackId: a.playback_ids[0]?.id ?? '', hls: a.playback.hls };
    if (Date.now() > deadline) throw new Error(`asset ${id} not done in ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/**
 * VmRSS / VmHWM of the origin and its sibling HTTP processes together (FRAMEHOUSE_HTTP_PROCESSES),
 * in MB, and how many processes that is; NaN when unknown.
 */
export function originTreeMemoryMb(
  origin: Origin,
  field: 'VmRSS' | 'VmHWM',
): { mb: number; processes: number } {
  if (origin.pid === undefined) return { mb: Number.NaN, processes: 0 };
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${origin.pid}/task/${origin.pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--http-child');
        } catch {
          return false;
        }
      });
  } catch {}
  let kb = 0;
  for (const pid of [origin.pid, ...children]) kb += procStatusKb(pid, field) ?? 0;
  return { mb: kb / 1024, processes: 1 + children.length };
}

/** VmRSS / VmHWM of the origin's first process in MB, or NaN when unknown. */
export function originMemoryMb(origin: Origin, field: 'VmRSS' | 'VmHWM'): number {
  const kb = origin.pid === undefined ? null : procStatusKb(origin.pid, field);
  return kb === null ? Number.NaN : kb / 1024;
}
