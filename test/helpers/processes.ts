import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { waitFor } from './wait.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** `framehouse serve` as its own process (so a test can SIGKILL or SIGTERM it). */
export async function spawnServe(
  env: Record<string, string>,
  role: 'serve' | 'api' | 'worker' | 'live' = 'serve',
): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const port = env.PORT ?? String(await freePort());
  let log = '';
  const args = role === 'worker' ? ['worker'] : [role, '--host', '127.0.0.1'];
  const child = spawn(process.execPath, [`${ROOT}bin/framehouse.js`, ...args], {
    // Embedded defaults unless the test says otherwise: CI's DATABASE_URL is for the contract suites.
    env: {
      ...process.env,
      DATABASE_URL: '',
      STORAGE_URL: '',
      FRAMEHOUSE_LOG_LEVEL: 'info',
      // Processes of one test (and tests in parallel) would collide on 1935 and the SRT range.
      FRAMEHOUSE_RTMP_PORT: '0',
      FRAMEHOUSE_SRT_PORTS: 'off',
      // One process per role unless a test asks for siblings (the default is one per core).
      FRAMEHOUSE_HTTP_PROCESSES: '1',
      ...env,
      PORT: port,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const started =
    role === 'worker'
      ? // No HTTP: started once its pool says so.
        () => log.includes('worker pool started')
      : // Not listening yet: the fetch fails.
        async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true;
  try {
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`${role} exited early: ${log}`);
        return started();
      },
      { timeoutMs: 30_000, what: `framehouse ${role} to start` },
    );
  } catch (e) {
    if (child.exitCode !== null) throw e;
    child.kill('SIGKILL');
    throw new Error(`${role} did not start: ${log}`);
  }
  return { child, url, log: () => log };
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Runs the `framehouse` CLI as a user would, collecting everything it prints. */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string) {
  const child = spawn(process.execPath, [`${ROOT}bin/framehouse.js`, ...args], {
    env: { ...process.env, ...env },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (stdin !== undefined) child.stdin?.end(stdin);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  return {
    child,
    output: () => output,
    exit: new Promise<number | null>((resolve) => child.on('exit', resolve)),
  };
}
