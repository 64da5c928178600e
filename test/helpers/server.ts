import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { openTestDatabase, type TestDialect } from '../../src/db/test-databases.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { waitForValue } from './wait.ts';

export interface TestServer extends RunningServer {
  url: string;
  dataDir: string;
  api<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }>;
  waitForAsset(id: string, until: (a: AssetBody) => boolean, timeoutMs?: number): Promise<AssetBody>;
  upload(file: string, title?: string): Promise<AssetBody>;
  stop(): Promise<void>;
  /** From now on, requests without a credential of their own send this API key. */
  authorize(key: string): void;
}

export interface AssetBody {
  id: string;
  status: string;
  kind: string | null;
  title: string | null;
  duration: number | null;
  width: number | null;
  height: number | null;
  is_360: boolean;
  progress: number | null;
  renditions: {
    name: string;
    type: string;
    width: number | null;
    height: number | null;
    bandwidth: number;
    status: string;
  }[];
  playback_ids: { id: string; policy: string }[];
  playback: { hls: string; thumbnail: string; storyboard: string };
  source: { filename: string | null; size: number | null; sha256: string | null };
  errors: { code: string; message: string }[];
}

/** A real server (worker pool, local store) on a free port and a fresh data folder: SQLite, or PostgreSQL. */
export async function startTestServer(
  env: Record<string, string> = {},
  dataDir?: string,
  dialect: TestDialect = 'sqlite',
): Promise<TestServer> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'fh-test-')));
  // PostgreSQL: a schema of this server's own, dropped when it stops.
  const database = dialect === 'postgres' ? await openTestDatabase('postgres') : null;
  const config = loadConfig(
    {
      FRAMEHOUSE_LOG_LEVEL: 'silent',
      // Tests run in parallel processes: a fixed RTMP port (1935) or SRT range would collide.
      FRAMEHOUSE_RTMP_PORT: '0',
      FRAMEHOUSE_SRT_PORTS: 'off',
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...env,
    },
    { port: env.PORT ?? 0, host: '127.0.0.1', dataDir: dir },
  );
  const server = await startServer(config);
  const url = server.url ?? '';
  // With FRAMEHOUSE_ADMIN_API_KEY set, requests carry it unless they bring their own credential.
  let adminKey = env.FRAMEHOUSE_ADMIN_API_KEY;
  const api = async <T>(path: string, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    if (adminKey && !headers.has('authorization')) headers.set('authorization', `Bearer ${adminKey}`);
    const res = await fetch(new URL(path, url), { ...init, headers });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: body as T, headers: res.headers };
  };
  const waitForAsset = (id: string, until: (a: AssetBody) => boolean, timeoutMs = 120_000) =>
    waitForValue(async () => (await api<{ data: AssetBody }>(`/v1/assets/${id}`)).body.data, until, {
      timeoutMs,
      intervalMs: 200,
      what: `asset ${id}`,
    });
  return {
    ...server,
    url,
    dataDir: dir,
    api,
    waitForAsset,
    async upload(file: string, title?: string) {
      const form = new FormData();
      const { openAsBlob } = await import('node:fs');
      form.append('file', await openAsBlob(file), file.split('/').pop());
      if (title) form.append('title', title);
      const res = await api<{ data: AssetBody }>('/v1/assets', { method: 'POST', body: form });
      if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.data;
    },
    authorize(key: string) {
      adminKey = key;
    },
    async stop() {
      await server.close();
      await database?.close();
      if (!dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export const isFinished = (a: AssetBody) =>
  a.status === 'errored' || (a.status === 'ready' && a.progress === 1);
