import assert from 'node:assert/strict';
import type { TestServer } from './server.ts';

const TUS = { 'tus-resumable': '1.0.0' };

/**
 * The hourly upload sweep, on any staging area: an upload left unfinished past its expiry is
 * dropped with its staged bytes; a finished one keeps its asset and loses only its staging.
 * `staged(id)` lists what the staging area holds for an upload.
 */
export async function checkUploadSweep(server: TestServer, staged: (id: string) => Promise<string[]>) {
  const create = async (length: number) => {
    const res = await fetch(`${server.url}/v1/uploads`, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': String(length) },
    });
    assert.equal(res.status, 201);
    return (res.headers.get('location') ?? '').split('/').pop() ?? '';
  };
  const patch = (id: string, offset: number, body: Buffer) =>
    fetch(`${server.url}/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
      body,
    });

  const abandoned = await create(1000);
  assert.equal((await patch(abandoned, 0, Buffer.alloc(400, 1))).status, 204);
  const finished = await create(10);
  assert.equal((await patch(finished, 0, Buffer.alloc(10, 2))).status, 204);
  assert.ok((await staged(abandoned)).length > 0);
  assert.ok((await staged(finished)).length > 0);

  const uploads = server.uploads;
  assert.ok(uploads);
  await uploads.sweep(0, 0);
  assert.deepEqual(await staged(abandoned), []);
  assert.deepEqual(await staged(finished), []);
  const head = (id: string) => fetch(`${server.url}/v1/uploads/${id}`, { method: 'HEAD', headers: TUS });
  assert.equal((await head(abandoned)).status, 404, 'an expired upload is gone');
  const done = await head(finished);
  assert.equal(done.status, 200, 'a finished upload still reports complete');
  assert.equal(done.headers.get('upload-offset'), '10');
  const asset = await server.api<{ data: { source: { size: number } } }>(`/v1/assets/${finished}`);
  assert.equal(asset.body.data.source.size, 10, 'its asset keeps the bytes');
  const row = await server.db
    .selectFrom('uploads')
    .select('staging_cleared_at')
    .where('id', '=', finished)
    .executeTakeFirst();
  assert.ok(row?.staging_cleared_at, 'the sweep does not come back to it');
}
