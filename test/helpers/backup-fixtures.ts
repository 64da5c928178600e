import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { exited, freePort, ROOT, spawnServe } from './processes.ts';

/**
 * What the backup and restore tests share beside the sites (backup-sites.ts) and the state
 * (backup-state.ts): a `framehouse serve` process that can be stopped and started again on the
 * same ports, an HTTP client for it, the CLI run as an operator runs it, and a webhook receiver.
 */

export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, the text of a text answer, or null for bytes. */
  body: T;
  bytes: Buffer;
}

/** Calls one server with an API key unless the request brings a credential of its own. */
export class Client {
  readonly base: string;
  readonly key: string | undefined;
  constructor(base: string, key?: string) {
    this.base = base;
    this.key = key;
  }

  async call<T = unknown>(path: string, init: RequestInit = {}): Promise<Answer<T>> {
    const headers = new Headers(init.headers);
    if (this.key && !headers.has('authorization') && !headers.has('cookie'))
      headers.set('authorization', `Bearer ${this.key}`);
    const res = await fetch(new URL(path, this.base), { ...init, headers });
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    let body: unknown = null;
    if (/json/.test(type)) body = JSON.parse(bytes.toString('utf8'));
    else if (/^text\/|mpegurl|vtt/.test(type)) body = bytes.toString('utf8');
    return { status: res.status, headers: res.headers, body: body as T, bytes };
  }

  /** JSON in, JSON out; throws unless the status is the one expected. */
  async json<T = unknown>(method: string, path: string, payload: unknown, expect: number): Promise<T> {
    const res = await this.call<T>(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    assert.equal(res.status, expect, `${method} ${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async get<T = unknown>(path: string, init?: RequestInit): Promise<T> {
    const res = await this.call<T>(path, init);
    assert.equal(res.status, 200, `GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

export const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/**
 * `framehouse serve` as its own process on ports chosen once, so a server started again after a
 * restore answers on the same HTTP and RTMP ports (the ingest URLs it shows name them).
 */
export class ServeProcess {
  readonly env: Record<string, string>;
  #proc: Awaited<ReturnType<typeof spawnServe>> | null = null;

  private constructor(env: Record<string, string>) {
    this.env = env;
  }

  /** `env` names the site (DATABASE_URL, STORAGE_URL, FRAMEHOUSE_DATA_DIR) and any setting. */
  static async ports(env: Record<string, string>): Promise<ServeProcess> {
    return new ServeProcess({
      PORT: String(await freePort()),
      FRAMEHOUSE_RTMP_PORT: String(await freePort()),
      ...env,
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.env.PORT}`;
  }
  get rtmpPort(): number {
    return Number(this.env.FRAMEHOUSE_RTMP_PORT);
  }
  get running(): boolean {
    return this.#proc !== null;
  }
  log(): string {
    return this.#proc?.log() ?? '';
  }

  /** Starts the server on `site` (the same one unless another is given) and waits for /healthz. */
  async start(site: Record<string, string> = {}): Promise<void> {
    assert.equal(this.#proc, null, 'already running');
    Object.assign(this.env, site);
    this.#proc = await spawnServe(this.env, 'serve');
    // Ready: database, store and ffmpeg answer (a server restored a moment ago included).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(`${this.url}/readyz`).catch(() => undefined);
      if (res?.ok) break;
      if (Date.now() > deadline) throw new Error(`serve never became ready: ${this.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGTERM, as an operator stops it before a backup of a quiet site; a clean exit is asserted. */
  async stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc) return;
    this.#proc = null;
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 30_000);
    const { code, signal } = await exited(proc.child);
    clearTimeout(timer);
    assert.equal(code, 0, `serve exited with ${code ?? signal}: ${proc.log().slice(-4000)}`);
  }

  /** For `after` hooks: gone whatever state it is in. */
  async kill(): Promise<void> {
    const proc = this.#proc;
    this.#proc = null;
    if (!proc) return;
    proc.child.kill('SIGKILL');
    await exited(proc.child);
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The `framehouse` CLI as an operator runs it next to a server: the same environment (so it reads
 * the same DATABASE_URL, STORAGE_URL and data folder), stdout and stderr apart (the summary and
 * the progress bars). Killed, and the test failed with what it printed, after `timeoutMs`.
 */
export async function framehouseCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 180_000,
): Promise<CliRun> {
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, [`${ROOT}bin/framehouse.js`, ...args], {
    env: { ...process.env, FRAMEHOUSE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const { code } = await exited(child);
  clearTimeout(timer);
  if (timedOut) {
    throw new Error(
      `framehouse ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr.slice(-4000)}`,
    );
  }
  return { code, stdout, stderr, ms: Date.now() - started };
}

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver on a loopback port that stays up across the server's restarts: 200 to all. */
export async function startReceiver(): Promise<{
  url: string;
  received: Delivery[];
  close(): Promise<void>;
}> {
  const received: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body, at: Date.now() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A browser-like caller: keeps its cookies, sends the server's Origin (better-auth checks it). */
export class CookieClient {
  readonly cookies = new Map<string, string>();
  readonly base: string;
  constructor(base: string) {
    this.base = base;
  }
  get cookie(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async call<T = Record<string, unknown>>(path: string, body?: object, method = body ? 'POST' : 'GET') {
    const res = await fetch(new URL(path, this.base), {
      method,
      headers: {
        origin: this.base,
        cookie: this.cookie,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, body: json as T };
  }
}
