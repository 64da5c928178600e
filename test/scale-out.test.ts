import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { postgresSkip } from '../src/db/test-databases.ts';
import { parseS3Url, S3ObjectStore } from '../src/storage/s3-store.ts';
import { makeClip } from './fixtures/media.ts';
import { startS3 } from './helpers/s3.ts';
import { isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { checkUploadSweep } from './helpers/tus-sweep.ts';
import { waitFor } from './helpers/wait.ts';

describe('VOD on the scale-out adapters: PostgreSQL + S3 (s3rver, AWS SDK)', {
  skip: postgresSkip('postgres'),
}, () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let server: TestServer;
  let store: S3ObjectStore;
  let dir: string;

  before(async () => {
    s3 = await startS3();
    store = new S3ObjectStore(parseS3Url(s3.url));
    // Segments redirect to presigned bucket URLs; playlists and images stay on the api.
    // No trash: a deletion removes the objects at once (test/trash.test.ts has the trash).
    server = await startTestServer(
      { STORAGE_URL: s3.url, FRAMEHOUSE_SEGMENT_REDIRECT_SECONDS: '600', FRAMEHOUSE_TRASH_DAYS: '0' },
      undefined,
      'postgres',
    );
    dir = await mkdtemp(join(tmpdir(), 'fh-scale-'));
  });
  after(async () => {
    await server.stop();
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('upload → ready → play with ranges → thumbnail → delete removes every object', async () => {
    const ready = await server.api<{ checks: Record<string, string> }>('/readyz');
    assert.deepEqual(ready.body.checks, { database: 'ok', object_store: 'ok', ffmpeg: 'ok' });

    const created = await server.upload(
      await makeClip(dir, { name: 'harbour', width: 640, height: 360, seconds: 3 }),
    );
    const asset = await server.waitForAsset(created.id, isFinished);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    assert.match(asset.source.sha256 ?? '', /^[0-9a-f]{64}$/);

    const master = await server.api<string>(asset.playback.hls);
    assert.match(master.body, /RESOLUTION=640x360/);
    const base = asset.playback.hls.replace('master.m3u8', '');
    const playlist = await server.api<string>(`${base}360p/index.m3u8`);
    assert.match(playlist.body, /#EXT-X-ENDLIST/);
    const seg = new URL(`${base}360p/seg_00000.m4s`, server.url);
    const redirect = await fetch(seg, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('cache-control'), 'public, max-age=300');
    assert.ok(redirect.headers.get('location')?.startsWith(s3.endpoint), 'straight from the bucket');
    assert.match(redirect.headers.get('location') ?? '', /X-Amz-Signature=/);
    // A player follows the redirect; the bucket answers the range.
    const part = await fetch(seg, { headers: { range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    assert.equal((await part.arrayBuffer()).byteLength, 100);
    const thumb = await fetch(new URL(`${asset.playback.thumbnail}?time=1&width=160`, server.url));
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg');

    const stored = await store.list('');
    assert.ok(stored.includes(`sources/${asset.id}/original`));
    assert.ok(stored.includes(`hls/${asset.id}/master.m3u8`));
    assert.ok(stored.some((k) => k.startsWith(`images/${asset.id}/thumbs/`)));

    assert.equal((await server.api(`/v1/assets/${asset.id}`, { method: 'DELETE' })).status, 204);
    await waitFor(async () => !(await store.list('')).some((k) => k.includes(asset.id)), {
      what: "the asset's objects to be removed",
    });
    assert.deepEqual(
      (await store.list('')).filter((k) => k.includes(asset.id)),
      [],
    );
  });

  test('the sweep drops expired uploads and clears the staging of finished ones (S3)', async () => {
    await checkUploadSweep(server, (id) => store.list(`tus/${id}`));
  });
});
