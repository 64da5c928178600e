import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeClip } from './fixtures/media.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { waitForValue } from './helpers/wait.ts';

test('roles: two `api` processes and one `worker` share the work (one SQLite file and store)', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fh-roles-'));
  const env = { FRAMEHOUSE_DATA_DIR: dataDir };
  const procs = [await spawnServe(env, 'api'), await spawnServe(env, 'api')];
  const [a, b] = procs as [Awaited<ReturnType<typeof spawnServe>>, Awaited<ReturnType<typeof spawnServe>>];
  try {
    const form = new FormData();
    form.append(
      'file',
      await openAsBlob(await makeClip(dataDir, { name: 'shared', seconds: 2 })),
      'shared.mp4',
    );
    const created = await fetch(`${a.url}/v1/assets`, { method: 'POST', body: form });
    assert.equal(created.status, 202);
    const { id } = ((await created.json()) as { data: { id: string } }).data;

    // Nothing runs jobs yet: the api role never does.
    await sleep(1500);
    const waiting = (await (await fetch(`${b.url}/v1/assets/${id}`)).json()) as { data: { status: string } };
    assert.equal(waiting.data.status, 'waiting');

    const worker = await spawnServe(env, 'worker');
    procs.push(worker);
    type Asset = { status: string; progress: number; playback: { hls: string } };
    const asset = await waitForValue(
      async () => ((await (await fetch(`${b.url}/v1/assets/${id}`)).json()) as { data: Asset }).data,
      (a) => a.status === 'ready' && a.progress === 1,
      { timeoutMs: 30_000, what: () => `asset ${id} to be ready; the worker said: ${worker.log()}` },
    );
    const master = await fetch(`${b.url}${asset.playback.hls}`);
    assert.equal(master.status, 200);
    assert.match(await master.text(), /#EXT-X-STREAM-INF/);
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    for (const p of procs) assert.equal((await exited(p.child)).code, 0, p.log());
    await rm(dataDir, { recursive: true, force: true });
  }
});
