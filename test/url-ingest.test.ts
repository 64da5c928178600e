import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { POSTGRES_URL } from '../src/db/test-databases.ts';
import { makeClip, makeImage, makeTextAsMp4 } from './fixtures/media.ts';
import { startS3 } from './helpers/s3.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

/** A web server on a loopback address, serving a folder, redirects (/to?u=…) and a large body (/big). */
async function website(
  host: string,
  dir: string,
): Promise<{ base: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.push(url.pathname);
    if (url.pathname === '/to')
      return void res.writeHead(302, { location: url.searchParams.get('u') ?? '/' }).end();
    if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'video/mp4' }); // chunked: no size announced
      for (let i = 0; i < 64; i++)
        if (!res.write(Buffer.alloc(64 * 1024))) await new Promise((r) => res.once('drain', r));
      return void res.end();
    }
    const file = join(dir, decodeURIComponent(url.pathname.slice(1)));
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': String(info.size) });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const { port } = server.address() as { port: number };
  return {
    base: `http://${host}:${port}`,
    hits,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const postJson = (server: TestServer, body: unknown) =>
  server.api<{ data: AssetBody; error?: { code: string; message: string } }>('/v1/assets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function ingest(server: TestServer, url: string, title?: string): Promise<AssetBody> {
  const res = await postJson(server, { url, ...(title ? { title } : {}) });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.headers.get('location'), `/v1/assets/${res.body.data.id}`);
  assert.equal(res.body.data.status, 'waiting');
  return res.body.data;
}

const errorsOf = async (server: TestServer, url: string) =>
  (await server.waitForAsset((await ingest(server, url)).id, isFinished, 60_000)).errors.map((e) => e.code);

describe('ingest from a URL', () => {
  let dir: string;
  let inside: Awaited<ReturnType<typeof website>>; // 127.0.0.1: loopback, what a URL must not reach
  let outside: Awaited<ReturnType<typeof website>>; // 127.0.0.2: stands for a public web site
  let clip: string;
  let photo: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-url-ingest-'));
    clip = await makeClip(dir, { name: 'harbour tour', seconds: 2 });
    photo = await makeImage(dir, 'jpg', 'pier');
    await makeTextAsMp4(dir, 'notes');
    inside = await website('127.0.0.1', dir);
    outside = await website('127.0.0.2', dir);
  });
  after(async () => {
    await inside.close();
    await outside.close();
    await rm(dir, { recursive: true, force: true });
  });

  // Loopback allowed explicitly (FRAMEHOUSE_INGEST_ALLOW_PRIVATE): the success path, on
  // PostgreSQL and S3 where the machine has PostgreSQL (the body streams into a multipart upload).
  describe(`allowed explicitly, ${POSTGRES_URL ? 'PostgreSQL' : 'SQLite'} + S3`, () => {
    let server: TestServer;
    let s3: Awaited<ReturnType<typeof startS3>>;
    before(async () => {
      s3 = await startS3();
      server = await startTestServer(
        { FRAMEHOUSE_INGEST_ALLOW_PRIVATE: 'true', STORAGE_URL: s3.url },
        undefined,
        POSTGRES_URL ? 'postgres' : 'sqlite',
      );
    });
    after(async () => {
      await server.stop();
      await s3.stop();
    });

    test('a video: 202 at once with its fetch job, then fetched, hashed, probed and played', async () => {
      const created = await ingest(
        server,
        `${inside.base}/to?u=${encodeURIComponent('/harbour%20tour.mp4')}`,
      );
      assert.equal(created.title, 'to', 'named after the URL until a title is given');
      const jobs = await server.db
        .selectFrom('jobs')
        .select(['type', 'payload'])
        .where('payload', 'like', `%${created.id}%`)
        .execute();
      assert.deepEqual(
        jobs.map((j) => j.type),
        ['ingest.fetch-url'],
        'the asset and its fetch job are made together',
      );

      const titled = await ingest(server, `${inside.base}/harbour%20tour.mp4`, 'Harbour tour');
      assert.equal(titled.title, 'Harbour tour');
      const asset = await server.waitForAsset(titled.id, isFinished);
      const bytes = await readFile(clip);
      assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
      assert.equal(asset.kind, 'video');
      assert.deepEqual(asset.source, {
        filename: 'harbour tour.mp4',
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
      const master = await server.api<string>(asset.playback.hls);
      assert.equal(master.status, 200);
      assert.match(master.body, /#EXTM3U/);
      assert.equal((await server.waitForAsset(created.id, isFinished)).status, 'ready');
    });

    test('a photo', async () => {
      const asset = await server.waitForAsset(
        (await ingest(server, `${inside.base}/pier.jpg`)).id,
        isFinished,
      );
      assert.deepEqual([asset.status, asset.kind, asset.title], ['ready', 'image', 'pier']);
      assert.equal(asset.source.size, (await stat(photo)).size);
    });

    test('what is not media ends errored as an upload would', async () => {
      assert.deepEqual(await errorsOf(server, `${inside.base}/notes.mp4`), ['FH_ERR_NOT_MEDIA']);
    });
  });

  // Only 127.0.0.2 allowed (FRAMEHOUSE_INGEST_ALLOWED_IPS): it stands for a public site, and
  // everything else not public is refused, including where that site redirects.
  describe('guarded (only the stand-in public site allowed)', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({
        FRAMEHOUSE_INGEST_ALLOWED_IPS: '127.0.0.2',
        FRAMEHOUSE_INGEST_MAX_BYTES: '2000000',
      });
    });
    after(() => server.stop());

    test('the allowed site serves; a redirect from it to loopback or the metadata address is refused', async () => {
      const ok = await server.waitForAsset((await ingest(server, `${outside.base}/pier.jpg`)).id, isFinished);
      assert.equal(ok.status, 'ready');
      const before = inside.hits.length;
      for (const target of [
        `${inside.base}/harbour%20tour.mp4`,
        `http://localhost:${new URL(inside.base).port}/pier.jpg`,
        'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
        'http://[::ffff:169.254.169.254]/latest/meta-data/',
      ]) {
        assert.deepEqual(await errorsOf(server, target), ['FH_ERR_ADDRESS_REFUSED'], target);
        assert.deepEqual(
          await errorsOf(server, `${outside.base}/to?u=${encodeURIComponent(target)}`),
          ['FH_ERR_ADDRESS_REFUSED'],
          `redirect to ${target}`,
        );
      }
      assert.equal(inside.hits.length, before, 'no request reached loopback');
    });

    test('too large, missing, and not-http(s) URLs', async () => {
      assert.deepEqual(await errorsOf(server, `${outside.base}/big`), ['FH_ERR_FETCH_TOO_LARGE']);
      assert.deepEqual(await errorsOf(server, `${outside.base}/missing.mp4`), ['FH_ERR_FETCH_FAILED']);
      const assetsBefore = (await server.api<{ data: unknown[] }>('/v1/assets?limit=100')).body.data.length;
      for (const url of [
        'ftp://example.com/a.mp4',
        'file:///etc/passwd',
        'javascript:alert(1)',
        'not a url',
      ]) {
        const res = await postJson(server, { url });
        assert.equal(res.status, 400, url);
        assert.equal(res.body.error?.code, 'FH_ERR_VALIDATION');
      }
      assert.equal((await postJson(server, { url: 42 })).status, 400);
      assert.equal(
        (await postJson(server, { title: 'no url' })).body.error?.code,
        'FH_ERR_UNSUPPORTED_CONTENT_TYPE',
      );
      const assetsAfter = (await server.api<{ data: unknown[] }>('/v1/assets?limit=100')).body.data.length;
      assert.equal(assetsAfter, assetsBefore, 'a refused request makes no asset');
    });
  });

  describe('defaults: no private address allowed', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(() => server.stop());

    test('every loopback address is refused', async () => {
      const before = outside.hits.length + inside.hits.length;
      assert.deepEqual(await errorsOf(server, `${outside.base}/pier.jpg`), ['FH_ERR_ADDRESS_REFUSED']);
      assert.deepEqual(await errorsOf(server, `${inside.base}/pier.jpg`), ['FH_ERR_ADDRESS_REFUSED']);
      assert.equal(outside.hits.length + inside.hits.length, before);
    });
  });
});
