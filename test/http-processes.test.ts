import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import HLS from 'hls-parser';
import { type LiveStreamBody, publishRtmp, waitForStream } from './helpers/live.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { waitFor, waitForValue } from './helpers/wait.ts';

type MasterPlaylist = InstanceType<typeof HLS.types.MasterPlaylist>;

const KEY = 'http-processes-admin-key-0123456789abcdef';

/** One request on a connection of its own (the kernel picks a process per connection). */
function getFresh(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The pids that wrote an access-log line for this URL path, from the processes' shared output. */
function answeringPids(log: string, path: string): Set<number> {
  const pids = new Set<number>();
  for (const line of log.split('\n')) {
    if (!line.includes('"msg":"request"') || !line.includes(`"url":"${path}`)) continue;
    try {
      pids.add((JSON.parse(line) as { pid: number }).pid);
    } catch {}
  }
  return pids;
}

/** Pids of a process's sibling HTTP processes (its children running `--http-child`), from /proc. */
async function siblingPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const children = text.trim().split(/\s+/).filter(Boolean).map(Number);
  const siblings: number[] = [];
  for (const child of children) {
    const cmdline = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('--http-child')) siblings.push(child);
  }
  return siblings;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] !== 'Z';
  } catch {
    return false;
  }
};

// `serve` with FRAMEHOUSE_HTTP_PROCESSES=2: a sibling `api --http-child` on the same port
// (SO_REUSEPORT). Both answer; a live broadcast held by the first process plays through either
// (the sibling reaches the live node on its private port); a sibling that dies is started again;
// SIGTERM ends them all.
describe('serve on every core: sibling HTTP processes on one port', {
  skip: process.platform !== 'linux',
}, () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof spawnServe>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-http-processes-'));
    server = await spawnServe({
      FRAMEHOUSE_DATA_DIR: dir,
      FRAMEHOUSE_HTTP_PROCESSES: '2',
      FRAMEHOUSE_ADMIN_API_KEY: KEY,
      FRAMEHOUSE_RTMP_PORT: '0',
      FRAMEHOUSE_LIVE_MAX_RUNGS: '1',
      FRAMEHOUSE_WORKER_CONCURRENCY: '1',
    });
    await waitFor(() => server.log().includes('"role":"api"'), {
      timeoutMs: 30_000,
      what: 'the sibling HTTP process to start',
    });
  });
  after(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await exited(server.child);
    }
    await rm(dir, { recursive: true, force: true });
  });

  const api = async <T>(path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(path, server.url), {
      ...init,
      headers: { authorization: `Bearer ${KEY}`, ...(init.headers as Record<string, string>) },
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  test('connections are answered by both processes', async () => {
    const path = '/v1/live-streams?limit=1';
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => getFresh(`${server.url}${path}`, { authorization: `Bearer ${KEY}` })),
    );
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    const pids = await waitForValue(
      async () => answeringPids(server.log(), path),
      (p) => p.size >= 2,
      { timeoutMs: 5_000, what: 'access-log lines of both processes' },
    );
    assert.ok(pids.has(server.child.pid ?? -1), 'the first process answered some');
  });

  test('a live broadcast held by the first process plays through its sibling too', async () => {
    const created = await api<{ data: LiveStreamBody }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Every core', record: false }),
    });
    assert.equal(created.status, 201);
    const stream = created.body.data;
    const rtmpPort = new URL(stream.ingest.rtmp).port;
    assert.ok(Number(rtmpPort) > 0, stream.ingest.rtmp);
    const publisher = publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/${stream.stream_key}`, { seconds: 30 });
    try {
      await waitForStream(api, stream.id, (s) => s.status === 'active', 25_000);
      const pid = stream.playback_ids[0]?.id ?? '';
      const master = await waitForValue(
        () => getFresh(`${server.url}/play/${pid}/master.m3u8`),
        (r) => r.status === 200 && r.body.includes('#EXT-X-STREAM-INF'),
        { timeoutMs: 20_000, intervalMs: 300, what: 'the live master playlist' },
      );
      const variant = (HLS.parse(master.body) as MasterPlaylist).variants[0]?.uri ?? '';
      const path = `/play/${pid}/${variant}`;
      await waitForValue(
        () => getFresh(`${server.url}${path}`),
        (r) => r.status === 200 && r.body.includes('#EXT-X-PART:'),
        { timeoutMs: 15_000, intervalMs: 300, what: 'the first parts in the media playlist' },
      );
      // On fresh connections the kernel spreads the requests over both processes: every one
      // must get the playlist, whichever process holds the packager.
      const answers = await Promise.all(Array.from({ length: 30 }, () => getFresh(`${server.url}${path}`)));
      for (const a of answers) {
        assert.equal(a.status, 200, a.body);
        assert.match(a.body, /#EXT-X-PART:/);
      }
      // (Log lines are written in batches: wait for both processes' to arrive.)
      await waitForValue(
        async () => answeringPids(server.log(), path),
        (p) => p.size >= 2,
        { timeoutMs: 5_000, what: 'both processes answering the live playlist' },
      );
    } finally {
      await publisher.stop();
    }
  });

  test('a sibling that dies is started again, and SIGTERM ends every process', async () => {
    const primary = server.child.pid ?? -1;
    const [first] = await siblingPids(primary);
    assert.ok(first, 'a sibling process runs');
    process.kill(first, 'SIGKILL');
    const replacement = await waitForValue(
      async () => (await siblingPids(primary)).find((p) => p !== first),
      (p) => p !== undefined,
      { timeoutMs: 15_000, what: 'a new sibling' },
    );
    // Answers on every connection meanwhile and after (the kernel drops the dead socket).
    const answers = await Promise.all(Array.from({ length: 20 }, () => getFresh(`${server.url}/healthz`)));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    server.child.kill('SIGTERM');
    const end = await exited(server.child);
    assert.equal(end.code, 0);
    await waitFor(() => !alive(replacement ?? -1), {
      timeoutMs: 5_000,
      what: 'the sibling to leave with it',
    });
  });
});
