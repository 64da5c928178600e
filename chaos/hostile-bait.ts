/**
 * The hostile corpus's traps: a canary file outside every data folder holding a secret, and bait
 * TCP listeners (loopback, and 169.254.169.254 put on `lo` when we are root) that count every
 * connection. Nothing in Framehouse may ever read the one or reach the others.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Canary {
  path: string;
  secret: string;
  /** Whether its access time moved since it was planted (a read of it). */
  wasRead(): Promise<boolean>;
}

/** Plants the canary with its times two days back, so any read moves its atime (relatime). */
export async function plantCanary(dir: string): Promise<Canary> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'canary-secret.txt');
  const secret = `FH-CANARY-${randomBytes(16).toString('hex')}`;
  await writeFile(path, `${secret}\n`);
  const past = new Date(Date.now() - 2 * 86_400_000);
  await utimes(path, past, past);
  const planted = (await stat(path)).atimeMs;
  return { path, secret, wasRead: async () => (await stat(path)).atimeMs !== planted };
}

export interface Bait {
  url: string;
  /** Every connection: where it was made to, and its first line. */
  hits: { to: string; firstLine: string }[];
  close(): Promise<void>;
}

/** A listener answering anything with a tiny HTTP 200 and noting the connection. */
async function listen(host: string, port: number, hits: Bait['hits']): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const hit = { to: `${host}:${port}`, firstLine: '' };
    hits.push(hit);
    socket.once('data', (d) => {
      hit.firstLine = d.toString('latin1').split('\r\n')[0]?.slice(0, 200) ?? '';
      socket.end(
        'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: close\r\n\r\nbait\n',
      );
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** The loopback bait on a free port, also on [::1] at the same port when it is free there. */
export async function startLoopbackBait(): Promise<Bait> {
  const hits: Bait['hits'] = [];
  const v4 = await listen('127.0.0.1', 0, hits);
  const port = (v4.address() as net.AddressInfo).port;
  const servers = [v4];
  const v6 = await listen('::1', port, hits).catch(() => undefined);
  if (v6) servers.push(v6);
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: async () => {
      for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
    },
  };
}

export interface MetadataBait extends Bait {
  /** Why there is no listener on 169.254.169.254, when there is none. */
  unavailable?: string;
}

/**
 * 169.254.169.254:80 on loopback: the address added to `lo` (root only) for the run and a bait
 * listening there; removed on close. When that cannot be done, `unavailable` says why.
 */
export async function startMetadataBait(): Promise<MetadataBait> {
  const hits: Bait['hits'] = [];
  const url = 'http://169.254.169.254';
  let added = false;
  try {
    await run('ip', ['addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
    added = true;
  } catch (e) {
    const message = String((e as { stderr?: string }).stderr ?? e);
    if (!/File exists/.test(message))
      return { url, hits, unavailable: `ip addr add failed: ${message.trim()}`, close: async () => {} };
  }
  const removeAddress = async () => {
    if (added) await run('ip', ['addr', 'del', '169.254.169.254/32', 'dev', 'lo']).catch(() => {});
  };
  try {
    const server = await listen('169.254.169.254', 80, hits);
    return {
      url,
      hits,
      close: async () => {
        await new Promise<void>((r) => server.close(() => r()));
        await removeAddress();
      },
    };
  } catch (e) {
    await removeAddress();
    return {
      url,
      hits,
      unavailable: `cannot listen on 169.254.169.254:80: ${(e as Error).message}`,
      close: async () => {},
    };
  }
}
