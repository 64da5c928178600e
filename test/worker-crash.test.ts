import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { makeClip } from './fixtures/media.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { waitForValue } from './helpers/wait.ts';

interface Asset {
  id: string;
  status: string;
  progress: number | null;
  renditions: { name: string; status: string }[];
}

async function getAsset(url: string, id: string): Promise<Asset> {
  const res = await fetch(`${url}/v1/assets/${id}`);
  return ((await res.json()) as { data: Asset }).data;
}

const waitFor = (url: string, id: string, until: (a: Asset) => boolean, timeoutMs = 120_000) =>
  waitForValue(() => getAsset(url, id), until, { timeoutMs, what: `asset ${id}` });

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

/** Every file the master and rendition playlists name, plus the playlists: nothing more, nothing less. */
async function expectedHlsFiles(hlsDir: string): Promise<string[]> {
  const master = await readFile(join(hlsDir, 'master.m3u8'), 'utf8');
  const files = ['master.m3u8'];
  for (const playlist of master.match(/[a-z0-9]+\/index\.m3u8/g) ?? []) {
    const rung = playlist.split('/')[0] ?? '';
    files.push(playlist);
    const text = await readFile(join(hlsDir, playlist), 'utf8');
    const init = /URI="([^"]+)"/.exec(text)?.[1];
    if (init) files.push(`${rung}/${init}`);
    for (const seg of text.match(/^seg_\d+\.m4s$/gm) ?? []) files.push(`${rung}/${seg}`);
  }
  return [...new Set(files)].sort();
}

const isDone = (a: Asset) => a.status === 'errored' || (a.status === 'ready' && a.progress === 1);

describe('workers dying and stopping (separate processes sharing one SQLite file and store)', () => {
  let dir: string;
  let clip: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-crash-'));
    // Long enough that the transcode is surely still running when the worker is killed.
    clip = await makeClip(dir, { name: 'long', width: 1280, height: 720, seconds: 12, fps: 30 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const upload = async (url: string) => {
    const form = new FormData();
    form.append('file', await openAsBlob(clip), 'long.mp4');
    const res = await fetch(`${url}/v1/assets`, { method: 'POST', body: form });
    assert.equal(res.status, 202);
    return ((await res.json()) as { data: Asset }).data.id;
  };

  test('a worker killed mid-transcode: another re-claims the job after the lease expires, with no duplicate or partial output', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fh-crash-data-'));
    const env = {
      FRAMEHOUSE_DATA_DIR: dataDir,
      FRAMEHOUSE_JOB_VISIBILITY_TIMEOUT_MS: '3000',
      FRAMEHOUSE_WORKER_CONCURRENCY: '1',
      FRAMEHOUSE_USAGE_FLUSH_SECONDS: '1',
    };
    const a = await spawnServe(env);
    const id = await upload(a.url);
    await waitFor(a.url, id, (x) => x.status !== 'waiting' && (x.progress ?? 0) > 0.1);
    a.child.kill('SIGKILL');
    await exited(a.child);

    const b = await spawnServe(env);
    try {
      const done = await waitFor(b.url, id, isDone);
      assert.equal(done.status, 'ready', b.log());
      assert.deepEqual(
        done.renditions.map((r) => r.status),
        ['ready', 'ready', 'ready', 'ready', 'ready'],
      );

      // The job ends a moment after the renditions (poster and storyboard come last).
      const db0 = new DatabaseSync(join(dataDir, 'framehouse.db'));
      const transcodeState = () =>
        (db0.prepare("select state from jobs where type = 'transcode'").get() as { state: string }).state;
      await waitForValue(transcodeState, (s) => s === 'completed', { what: 'the transcode job to end' });
      db0.close();

      const hlsDir = join(dataDir, 'objects', 'hls', id);
      assert.deepEqual(
        await filesUnder(hlsDir),
        await expectedHlsFiles(hlsDir),
        'exactly the files the playlists name',
      );
      const db = new DatabaseSync(join(dataDir, 'framehouse.db'));
      const jobs = db
        .prepare('select type, state, attempts, crashes from jobs where payload like ?')
        .all(`%${id}%`);
      const renditionRows = db.prepare('select count(*) as n from renditions where asset_id = ?').get(id) as {
        n: number;
      };
      const readyEvents = db
        .prepare("select count(*) as n from events where asset_id = ? and type = 'asset.renditions.ready'")
        .get(id) as { n: number };
      db.close();
      assert.deepEqual(
        jobs.map((j) => ({ ...j })),
        [
          { type: 'probe', state: 'completed', attempts: 1, crashes: 0 },
          // Re-claimed once; the killed worker's attempt is forgiven (crash allowance).
          { type: 'transcode', state: 'completed', attempts: 1, crashes: 1 },
        ],
      );
      assert.equal(renditionRows.n, 5, 'no duplicate rendition rows');
      assert.equal(readyEvents.n, 1);
      const work = await readdir(join(dataDir, 'work'));
      assert.deepEqual(work, [], 'scratch folders are cleaned up');

      // Usage (docs/usage.md): each rendition's encoding is counted where it turned ready, so the
      // re-run does not count again what the killed attempt finished (which may be lost with it,
      // had it not been flushed: at most one flush interval).
      await new Promise((r) => setTimeout(r, 1500));
      const usageDb = new DatabaseSync(join(dataDir, 'framehouse.db'));
      const { duration } = usageDb.prepare('select duration from assets where id = ?').get(id) as {
        duration: number;
      };
      const { seconds } = usageDb
        .prepare(
          "select coalesce(sum(value), 0) as seconds from usage_records where subject_id = ? and metric = 'encoding_seconds'",
        )
        .get(id) as { seconds: number };
      usageDb.close();
      assert.ok(
        seconds > 0 && seconds <= duration * 5 + 1e-6,
        `${seconds} s of encoding for 5 × ${duration} s`,
      );
    } finally {
      b.child.kill('SIGKILL');
      await exited(b.child);
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('SIGTERM: the worker gives its job back and exits cleanly; the next one finishes it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fh-term-data-'));
    const env = {
      FRAMEHOUSE_DATA_DIR: dataDir,
      FRAMEHOUSE_SHUTDOWN_GRACE_MS: '300',
      FRAMEHOUSE_WORKER_CONCURRENCY: '1',
    };
    const a = await spawnServe(env);
    const id = await upload(a.url);
    await waitFor(a.url, id, (x) => x.status !== 'waiting' && (x.progress ?? 0) > 0.1);
    a.child.kill('SIGTERM');
    const exit = await exited(a.child);
    assert.equal(exit.code, 0, a.log());
    assert.match(a.log(), /shutting down/);

    const db = new DatabaseSync(join(dataDir, 'framehouse.db'));
    const job = db
      .prepare("select state, attempts, lease_owner from jobs where type = 'transcode'")
      .get() as Record<string, unknown>;
    db.close();
    assert.deepEqual(
      { ...job },
      { state: 'queued', attempts: 0, lease_owner: null },
      'released, the attempt not counted',
    );

    const b = await spawnServe(env);
    try {
      const done = await waitFor(b.url, id, isDone);
      assert.equal(done.status, 'ready', b.log());
    } finally {
      b.child.kill('SIGTERM');
      assert.equal((await exited(b.child)).code, 0);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
