/**
 * Framehouse processes for the live bench: `framehouse serve` (or `api` + `live` for the
 * scale-out shape) spawned as children, each with its own ports, the event-loop probe preloaded,
 * and helpers to create a live stream and follow it through the API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './util.ts';

const BIN = fileURLToPath(new URL('../bin/framehouse.js', import.meta.url));
const PROBE = fileURLToPath(new URL('./event-loop-probe.ts', import.meta.url));
export const ADMIN_KEY = 'live-bench-admin-key-0123456789abcdefghijkl';

export interface FhProcess {
  role: 'serve' | 'api' | 'live';
  url: string;
  pid: number;
  rtmpPort: number | null;
  loopFile: string;
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** Server-wide environment: only the tool paths are inherited from ours, the rest is the defaults. */
function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        (!k.startsWith('FRAMEHOUSE_') && k !== 'DATABASE_URL' && k !== 'STORAGE_URL') ||
        k === 'FRAMEHOUSE_FFMPEG_PATH' ||
        k === 'FRAMEHOUSE_FFPROBE_PATH',
    ),
  );
}

export async function startFramehouse(
  role: 'serve' | 'api' | 'live',
  opts: { dataDir: string; env?: Record<string, string> },
): Promise<FhProcess> {
  mkdirSync(opts.dataDir, { recursive: true });
  const port = await freePort();
  const rtmpPort = role === 'api' ? null : await freePort();
  const loopFile = `${opts.dataDir}/event-loop-${role}-${port}.jsonl`;
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    PORT: String(port),
    FRAMEHOUSE_HOST: '127.0.0.1',
    FRAMEHOUSE_DATA_DIR: opts.dataDir,
    FRAMEHOUSE_LOG_LEVEL: 'warn',
    FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
    FRAMEHOUSE_SRT_PORTS: 'off',
    FH_BENCH_LOOP_FILE: loopFile,
    ...(rtmpPort ? { FRAMEHOUSE_RTMP_PORT: String(rtmpPort), FRAMEHOUSE_LIVE_INGEST_HOST: '127.0.0.1' } : {}),
    ...opts.env,
  };
  // process.execPath: the pinned Node 24; no npx or shell, so child.pid is the server itself.
  const child = spawn(process.execPath, ['--import', PROBE, BIN, role], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`framehouse ${role} exited: ${log.slice(-2000)}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`framehouse ${role} did not start: ${log.slice(-2000)}`);
    await sleep(250);
  }
  return {
    role,
    url,
    pid: child.pid as number,
    rtmpPort,
    loopFile,
    child,
    log: () => log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** The event-loop delay lines the probe wrote between two moments (ms). */
export function loopDelays(p: FhProcess, from: number, to: number) {
  try {
    return readFileSync(p.loopFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { at: number; p50: number; p99: number; max: number })
      .filter((x) => x.at > from && x.at <= to + 1000);
  } catch {
    return [];
  }
}

export interface LiveStreamInfo {
  id: string;
  stream_key: string;
  status: string;
  ingest: { rtmp: string };
  playback_ids: { id: string }[];
  current: { renditions: { name: string; width: number; height: number }[] } | null;
}

export async function api<T>(base: string, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...init?.headers },
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path} answered ${res.status}: ${body}`);
  return (JSON.parse(body) as { data: T }).data;
}

export const createLiveStream = (base: string, latencyMode: 'low' | 'standard') =>
  api<LiveStreamInfo>(base, '/v1/live-streams', {
    method: 'POST',
    body: JSON.stringify({ title: `bench ${latencyMode}`, latency_mode: latencyMode, record: false }),
  });

export async function waitActive(base: string, id: string, timeoutMs = 30_000): Promise<LiveStreamInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await api<LiveStreamInfo>(base, `/v1/live-streams/${id}`);
    if (s.status === 'active' && s.current) return s;
    if (Date.now() > deadline) throw new Error(`stream ${id} not active in time (${s.status})`);
    await sleep(200);
  }
}

/** Rendition media-playlist paths of a master playlist, with their heights. */
export function variantsOf(master: string): { uri: string; height: number }[] {
  const lines = master.split('\n');
  const out: { uri: string; height: number }[] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('#EXT-X-STREAM-INF:')) return;
    const height = Number(/RESOLUTION=\d+x(\d+)/.exec(line)?.[1] ?? 0);
    const uri = (lines[i + 1] ?? '').trim();
    if (uri) out.push({ uri, height });
  });
  return out;
}

/** Waits until the master playlist names its renditions. */
export async function waitMaster(base: string, playbackId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${base}/play/${playbackId}/master.m3u8`);
    const body = await res.text();
    if (res.ok && body.includes('#EXT-X-STREAM-INF')) return variantsOf(body);
    if (Date.now() > deadline)
      throw new Error(`no master playlist in time (${res.status} ${body.slice(0, 200)})`);
    await sleep(250);
  }
}
