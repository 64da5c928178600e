import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresSkip, TEST_DIALECTS } from '../src/db/test-databases.ts';
import { makeClip } from './fixtures/media.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { waitFor } from './helpers/wait.ts';

type ErrorBody = { error: { code: string; message: string } };

for (const dialect of TEST_DIALECTS) {
  describe(`REST API contract on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let server: TestServer;
    let dir: string;

    before(async () => {
      server = await startTestServer({ FRAMEHOUSE_MAX_UPLOAD_BYTES: String(200 * 1024) }, undefined, dialect);
      dir = await mkdtemp(join(tmpdir(), 'fh-api-'));
    });
    after(() => server.stop());

    test('health, readiness and the OpenAPI document', async () => {
      assert.deepEqual((await server.api('/healthz')).body, { status: 'ok' });
      const ready = await server.api<{ status: string; checks: Record<string, string> }>('/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body.checks, { database: 'ok', object_store: 'ok', ffmpeg: 'ok' });
      const spec = await server.api<{ openapi: string; paths: Record<string, unknown> }>('/docs/json');
      assert.match(spec.body.openapi, /^3\./);
      assert.ok(spec.body.paths['/v1/assets']);
    });

    test('POST /v1/assets answers 202 with the asset and a Location header', async () => {
      const form = new FormData();
      const { openAsBlob } = await import('node:fs');
      form.append('title', '  Lisbon walk  ');
      form.append(
        'file',
        await openAsBlob(await makeClip(dir, { name: 'a', seconds: 1 })),
        '../../etc/evil name.mp4',
      );
      const res = await server.api<{ data: AssetBody }>('/v1/assets', { method: 'POST', body: form });
      assert.equal(res.status, 202);
      assert.equal(res.headers.get('location'), `/v1/assets/${res.body.data.id}`);
      assert.match(res.body.data.id, /^[a-z0-9]{20}$/);
      assert.equal(res.body.data.title, 'Lisbon walk');
      assert.equal(res.body.data.source.filename, 'evil name.mp4', 'directories dropped, kept as text only');
      const sources = await readdir(join(server.dataDir, 'objects', 'sources', res.body.data.id));
      assert.deepEqual(sources, ['original'], 'the filename never steers the stored path');
      await server.waitForAsset(res.body.data.id, isFinished);
    });

    test('control characters in a file name or title are left out, on upload and on PATCH', async () => {
      const nasty = 'a\u0000b\u0001\u001b[31m X-Injected: 1\u0085.mp4';
      const form = new FormData();
      form.append('title', `  Title\u0000 with\r\nbreaks\u007f `);
      form.append('file', new Blob([Buffer.from('not media')]), nasty);
      const res = await server.api<{ data: AssetBody }>('/v1/assets', { method: 'POST', body: form });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.data.title, 'Title withbreaks');
      assert.equal(res.body.data.source.filename, 'ab[31m X-Injected: 1.mp4');
      const patched = await server.api<{ data: AssetBody }>(`/v1/assets/${res.body.data.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'New\u0000\r\ntitle' }),
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.data.title, 'Newtitle');
      await server.waitForAsset(res.body.data.id, isFinished);
    });

    test('a malformed multipart body is a 400 with a code, not a 500', async () => {
      // Cut before its closing boundary: on PostgreSQL the route awaits the database before it reads
      // the parts, the body is all in by then, and the request used to hang.
      const cut = await server.api<ErrorBody>('/v1/assets', {
        method: 'POST',
        signal: AbortSignal.timeout(20_000),
        headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
        body: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\nbytes, no end',
      });
      assert.equal(cut.status, 400, JSON.stringify(cut.body));
      assert.equal(cut.body.error.code, 'FH_ERR_VALIDATION');
      const noBoundary = await server.api<ErrorBody>('/v1/assets', {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data' },
        body: 'file=x',
      });
      assert.equal(noBoundary.status, 400, JSON.stringify(noBoundary.body));
      assert.equal(noBoundary.body.error.code, 'FH_ERR_VALIDATION');
    });

    test('upload errors have codes: no file, wrong content type, too large', async () => {
      const noFile = new FormData();
      noFile.append('title', 'x');
      const r1 = await server.api<ErrorBody>('/v1/assets', { method: 'POST', body: noFile });
      assert.equal(r1.status, 400);
      assert.equal(r1.body.error.code, 'FH_ERR_UPLOAD_MISSING_FILE');

      const r2 = await server.api<ErrorBody>('/v1/assets', {
        method: 'POST',
        body: JSON.stringify({ title: 'x' }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r2.status, 415);
      assert.equal(r2.body.error.code, 'FH_ERR_UNSUPPORTED_CONTENT_TYPE');
      // JSON with a `url` is URL ingest (test/url-ingest.test.ts); a URL that is not http(s) is refused.
      const notAUrl = await server.api<ErrorBody>('/v1/assets', {
        method: 'POST',
        body: JSON.stringify({ url: 'x' }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(notAUrl.status, 400);
      assert.equal(notAUrl.body.error.code, 'FH_ERR_VALIDATION');

      const big = new FormData();
      big.append('file', new Blob([Buffer.alloc(300 * 1024, 1)]), 'big.mp4');
      const r3 = await server.api<ErrorBody>('/v1/assets', { method: 'POST', body: big });
      assert.equal(r3.status, 413);
      assert.equal(r3.body.error.code, 'FH_ERR_UPLOAD_TOO_LARGE');
      assert.doesNotMatch(JSON.stringify(r3.body), /at .*\.ts/, 'no stack trace');
      const list = await server.api<{ data: AssetBody[] }>('/v1/assets?limit=100');
      assert.ok(
        list.body.data.every((a) => a.source.size !== 300 * 1024),
        'nothing half-stored became an asset',
      );
    });

    test('get, list with cursor, patch, delete', async () => {
      const { openAsBlob } = await import('node:fs');
      const clip = await makeClip(dir, { name: 'b', seconds: 1 });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const form = new FormData();
        form.append('file', await openAsBlob(clip), `clip-${i}.mp4`);
        ids.push(
          (await server.api<{ data: AssetBody }>('/v1/assets', { method: 'POST', body: form })).body.data.id,
        );
        await sleep(5);
      }
      const page1 = await server.api<{ data: AssetBody[]; next_cursor: string }>('/v1/assets?limit=2');
      assert.deepEqual(
        page1.body.data.map((a) => a.id),
        [ids[2], ids[1]],
      );
      assert.ok(page1.body.next_cursor);
      const page2 = await server.api<{ data: AssetBody[] }>(
        `/v1/assets?limit=2&cursor=${page1.body.next_cursor}`,
      );
      assert.equal(page2.body.data[0]?.id, ids[0]);
      assert.equal(
        (await server.api<ErrorBody>('/v1/assets?cursor=garbage')).body.error.code,
        'FH_ERR_CURSOR_INVALID',
      );

      const id = ids[0] ?? '';
      assert.equal((await server.api<{ data: AssetBody }>(`/v1/assets/${id}`)).body.data.title, 'clip-0');
      const patched = await server.api<{ data: AssetBody }>(`/v1/assets/${id}`, {
        method: 'PATCH',
        body: JSON.stringify({ title: 'Renamed' }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(patched.body.data.title, 'Renamed');
      const bad = await server.api<ErrorBody>(`/v1/assets/${id}`, {
        method: 'PATCH',
        body: JSON.stringify({ status: 'ready' }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'FH_ERR_VALIDATION');

      for (const x of ids) await server.waitForAsset(x, isFinished);
      const ready = (await server.api<{ data: AssetBody }>(`/v1/assets/${id}`)).body.data;
      assert.equal((await server.api(ready.playback.hls)).status, 200);
      assert.equal((await server.api(`/v1/assets/${id}`, { method: 'DELETE' })).status, 204);
      const gone = await server.api<ErrorBody>(`/v1/assets/${id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.code, 'FH_ERR_ASSET_NOT_FOUND');
      assert.equal(
        (await server.api<ErrorBody>(ready.playback.hls)).body.error.code,
        'FH_ERR_PLAYBACK_NOT_FOUND',
      );
      // In the trash (FRAMEHOUSE_TRASH_DAYS, 30 by default) its objects are kept; deleted
      // forever, they go in a job right after.
      assert.ok((await readdir(join(server.dataDir, 'objects', 'hls'))).includes(id));
      assert.equal((await server.api(`/v1/assets/${id}?permanent=true`, { method: 'DELETE' })).status, 204);
      await waitFor(
        async () =>
          !(await readdir(join(server.dataDir, 'objects', 'hls')).catch((): string[] => [])).includes(id),
        { timeoutMs: 5000, what: "the asset's objects to be removed" },
      );
      assert.ok(!(await readdir(join(server.dataDir, 'objects', 'hls'))).includes(id));
      assert.ok(!(await readdir(join(server.dataDir, 'objects', 'sources'))).includes(id));
    });

    test('extra file parts are ignored, too many parts are refused with a code', async () => {
      const { openAsBlob } = await import('node:fs');
      const clip = await openAsBlob(await makeClip(dir, { name: 'parts', seconds: 1 }));
      const form = new FormData();
      form.append('attachment', new Blob(['not this one']), 'notes.txt');
      form.append('file', clip, 'parts.mp4');
      const ok = await server.api<{ data: AssetBody }>('/v1/assets', { method: 'POST', body: form });
      assert.equal(ok.status, 202);
      assert.equal(ok.body.data.source.filename, 'parts.mp4');
      const many = new FormData();
      for (let i = 0; i < 5; i++) many.append(`f${i}`, new Blob(['x']), `x${i}.bin`);
      const refused = await server.api<ErrorBody>('/v1/assets', { method: 'POST', body: many });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'FH_ERR_VALIDATION');
      await server.waitForAsset(ok.body.data.id, isFinished);
      const ready = (await server.api<{ data: AssetBody }>(`/v1/assets/${ok.body.data.id}`)).body.data;
      const seg = new URL(ready.playback.hls.replace('master.m3u8', '240p/index.m3u8'), server.url);
      assert.equal((await fetch(seg, { headers: { 'if-none-match': '*' } })).status, 304);
      const outside = await fetch(seg, { headers: { range: 'bytes=99999999-' } });
      assert.equal(outside.status, 416);
      assert.equal(outside.headers.get('cache-control'), null, 'an error is not cached as the object');
    });

    test('unknown routes and ids answer coded errors', async () => {
      const r = await server.api<ErrorBody>('/v1/nope');
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'FH_ERR_NOT_FOUND');
      assert.equal(
        (await server.api<ErrorBody>('/v1/assets/zzzzzzzzzzzzzzzzzzzz')).body.error.code,
        'FH_ERR_ASSET_NOT_FOUND',
      );
      assert.equal((await server.api<ErrorBody>('/play/zzzzzzzzzzzz/../../etc/passwd')).status, 404);
      assert.equal((await server.api<ErrorBody>('/play/zzzzzzzzzzzz/720p/..%2f..%2fsecret')).status, 404);
    });
  });
}
