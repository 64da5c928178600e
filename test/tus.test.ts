import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tus from 'tus-js-client';
import { makeClip } from './fixtures/media.ts';
import { runCli } from './helpers/processes.ts';
import { startS3 } from './helpers/s3.ts';
import { isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { checkUploadSweep } from './helpers/tus-sweep.ts';
import { waitForValue } from './helpers/wait.ts';

describe('resumable uploads (tus 1.0, tus-js-client)', () => {
  let dir: string;
  let clip: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-tus-'));
    clip = await makeClip(dir, { name: 'tour', width: 640, height: 360, seconds: 4 });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('an upload interrupted by a server restart resumes and becomes an asset', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fh-tus-data-'));
    let server: TestServer = await startTestServer({}, dataDir);
    const port = String(new URL(server.url).port);
    const size = (await stat(clip)).size;
    let restarted = false;
    let restarting: Promise<void> | null = null;
    const offsets: number[] = [];

    const uploadUrl = await new Promise<string>((resolve, reject) => {
      const upload = new tus.Upload(createReadStream(clip), {
        endpoint: `${server.url}/v1/uploads`,
        chunkSize: 64 * 1024,
        uploadSize: size,
        retryDelays: [100, 300, 500, 1000, 1000, 2000, 2000, 3000],
        metadata: { filename: 'tour.mp4', title: 'Harbour tour' },
        onProgress: (sent) => {
          offsets.push(sent);
          if (!restarted && sent > size / 3) {
            restarted = true;
            // Stop the server under the client's feet, then start a new one on the same port and data.
            restarting = (async () => {
              await server.close();
              server = await startTestServer({ PORT: port }, dataDir);
            })();
          }
        },
        onError: reject,
        onSuccess: () => resolve(upload.url ?? ''),
      });
      upload.start();
    });
    await restarting;
    assert.ok(restarted);
    const id = uploadUrl.split('/').pop() ?? '';
    const status = await server.api<{
      data: { id: string; asset_id: string; offset: number; length: number };
    }>(`/v1/uploads/${id}`);
    assert.equal(status.body.data.offset, size);
    assert.equal(status.body.data.length, size);
    const asset = await server.waitForAsset(status.body.data.asset_id, isFinished);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    assert.equal(asset.title, 'Harbour tour');
    assert.equal(asset.source.size, size);
    assert.match(asset.source.sha256 ?? '', /^[0-9a-f]{64}$/);
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('HEAD reports the offset; termination removes the upload; bad ids get coded errors', async () => {
    const server = await startTestServer();
    try {
      const created = await fetch(`${server.url}/v1/uploads`, {
        method: 'POST',
        headers: {
          'tus-resumable': '1.0.0',
          'upload-length': '1000',
          'upload-metadata': `filename ${Buffer.from('../../x.mp4').toString('base64')}`,
        },
      });
      assert.equal(created.status, 201);
      const location = created.headers.get('location') ?? '';
      const url = new URL(location, server.url);
      const patch = await fetch(url, {
        method: 'PATCH',
        headers: {
          'tus-resumable': '1.0.0',
          'upload-offset': '0',
          'content-type': 'application/offset+octet-stream',
        },
        body: Buffer.alloc(400, 7),
      });
      assert.equal(patch.status, 204);
      const head = await fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
      assert.equal(head.headers.get('upload-offset'), '400');
      const info = await server.api<{ data: { asset_id: null; offset: number } }>(url.pathname);
      assert.deepEqual(info.body.data, {
        id: url.pathname.split('/').pop(),
        asset_id: null,
        offset: 400,
        length: 1000,
      });
      const del = await fetch(url, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0' } });
      assert.equal(del.status, 204);
      const gone = await fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
      assert.equal(gone.status, 404);
      const missing = await server.api<{ error: { code: string } }>('/v1/uploads/zzzzzzzzzzzzzzzzzzzz');
      assert.equal(missing.body.error.code, 'FH_ERR_UPLOAD_NOT_FOUND');
    } finally {
      await server.stop();
    }
  });

  test('a zero-byte tus upload is created (201), becomes an errored asset, and HEAD keeps saying complete', async () => {
    const server = await startTestServer();
    try {
      const created = await fetch(`${server.url}/v1/uploads`, {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-length': '0' },
      });
      assert.equal(created.status, 201);
      const url = new URL(created.headers.get('location') ?? '', server.url);
      const info = await server.api<{ data: { asset_id: string; offset: number; length: number } }>(
        url.pathname,
      );
      assert.equal(info.body.data.length, 0);
      const asset = await server.waitForAsset(info.body.data.asset_id, isFinished);
      assert.equal(asset.status, 'errored');
      assert.equal(asset.errors[0]?.code, 'FH_ERR_EMPTY_FILE');
      for (let i = 0; i < 2; i++) {
        const head = await fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('upload-offset'), '0');
        assert.equal(head.headers.get('upload-length'), '0');
      }
    } finally {
      await server.stop();
    }
  });

  test('the same zero-byte upload on S3 staging (it was a 500: S3 completes no multipart upload of no parts)', async () => {
    const s3 = await startS3();
    const server = await startTestServer({ STORAGE_URL: s3.url });
    try {
      const created = await fetch(`${server.url}/v1/uploads`, {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-length': '0' },
      });
      assert.equal(created.status, 201, await created.text());
      const url = new URL(created.headers.get('location') ?? '', server.url);
      const info = await server.api<{ data: { asset_id: string } }>(url.pathname);
      const asset = await server.waitForAsset(info.body.data.asset_id, isFinished);
      assert.equal(asset.errors[0]?.code, 'FH_ERR_EMPTY_FILE');
    } finally {
      await server.stop();
      await s3.stop();
    }
  });

  test('`framehouse upload` rides out a server restart in the middle of the upload', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fh-cli-restart-'));
    let server = await startTestServer({}, dataDir);
    const port = String(new URL(server.url).port);
    const state = await mkdtemp(join(tmpdir(), 'fh-cli-'));
    const big = await makeClip(dir, { name: 'big', width: 1280, height: 720, seconds: 6 });
    const size = (await stat(big)).size;
    const cli = runCli(['upload', big, '--server', server.url, '--wait', '--chunk-size', '65536'], {
      XDG_STATE_HOME: state,
    });
    try {
      // Once part of the file is on the server, restart it under the client's feet.
      const tusDir = join(dataDir, 'tus');
      const received = await waitForValue(
        async () => {
          const names = await readdir(tusDir).catch((): string[] => []);
          const partial = names.find((n) => !n.endsWith('.json'));
          return partial ? (await stat(join(tusDir, partial))).size : 0;
        },
        (bytes) => bytes > size / 4,
        { timeoutMs: 20_000, intervalMs: 10, what: 'a quarter of the upload on the server' },
      );
      await server.close();
      assert.ok(received < size, `the restart came mid-upload (${received} of ${size} bytes)`);
      await sleep(500);
      server = await startTestServer({ PORT: port }, dataDir);
      assert.equal(await cli.exit, 0, cli.output());
      const assetId = /asset ([a-z0-9]+)/.exec(cli.output())?.[1] ?? '';
      const asset = (
        await server.api<{ data: { status: string; source: { size: number } } }>(`/v1/assets/${assetId}`)
      ).body.data;
      assert.equal(asset.status, 'ready');
      assert.equal(asset.source.size, size);
      const assets = await server.api<{ data: unknown[] }>('/v1/assets');
      assert.equal(assets.body.data.length, 1, 'resumed, not uploaded twice');
    } finally {
      cli.child.kill('SIGKILL');
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('the sweep drops expired uploads and clears the staging of finished ones (local folder)', async () => {
    const server = await startTestServer();
    try {
      const tusDir = join(server.dataDir, 'tus');
      await checkUploadSweep(server, async (id) =>
        (await readdir(tusDir).catch((): string[] => [])).filter((n) => n.startsWith(id)),
      );
    } finally {
      await server.stop();
    }
  });

  test('`framehouse upload FILE --wait` uploads with progress and waits for ready', async () => {
    const server = await startTestServer();
    try {
      const state = await mkdtemp(join(tmpdir(), 'fh-cli-'));
      const cli = runCli(['upload', clip, '--server', server.url, '--wait', '--chunk-size', '200000'], {
        XDG_STATE_HOME: state,
      });
      const code = await cli.exit;
      const out = cli.output();
      assert.equal(code, 0, out);
      assert.match(out, /uploading \|.*\| 100%/);
      assert.match(out, /ready: http:\/\/127\.0\.0\.1:\d+\/play\/[a-z0-9]+\/master\.m3u8/);
      const assetId = /asset ([a-z0-9]+)/.exec(out)?.[1] ?? '';
      const asset = (
        await server.api<{ data: { status: string; progress: number } }>(`/v1/assets/${assetId}`)
      ).body.data;
      assert.equal(asset.status, 'ready');
      assert.equal(asset.progress, 1);
    } finally {
      await server.stop();
    }
  });
});
