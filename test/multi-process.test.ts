import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tus from 'tus-js-client';
import { openTestDatabase, postgresSkip, type TestDatabase } from '../src/db/test-databases.ts';
import { parseS3Url, S3ObjectStore } from '../src/storage/s3-store.ts';
import { makeClip } from './fixtures/media.ts';
import { isMaintenanceJob } from './helpers/maintenance-jobs.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { startS3 } from './helpers/s3.ts';
import { waitFor, waitForValue } from './helpers/wait.ts';

type Proc = Awaited<ReturnType<typeof spawnServe>>;
interface Asset {
  id: string;
  status: string;
  progress: number | null;
  renditions: { status: string }[];
  playback: { hls: string };
}

/**
 * The scale-out shape on one machine: 2 `api` + 2 `worker` processes, each with a data folder of
 * its own (nothing shared on disk), over one PostgreSQL schema and one S3 bucket.
 */
/**
 * One PostgreSQL schema and one S3 bucket for a describe block, and `start(role)` to add
 * processes to it (each with a data folder of its own); all torn down after the block.
 */
function useCluster(env: Record<string, string> = {}) {
  const c = {
    db: undefined as unknown as TestDatabase,
    s3: undefined as unknown as Awaited<ReturnType<typeof startS3>>,
    work: '',
    procs: [] as Proc[],
    async start(role: 'api' | 'worker'): Promise<Proc> {
      const p = await spawnServe(
        {
          DATABASE_URL: c.db.url,
          STORAGE_URL: c.s3.url,
          FRAMEHOUSE_DATA_DIR: await mkdtemp(join(c.work, `${role}-`)),
          ...env,
        },
        role,
      );
      c.procs.push(p);
      return p;
    },
  };
  before(async () => {
    c.db = await openTestDatabase('postgres');
    c.s3 = await startS3();
    c.work = await mkdtemp(join(tmpdir(), 'fh-multi-'));
  });
  after(async () => {
    for (const p of c.procs) p.child.kill('SIGKILL');
    await Promise.all(c.procs.map((p) => exited(p.child)));
    await c.s3.stop();
    await c.db.close();
    await rm(c.work, { recursive: true, force: true });
  });
  return c;
}

describe('2 api + 2 workers on PostgreSQL + S3 (s3rver)', { skip: postgresSkip('postgres') }, () => {
  const cluster = useCluster({
    FRAMEHOUSE_JOB_VISIBILITY_TIMEOUT_MS: '3000',
    FRAMEHOUSE_WORKER_CONCURRENCY: '1',
  });
  const start = cluster.start;

  test('upload through one api, play through the other; a worker killed mid-transcode is replaced by the other', async () => {
    const [api1, api2] = [await start('api'), await start('api')];
    const worker1 = await start('worker');
    const form = new FormData();
    const clip = await makeClip(cluster.work, {
      name: 'tour',
      width: 1280,
      height: 720,
      seconds: 10,
      fps: 30,
    });
    form.append('file', await openAsBlob(clip), 'tour.mp4');
    const created = await fetch(`${api1.url}/v1/assets`, { method: 'POST', body: form });
    assert.equal(created.status, 202);
    const { id } = ((await created.json()) as { data: Asset }).data;

    const get = async () =>
      ((await (await fetch(`${api2.url}/v1/assets/${id}`)).json()) as { data: Asset }).data;
    let asset = await waitForValue(get, (a) => (a.progress ?? 0) > 0.1, {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: 'the transcode to pass 10 %',
    });
    assert.ok(
      (asset.progress ?? 0) > 0.1 && (asset.progress ?? 0) < 1,
      `killed mid-transcode (${asset.progress})`,
    );
    worker1.child.kill('SIGKILL');
    await exited(worker1.child);
    const worker2 = await start('worker');

    asset = await waitForValue(get, (a) => a.status === 'ready' && a.progress === 1, {
      timeoutMs: 120_000,
      what: () => `asset ${id} to be ready; the new worker said: ${worker2.log()}`,
    });
    assert.ok(asset.renditions.every((r) => r.status === 'ready'));
    const master = await fetch(`${api2.url}${asset.playback.hls}`);
    assert.equal(master.status, 200);

    // Exactly the objects the playlists name: nothing duplicated or left from the killed attempt.
    const store = new S3ObjectStore(parseS3Url(cluster.s3.url));
    const keys = (await store.list(`hls/${id}/`)).map((k) => k.slice(`hls/${id}/`.length));
    const named = new Set(['master.m3u8']);
    const masterText = (await store.getBuffer(`hls/${id}/master.m3u8`)).toString();
    for (const playlist of masterText.match(/[a-z0-9]+\/index\.m3u8/g) ?? []) {
      const rung = playlist.split('/')[0];
      named.add(playlist);
      const text = (await store.getBuffer(`hls/${id}/${playlist}`)).toString();
      for (const uri of [/URI="([^"]+)"/.exec(text)?.[1], ...(text.match(/^seg_\d+\.m4s$/gm) ?? [])]) {
        if (uri) named.add(`${rung}/${uri}`);
      }
    }
    assert.deepEqual(keys.sort(), [...named].sort());

    // The job itself ends a moment after its renditions (the poster and storyboard come last).
    const transcodeState = async () =>
      (
        await cluster.db.db
          .selectFrom('jobs')
          .select('state')
          .where('type', '=', 'transcode')
          .executeTakeFirst()
      )?.state;
    await waitFor(async () => (await transcodeState()) === 'completed', { what: 'the transcode job to end' });
    const jobs = await cluster.db.db
      .selectFrom('jobs')
      .select(['type', 'state', 'attempts', 'crashes'])
      .orderBy('type')
      .execute();
    assert.deepEqual(
      // The maintenance jobs every worker schedules aside.
      jobs.filter((j) => j.type !== 'delete-asset-objects' && !isMaintenanceJob(j.type)),
      [
        { type: 'probe', state: 'completed', attempts: 1, crashes: 0 },
        // Its worker's death is forgiven (the transcode's crash allowance): still its first attempt.
        { type: 'transcode', state: 'completed', attempts: 1, crashes: 1 },
      ],
      'the transcode was re-claimed once, after the lease of the killed worker expired',
    );

    // SIGTERM: a worker and an api exit cleanly.
    worker2.child.kill('SIGTERM');
    api1.child.kill('SIGTERM');
    assert.equal((await exited(worker2.child)).code, 0, worker2.log());
    assert.equal((await exited(api1.child)).code, 0, api1.log());
  });
});

describe('a resumable upload moves between api nodes (PostgreSQL + S3)', {
  skip: postgresSkip('postgres'),
}, () => {
  const cluster = useCluster();

  test('begun through api #1, finished through api #2, stored once with every byte', async () => {
    const [api1, api2] = [await cluster.start('api'), await cluster.start('api')];
    // Grainy, so it is bigger than S3's 5 MiB minimum part: whole parts and a partial one are staged.
    const clip = await makeClip(cluster.work, {
      name: 'walk',
      width: 640,
      height: 360,
      seconds: 4,
      grain: 40,
    });
    const bytes = await readFile(clip);
    assert.ok(bytes.length > 8 * 1024 * 1024, `a clip of ${bytes.length} bytes`);

    const first = new tus.Upload(bytes, {
      endpoint: `${api1.url}/v1/uploads`,
      chunkSize: 1536 * 1024,
      metadata: { filename: 'walk.mp4', title: 'Old town walk' },
    });
    const uploadUrl = await new Promise<string>((resolve, reject) => {
      first.options.onError = reject;
      first.options.onChunkComplete = (_size, accepted) => {
        if (accepted > 6 * 1024 * 1024) void first.abort().then(() => resolve(first.url ?? ''), reject);
      };
      first.start();
    });
    const id = uploadUrl.split('/').pop() ?? '';
    assert.ok(uploadUrl.startsWith(api1.url), uploadUrl);

    // The second node knows how far the first one got.
    const head = async (api: Proc) =>
      Number(
        (
          await fetch(`${api.url}/v1/uploads/${id}`, {
            method: 'HEAD',
            headers: { 'tus-resumable': '1.0.0' },
          })
        ).headers.get('upload-offset'),
      );
    const offset = await head(api2);
    assert.ok(offset > 6 * 1024 * 1024 && offset < bytes.length, `offset ${offset}`);
    assert.equal(await head(api1), offset);

    await new Promise<void>((resolve, reject) => {
      new tus.Upload(bytes, {
        uploadUrl: `${api2.url}/v1/uploads/${id}`,
        chunkSize: 1536 * 1024,
        onError: reject,
        onSuccess: () => resolve(),
      }).start();
    });

    const status = (await (await fetch(`${api1.url}/v1/uploads/${id}`)).json()) as {
      data: { asset_id: string; offset: number; length: number };
    };
    assert.deepEqual(status.data, { id, asset_id: id, offset: bytes.length, length: bytes.length });
    const asset = (await (await fetch(`${api1.url}/v1/assets/${id}`)).json()) as {
      data: { title: string; source: { size: number; sha256: string | null } };
    };
    assert.equal(asset.data.title, 'Old town walk');
    assert.equal(asset.data.source.size, bytes.length);
    // Hashed part by part on both nodes, the hash state handed over in the part ledger.
    assert.equal(asset.data.source.sha256, sha256(bytes));

    const store = new S3ObjectStore(parseS3Url(cluster.s3.url));
    const stored = await store.getBuffer(`sources/${id}/original`);
    assert.equal(sha256(stored), sha256(bytes), 'the stored source is the uploaded file, byte for byte');
    // The staged bytes are gone (copied server-side); only the upload's metadata waits for the sweep.
    assert.deepEqual(await store.list(`tus/${id}`), [`tus/${id}.info`]);
    assert.equal(await head(api2), bytes.length, 'a finished upload still answers HEAD');
  });
});

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
