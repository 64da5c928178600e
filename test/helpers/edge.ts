import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, ROOT } from './processes.ts';
import { waitFor } from './wait.ts';

export interface EdgeProcess {
  child: ChildProcess;
  url: string;
  log: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `framehouse edge` as its own process, as an operator runs it. */
export async function spawnEdge(args: string[], env: Record<string, string> = {}): Promise<EdgeProcess> {
  const port = String(await freePort());
  let log = '';
  const child = spawn(
    process.execPath,
    [`${ROOT}bin/framehouse.js`, 'edge', '--host', '127.0.0.1', '--port', port, ...args],
    { env: { ...process.env, FRAMEHOUSE_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`edge exited early: ${log}`);
      return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true;
    },
    { timeoutMs: 20_000, what: () => `the edge to start: ${log}` },
  );
  return {
    child,
    url,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}

/**
 * An HTTP proxy in front of an origin that counts the requests it forwards, by path and query:
 * how many requests the origin really got, seen from outside the edge.
 */
export async function countingProxy(target: string): Promise<{
  url: string;
  count(pathPrefix: string): number;
  total(): number;
  close(): Promise<void>;
  server: Server;
}> {
  const t = new URL(target);
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const up = httpRequest(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.rawHeaders);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    count: (prefix) => seen.filter((u) => u.startsWith(prefix)).length,
    total: () => seen.length,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
