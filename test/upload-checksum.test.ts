import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exited, spawnServe } from './helpers/processes.ts';
import { startS3 } from './helpers/s3.ts';

type Server = Awaited<ReturnType<typeof spawnServe>>;
const TUS = { 'tus-resumable': '1.0.0' };
const MiB = 1024 * 1024;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function createUpload(server: Server, size: number): Promise<string> {
  const res = await fetch(`${server.url}/v1/uploads`, {
    method: 'POST',
    headers: { ...TUS, 'upload-length': String(size) },
  });
  assert.equal(res.status, 201);
  return new URL(res.headers.get('location') ?? '', server.url).pathname.split('/').pop() ?? '';
}

async function offsetOf(server: Server, id: string): Promise<number> {
  const res = await fetch(`${server.url}/v1/uploads/${id}`, { method: 'HEAD', headers: TUS });
  return Number(res.headers.get('upload-offset'));
}

/**
 * A tus PATCH whose body trickles out (`piece` bytes every `everyMs`), so that the server can be
 * killed while it is in the middle of one. Settles with the response, or the error once the
 * server is gone.
 */
function patch(server: Server, id: string, bytes: Buffer, offset: number, piece = bytes.length, everyMs = 0) {
  let sent = offset;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= bytes.length) return controller.close();
      if (everyMs) await sleep(everyMs);
      const end = Math.min(sent + piece, bytes.length);
      controller.enqueue(bytes.subarray(sent, end));
      sent = end;
    },
  });
  const done = fetch(`${server.url}/v1/uploads/${id}`, {
    method: 'PATCH',
    headers: { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
    body,
    duplex: 'half',
  } as RequestInit).then(
    (res) => res,
    (err: Error) => err,
  );
  return { done, sent: () => sent };
}

/** Sends what the server does not have yet (asking it how far it got) until the upload is complete. */
async function resume(server: Server, id: string, bytes: Buffer): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const offset = await offsetOf(server, id);
    if (offset === bytes.length) return;
    const res = await patch(server, id, bytes, offset).done;
    if (res instanceof Response && res.status === 204) return;
    await sleep(200);
  }
  throw new Error(`upload ${id} did not complete`);
}

async function sourceOf(server: Server, id: string): Promise<{ size: number; sha256: string | null }> {
  const status = (await (await fetch(`${server.url}/v1/uploads/${id}`)).json()) as {
    data: { asset_id: string };
  };
  assert.ok(status.data.asset_id, `upload ${id} became an asset`);
  const asset = (await (await fetch(`${server.url}/v1/assets/${status.data.asset_id}`)).json()) as {
    data: { source: { size: number; sha256: string | null } };
  };
  return { size: asset.data.source.size, sha256: asset.data.source.sha256 };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function query<T>(dataDir: string, sql: string, ...params: string[]): T[] {
  const db = new DatabaseSync(join(dataDir, 'framehouse.db'));
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

async function kill(server: Server): Promise<void> {
  server.child.kill('SIGKILL');
  await exited(server.child);
}

describe('an upload interrupted by a crash keeps its checksum (a real server, SIGKILLed)', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'fh-upload-sum-'));
  });
  after(() => rm(work, { recursive: true, force: true }));

  test('local folder: killed in the middle of a PATCH, with the file ahead of the saved hash', async () => {
    const dataDir = await mkdtemp(join(work, 'local-'));
    const env = { FRAMEHOUSE_DATA_DIR: dataDir };
    let server = await spawnServe(env);
    try {
      const bytes = randomBytes(6 * MiB);
      const id = await createUpload(server, bytes.length);
      // A first whole chunk: its hash state is saved with the upload.
      const first = await patch(server, id, bytes.subarray(0, MiB), 0).done;
      assert.ok(first instanceof Response && first.status === 204);
      // The second chunk trickles in; the server dies once part of it is on disk.
      const second = patch(server, id, bytes, MiB, 64 * 1024, 10);
      const staged = join(dataDir, 'tus', id);
      await until('part of the second chunk on disk', async () => (await stat(staged)).size >= 2 * MiB);
      await kill(server);
      assert.ok((await second.done) instanceof Error);
      assert.ok(second.sent() < bytes.length, 'killed before the chunk was all sent');

      const onDisk = (await stat(staged)).size;
      const [saved] = query<{ hash_bytes: number }>(
        dataDir,
        'select hash_bytes from uploads where id = ?',
        id,
      );
      assert.equal(saved?.hash_bytes, MiB, 'the saved hash covers the first chunk only');
      assert.ok(onDisk > MiB, `the file holds more (${onDisk} bytes) than the hash covers`);

      server = await spawnServe({ ...env, PORT: new URL(server.url).port });
      assert.equal(await offsetOf(server, id), onDisk, 'the upload resumes where the bytes stop');
      await resume(server, id, bytes);
      // Set when the asset is made: no waiting for the probe.
      assert.deepEqual(await sourceOf(server, id), { size: bytes.length, sha256: sha256(bytes) });
    } finally {
      await kill(server);
    }
  });

  test('S3: killed in the middle of a PATCH, after a part is stored and before the next one is', async () => {
    const s3 = await startS3();
    const dataDir = await mkdtemp(join(work, 's3-'));
    const env = { FRAMEHOUSE_DATA_DIR: dataDir, STORAGE_URL: s3.url };
    let server = await spawnServe(env);
    try {
      // Three 8 MiB parts (the last one short).
      const bytes = randomBytes(20 * MiB);
      const id = await createUpload(server, bytes.length);
      const sending = patch(server, id, bytes, 0, 128 * 1024, 10);
      const parts = () =>
        query<{ part_number: number; size: number; hash_bytes: number | null }>(
          dataDir,
          'select part_number, size, hash_bytes from upload_parts where upload_id = ? order by part_number',
          id,
        );
      await until('a part in the ledger', () => parts().length > 0);
      await kill(server);
      assert.ok((await sending.done) instanceof Error);
      assert.ok(sending.sent() < bytes.length, 'killed before the chunk was all sent');
      const ledger = parts();
      assert.ok(ledger.length < 3, 'killed before the last part');
      const stored = ledger.reduce((sum, p) => sum + p.size, 0);
      assert.equal(
        ledger.at(-1)?.hash_bytes,
        stored,
        'the hash saved with the last part covers every stored part',
      );

      server = await spawnServe({ ...env, PORT: new URL(server.url).port });
      await resume(server, id, bytes);
      assert.deepEqual(await sourceOf(server, id), { size: bytes.length, sha256: sha256(bytes) });
    } finally {
      await kill(server);
      await s3.stop();
    }
  });

  test('the issue: 20 concurrent uploads, the server killed after 3 s and restarted, every upload resumed', async (t) => {
    const dataDir = await mkdtemp(join(work, 'twenty-'));
    const env = { FRAMEHOUSE_DATA_DIR: dataDir };
    let server = await spawnServe(env);
    try {
      const files = Array.from({ length: 20 }, () => randomBytes(2 * MiB));
      const ids = await Promise.all(files.map((b) => createUpload(server, b.length)));
      // Each client sends its file in 512 KiB PATCHes at about 0.4 MiB/s: all of them are mid-way at 3 s.
      const uploads = files.map(async (bytes, i) => {
        const id = ids[i] ?? '';
        for (let offset = 0; offset < bytes.length; ) {
          const end = Math.min(offset + 512 * 1024, bytes.length);
          const res = await patch(server, id, bytes.subarray(0, end), offset, 16 * 1024, 40).done;
          if (!(res instanceof Response) || res.status !== 204) break; // the server died
          offset = Number(res.headers.get('upload-offset'));
        }
      });
      await sleep(3000);
      await kill(server);
      await Promise.all(uploads);
      const staged = await Promise.all(ids.map(async (id) => (await stat(join(dataDir, 'tus', id))).size));
      assert.ok(
        staged.every((size) => size > 0 && size < 2 * MiB),
        `every upload was cut short (${staged.join(', ')} bytes on disk)`,
      );
      const hashed = ids.map(
        (id) =>
          query<{ n: number | null }>(dataDir, 'select hash_bytes as n from uploads where id = ?', id)[0]
            ?.n ?? 0,
      );
      const behind = staged.filter((size, i) => size > (hashed[i] ?? 0)).length;
      assert.ok(
        behind > 0,
        'some were killed in the middle of a PATCH, their file ahead of their saved hash',
      );
      t.diagnostic(`${behind} of 20 uploads killed in the middle of a PATCH`);

      server = await spawnServe({ ...env, PORT: new URL(server.url).port });
      await Promise.all(files.map((bytes, i) => resume(server, ids[i] ?? '', bytes)));
      const sources = await Promise.all(ids.map((id) => sourceOf(server, id)));
      assert.deepEqual(
        sources,
        files.map((b) => ({ size: b.length, sha256: sha256(b) })),
      );
    } finally {
      await kill(server);
    }
  });
});
