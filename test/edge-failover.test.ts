import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { openTestDatabase, postgresSkip, type TestDatabase } from '../src/db/test-databases.ts';
import { makeClip } from './fixtures/media.ts';
import { type EdgeProcess, spawnEdge } from './helpers/edge.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { startS3 } from './helpers/s3.ts';
import { waitForValue } from './helpers/wait.ts';

// Two origins that serve the same bytes: two `api` processes (and a `worker`) on one PostgreSQL
// schema and one S3 bucket, as multi-process.test.ts runs them. One is killed while viewers
// load the edge; not one of their requests may fail.

type Proc = Awaited<ReturnType<typeof spawnServe>>;

describe('framehouse edge failover between two origins', { skip: postgresSkip('postgres') }, () => {
  let db: TestDatabase;
  let s3: Awaited<ReturnType<typeof startS3>>;
  let work: string;
  const procs: Proc[] = [];
  let edge: EdgeProcess;

  const start = async (role: 'api' | 'worker') => {
    const p = await spawnServe(
      {
        DATABASE_URL: db.url,
        STORAGE_URL: s3.url,
        FRAMEHOUSE_DATA_DIR: await mkdtemp(join(work, `${role}-`)),
        // The worker is known to be up from its info line.
        FRAMEHOUSE_LOG_LEVEL: role === 'worker' ? 'info' : 'warn',
      },
      role,
    );
    procs.push(p);
    return p;
  };

  before(async () => {
    db = await openTestDatabase('postgres');
    s3 = await startS3();
    work = await mkdtemp(join(tmpdir(), 'fh-edge-failover-'));
  });
  after(async () => {
    await edge?.stop('SIGKILL');
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => exited(p.child)));
    await s3?.stop();
    await db?.close();
    await rm(work, { recursive: true, force: true });
  });

  test('one of two origins killed under load: 0 failed requests', { timeout: 300_000 }, async () => {
    const [api1, api2] = [await start('api'), await start('api')];
    await start('worker');
    const form = new FormData();
    form.append(
      'file',
      await openAsBlob(await makeClip(work, { name: 'f', width: 640, height: 360, seconds: 6 })),
      'f.mp4',
    );
    const created = await fetch(`${api1.url}/v1/assets`, { method: 'POST', body: form });
    assert.equal(created.status, 202);
    const { id } = ((await created.json()) as { data: { id: string } }).data;
    const asset = await waitForValue(
      async () =>
        (
          (await (await fetch(`${api2.url}/v1/assets/${id}`)).json()) as {
            data: { status: string; progress: number; playback_ids: { id: string }[] };
          }
        ).data,
      (a) => a.status === 'errored' || (a.status === 'ready' && a.progress === 1),
      { timeoutMs: 120_000, intervalMs: 300, what: 'the asset' },
    );
    assert.equal(asset.status, 'ready');
    const pid = asset.playback_ids[0]?.id ?? '';
    if (!api1 || !api2) throw new Error('no origins');
    edge = await spawnEdge(['--origin', api1.url, '--origin', api2.url, '--cache-dir', join(work, 'cache')]);

    // Viewers: every request a miss (its own query string), so every one reaches an origin.
    const dispatcher = new Agent({ connections: 64 });
    let n = 0;
    const failures: string[] = [];
    let ok = 0;
    let stop = false;
    const viewer = async () => {
      // A broken edge fails fast: stop then rather than spin.
      while (!stop && failures.length < 200) {
        // Each `time` its own object (a key parameter the origin ignores on a segment): misses
        // keep going to the origins while one is killed.
        const path = `/play/${pid}/360p/seg_00000.m4s?time=${n++}`;
        try {
          const res = await request(`${edge.url}${path}`, {
            dispatcher,
            headersTimeout: 15_000,
            bodyTimeout: 15_000,
          });
          const body = await res.body.arrayBuffer();
          if (res.statusCode === 200 && body.byteLength > 0) ok++;
          else failures.push(`${res.statusCode} ${path}`);
        } catch (e) {
          failures.push(`${(e as Error).message} ${path}`);
        }
      }
    };
    const viewers = Array.from({ length: 64 }, viewer);
    await new Promise((r) => setTimeout(r, 1500));
    const before = ok;
    api1.child.kill('SIGKILL');
    await exited(api1.child);
    await new Promise((r) => setTimeout(r, 2500));
    stop = true;
    await Promise.all(viewers);
    await dispatcher.close();
    assert.ok(before > 20, `load before the kill (${before}): ${failures.slice(0, 3).join('; ')}`);
    assert.ok(ok - before > 20, `answers after the kill (${ok - before})`);
    assert.deepEqual(
      failures.slice(0, 5),
      [],
      `${failures.length} failed of ${ok + failures.length}; the edge said: ${edge.log().slice(-3000)}`,
    );
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(`framehouse_edge_origin_errors_total\\{origin="${new URL(api1.url).host}"\\} [1-9]`),
    );
  });
});
