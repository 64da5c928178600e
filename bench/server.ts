/**
 * The server side of the ratios: a fresh `framehouse serve` child per run (own data folder, own
 * port, one worker), one multipart upload, and the moments that matter taken from the server's
 * own event outbox, whose created_at is written in the same transaction as the state change:
 * millisecond-exact, with no polling granularity added.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openAsBlob, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  cpuSeconds,
  freePort,
  machineBusySeconds,
  procStatusKb,
  rssSampler,
  serverDefaultsEnv,
} from './util.ts';

const BIN = fileURLToPath(new URL('../bin/framehouse.js', import.meta.url));
const POLL_MS = 50;

export interface ServerRun {
  /** Epoch ms, on the one clock the bench and the server share. */
  uploadStart: number;
  /** The 202 answer arrived. */
  uploadDone: number;
  /** asset.processing: probed and planned, the transcode job enqueued. */
  processing: number;
  /** asset.ready: first playable. */
  ready: number;
  /** asset.renditions.ready: every rung done (progress 1). */
  all: number;
  /**
   * When the final master playlist was written (its file's mtime in the store): right after
   * ffmpeg exits. Splits t_all into the transcode and what follows it (storyboard, poster).
   */
  transcodeEnd: number;
  /** Peak RSS of the server process by the kernel (VmHWM), kB. */
  hwmKb: number;
  /** Highest sampled VmRSS of the server process, and of the server plus its ffmpeg children, kB. */
  maxRssKb: number;
  maxTreeKb: number;
  /** The ladder strategy the worker used (what `auto` chose), from its log. */
  chosen: string;
  /** CPU seconds from upload start to done: the server process itself, its ffmpeg/ffprobe children, this bench. */
  cpuServer: number;
  cpuChildren: number;
  cpuBench: number;
  /** CPU seconds the rest of the machine used meanwhile (other people's work on a shared machine). */
  othersCpu: number;
}

export async function serverRun(opts: {
  clip: string;
  duration: number;
  tmpRoot: string;
  logFile?: string | undefined;
  /** FRAMEHOUSE_LADDER_STRATEGY for this run. */
  strategy: 'auto' | 'one-pass' | 'lowest-first';
}): Promise<ServerRun> {
  const dataDir = await mkdtemp(join(opts.tmpRoot, 'server-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The server must run on its defaults (preset, segment length…), the ones the raw baseline is built with.
  const env = serverDefaultsEnv();
  Object.assign(env, {
    PORT: String(port),
    FRAMEHOUSE_HOST: '127.0.0.1',
    FRAMEHOUSE_DATA_DIR: dataDir,
    // Info: the 'encoding' line says which strategy the worker took.
    FRAMEHOUSE_LOG_LEVEL: 'info',
    FRAMEHOUSE_WORKER_CONCURRENCY: '1',
    FRAMEHOUSE_LADDER_STRATEGY: opts.strategy,
  });
  const logFd = opts.logFile ? openSync(opts.logFile, 'a') : null;
  // process.execPath is the pinned Node 24 running this script, and spawning it directly (no
  // npx, no shell) makes child.pid the server process itself, whose /proc entry we read.
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env,
    stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'],
  });
  let chosen = '';
  let partial = '';
  child.stdout?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) chosen ||= /"strategy":"([a-z-]+)"/.exec(line)?.[1] ?? '';
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (logFd !== null) closeSync(logFd);

  let sampler: ReturnType<typeof rssSampler> | undefined;
  let db: DatabaseSync | undefined;
  try {
    await waitReady(base, child, () => stderr);
    if (!child.pid) throw new Error('server has no pid');
    const pid = child.pid;
    sampler = rssSampler(pid);

    const form = new FormData();
    form.append('file', await openAsBlob(opts.clip), basename(opts.clip));
    const cpu0 = cpuSeconds(pid);
    const bench0 = process.cpuUsage();
    const busy0 = machineBusySeconds();
    const uploadStart = Date.now();
    const res = await fetch(`${base}/v1/assets`, { method: 'POST', body: form });
    const uploadDone = Date.now();
    const body = (await res.json()) as { data?: { id: string } };
    if (res.status !== 202 || !body.data)
      throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
    const id = body.data.id;

    // Read-only beside the server's own connection: WAL lets us read while it writes.
    db = new DatabaseSync(join(dataDir, 'framehouse.db'), { readOnly: true });
    const events = db.prepare('SELECT type, created_at FROM events WHERE asset_id = ? ORDER BY seq');
    const deadline = Date.now() + 120_000 + opts.duration * 20_000;
    let at: Map<string, number>;
    for (;;) {
      const rows = events.all(id) as Array<{ type: string; created_at: string }>;
      at = new Map(rows.map((r) => [r.type, Date.parse(r.created_at)]));
      if (at.has('asset.errored')) throw new Error(`asset errored: ${await assetJson(base, id)}`);
      if (at.has('asset.renditions.ready')) break;
      if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`asset not done in time: ${await assetJson(base, id)}`);
      await sleep(POLL_MS);
    }

    // The outbox says done; the API must agree (the contract the brief's definition uses).
    const asset = JSON.parse(await assetJson(base, id)).data as {
      status: string;
      progress: number | null;
      renditions: Array<{ name: string; status: string }>;
    };
    if (
      asset.status !== 'ready' ||
      asset.progress !== 1 ||
      asset.renditions.some((r) => r.status !== 'ready')
    ) {
      throw new Error(`outbox says done but the API does not: ${JSON.stringify(asset)}`);
    }

    // The kernel's high-water mark, read while the process still exists.
    const hwmKb = procStatusKb(pid, 'VmHWM') ?? 0;
    const cpu1 = cpuSeconds(pid);
    const bench = process.cpuUsage(bench0);
    const busy = machineBusySeconds() - busy0;
    const { maxRssKb, maxTreeKb } = sampler.stop();
    sampler = undefined;
    const need = (t: string) => {
      const v = at.get(t);
      if (v === undefined) throw new Error(`no ${t} event for ${id}`);
      return v;
    };
    const master = readdirSync(dataDir, { recursive: true, encoding: 'utf8' }).find((f) =>
      f.endsWith(join('hls', id, 'master.m3u8')),
    );
    if (!chosen && opts.logFile)
      chosen = /"strategy":"([a-z-]+)"/.exec(readFileSync(opts.logFile, 'utf8'))?.[1] ?? '';
    return {
      chosen: chosen || '?',
      transcodeEnd: master ? statSync(join(dataDir, master)).mtimeMs : Number.NaN,
      uploadStart,
      uploadDone,
      processing: need('asset.processing'),
      ready: need('asset.ready'),
      all: need('asset.renditions.ready'),
      hwmKb,
      maxRssKb,
      maxTreeKb,
      cpuServer: cpu0 && cpu1 ? cpu1.own - cpu0.own : Number.NaN,
      cpuChildren: cpu0 && cpu1 ? cpu1.children - cpu0.children : Number.NaN,
      cpuBench: (bench.user + bench.system) / 1e6,
      othersCpu:
        cpu0 && cpu1
          ? Math.max(
              0,
              busy -
                (cpu1.own - cpu0.own) -
                (cpu1.children - cpu0.children) -
                (bench.user + bench.system) / 1e6,
            )
          : Number.NaN,
    };
  } finally {
    sampler?.stop();
    db?.close();
    await stop(child, exited);
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function waitReady(base: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) on start: ${stderr()}`);
    const ok = await fetch(`${base}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await sleep(POLL_MS);
  }
  throw new Error(`server not ready within 60 s: ${stderr()}`);
}

async function assetJson(base: string, id: string): Promise<string> {
  return (await fetch(`${base}/v1/assets/${id}`)).text();
}

/** SIGTERM (graceful shutdown), then SIGKILL if it has not gone within 15 s. */
async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)]);
  if (killed) {
    child.kill('SIGKILL');
    await exited;
  }
}
