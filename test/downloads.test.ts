import assert from 'node:assert/strict';
import { existsSync, openAsBlob } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseDisposition } from 'content-disposition';
import { POSTGRES_URL } from '../src/db/test-databases.ts';
import { createObjectStore } from '../src/storage/create-store.ts';
import { mediaKeys } from '../src/storage/media-keys.ts';
import { makeClip } from './fixtures/media.ts';
import { packetChecksums, probe, topLevelBoxes } from './helpers/mp4.ts';
import { startS3 } from './helpers/s3.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

interface Download {
  name: string;
  width: number | null;
  height: number | null;
  size: number | null;
  status: string;
  url: string | null;
}
type Asset = AssetBody & { mp4_support: string; downloads: Download[] };

const settled = (a: Asset) =>
  isFinished(a) && a.downloads.every((d) => d.status === 'ready' || d.status === 'errored');

async function uploadWith(server: TestServer, file: string, fields: Record<string, string>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', await openAsBlob(file), file.split('/').pop());
  return server.api<{ data: Asset; error: { code: string; message: string } }>('/v1/assets', {
    method: 'POST',
    body: form,
  });
}

async function patch(server: TestServer, id: string, body: object) {
  return server.api<{ data: Asset; error: { code: string; message: string } }>(`/v1/assets/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const get = (server: TestServer, path: string, headers: Record<string, string> = {}) =>
  fetch(new URL(path, server.url), { headers });

/** The download objects of an asset in the server's local store. */
const storedDownloads = async (server: TestServer, id: string) =>
  readdir(join(server.dataDir, 'objects', 'downloads', id)).catch((): string[] => []);

/** Polls until the asset's stored download files satisfy `names` (removal is a job's work). */
async function untilStored(
  server: TestServer,
  id: string,
  names: (files: string[]) => boolean,
  list = storedDownloads,
) {
  let files: string[] = [];
  for (let i = 0; i < 150; i++) {
    files = await list(server, id);
    if (names(files)) return files;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`stored downloads of ${id} stayed ${JSON.stringify(files)}`);
}

describe('MP4 downloads (real ffmpeg, SQLite, local store)', () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    // No trash: a deletion removes the download at once (test/trash.test.ts has the trash).
    server = await startTestServer({ FRAMEHOUSE_TRASH_DAYS: '0' });
    dir = await mkdtemp(join(tmpdir(), 'fh-downloads-'));
  });
  after(() => server.stop());

  test('mp4_support=standard: a faststart H.264/AAC MP4 with the rung’s own packets, served with ranges and ETags', async () => {
    const clip = await makeClip(dir, { name: 'harbour', width: 640, height: 360, seconds: 5, fps: 30 });
    const created = await uploadWith(server, clip, { mp4_support: 'standard', title: 'Harbour' });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.data.mp4_support, 'standard');
    const asset = (await server.waitForAsset(created.body.data.id, (a) => settled(a as Asset))) as Asset;
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    const playbackId = asset.playback_ids[0]?.id;
    const [download] = asset.downloads;
    assert.deepEqual(asset.downloads, [
      {
        name: '360p.mp4',
        width: 640,
        height: 360,
        size: download?.size,
        status: 'ready',
        url: `/play/${playbackId}/download.mp4`,
      },
    ]);

    const res = await get(server, download?.url ?? '');
    assert.equal(res.status, 200);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    assert.equal(Number(res.headers.get('content-length')), download?.size);
    assert.equal(body.length, download?.size);
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.equal(res.headers.get('content-disposition'), null, 'plays inline without ?filename=');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const boxes = topLevelBoxes(body);
    assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'), boxes.join(' '));
    assert.equal(boxes.includes('moof'), false, 'progressive, not fragmented');

    const file = join(dir, 'harbour-download.mp4');
    await writeFile(file, body);
    const probed = await probe(file);
    const video = probed.streams.find((s) => s.codec_type === 'video');
    const audio = probed.streams.find((s) => s.codec_type === 'audio');
    assert.deepEqual(
      [video?.codec_name, video?.width, video?.height, audio?.codec_name],
      ['h264', 640, 360, 'aac'],
    );
    const frame = 1 / 30;
    const duration = asset.duration ?? 0;
    assert.ok(
      Math.abs(Number(video?.duration) - duration) <= frame,
      `video ${video?.duration} vs ${duration}`,
    );
    assert.ok(Math.abs(Number(probed.format.duration) - duration) <= frame, `file ${probed.format.duration}`);
    // Picture and sound start together, at zero (the AAC priming is cut by an edit list).
    assert.ok(Math.abs(Number(video?.start_time)) < 0.001 && Math.abs(Number(audio?.start_time)) < 0.001);

    // The same packets as the HLS rung and audio rendition players stream: remuxed, not encoded.
    for (const [rendition, stream] of [
      ['360p', 'v:0'],
      ['audio', 'a:0'],
    ] as const) {
      const fmp4 = join(dir, `harbour-${rendition}.mp4`);
      await writeFile(fmp4, await fetchRendition(server, `/play/${playbackId}/${rendition}/`));
      const [fromRung, fromDownload] = await Promise.all([
        packetChecksums(fmp4, stream),
        packetChecksums(file, stream),
      ]);
      assert.ok(fromRung.packets.length > 10);
      assert.deepEqual(fromDownload, fromRung, `${rendition}: codec parameters and packets identical`);
    }

    // Ranges, validators, HEAD.
    const etag = res.headers.get('etag') ?? '';
    assert.ok(etag);
    const part = await get(server, download?.url ?? '', { range: 'bytes=100-199' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${body.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), body.subarray(100, 200));
    const tail = await get(server, download?.url ?? '', { range: 'bytes=-16' });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), body.subarray(body.length - 16));
    const outside = await get(server, download?.url ?? '', { range: `bytes=${body.length + 10}-` });
    assert.equal(outside.status, 416);
    assert.equal(
      ((await outside.json()) as { error: { code: string } }).error.code,
      'FH_ERR_RANGE_NOT_SATISFIABLE',
    );
    const cached = await get(server, download?.url ?? '', { 'if-none-match': etag });
    assert.equal(cached.status, 304);
    assert.equal(cached.headers.get('etag'), etag);
    const head = await fetch(new URL(download?.url ?? '', server.url), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('content-length')), body.length);

    // ?filename= makes it an attachment, safely.
    const named = await get(server, `${download?.url}?filename=${encodeURIComponent('부산 여행')}`);
    await named.arrayBuffer();
    const disposition = named.headers.get('content-disposition') ?? '';
    assert.equal(parseDisposition(disposition).parameters.filename, '부산 여행.mp4', disposition);
    assert.match(disposition, /^attachment; filename=download\.mp4; filename\*=UTF-8''%EB%B6%80/);
    const injected = await get(server, `${download?.url}?filename=a%0D%0ASet-Cookie:%20x=1%0D%0A`);
    await injected.arrayBuffer();
    assert.equal(injected.status, 200);
    assert.equal(injected.headers.get('set-cookie'), null);
    assert.equal(injected.headers.get('content-disposition'), 'attachment; filename="aSet-Cookie: x=1.mp4"');
    const titled = await get(server, `${download?.url}?filename=`);
    await titled.arrayBuffer();
    assert.equal(titled.headers.get('content-disposition'), 'attachment; filename=Harbour.mp4');
  });

  test('signed playback: the download is refused without a token and served with one', async () => {
    const clip = await makeClip(dir, { name: 'private', width: 320, height: 180, seconds: 2 });
    const created = await uploadWith(server, clip, { mp4_support: 'capped-1080p' });
    const asset = (await server.waitForAsset(created.body.data.id, (a) => settled(a as Asset))) as Asset;
    assert.equal(asset.downloads[0]?.status, 'ready', JSON.stringify(asset));
    await patch(server, asset.id, { playback_policy: 'signed' });
    const url = asset.downloads[0]?.url ?? '';
    const refused = await get(server, url);
    assert.equal(refused.status, 403);
    assert.equal(
      ((await refused.json()) as { error: { code: string } }).error.code,
      'FH_ERR_PLAYBACK_TOKEN_REQUIRED',
    );
    const forged = await get(server, `${url}?token=not.a.jwt`);
    assert.equal(
      ((await forged.json()) as { error: { code: string } }).error.code,
      'FH_ERR_PLAYBACK_TOKEN_INVALID',
    );
    const minted = await server.api<{ data: { token: string } }>('/v1/playback-tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ playback_id: asset.playback_ids[0]?.id, expires_in: 600 }),
    });
    assert.equal(minted.status, 201);
    const served = await get(server, `${url}?token=${minted.body.data.token}&filename=private`, {
      range: 'bytes=0-7',
    });
    assert.equal(served.status, 206);
    assert.equal(Buffer.from(await served.arrayBuffer()).toString('latin1', 4, 8), 'ftyp');
    assert.equal(served.headers.get('cache-control'), 'private, max-age=300');
    assert.equal(served.headers.get('content-disposition'), 'attachment; filename=private.mp4');
  });

  test('PATCH turns the download on for a ready asset, off (its object removed) and on again; bad values get codes', async () => {
    const clip = await makeClip(dir, { name: 'later', width: 320, height: 180, seconds: 2 });
    const created = await uploadWith(server, clip, {});
    const ready = (await server.waitForAsset(created.body.data.id, (a) => settled(a as Asset))) as Asset;
    assert.deepEqual([ready.mp4_support, ready.downloads], ['none', []]);
    const url = `/play/${ready.playback_ids[0]?.id}/download.mp4`;
    const none = await get(server, url);
    assert.deepEqual(
      [none.status, ((await none.json()) as { error: { code: string } }).error.code],
      [404, 'FH_ERR_DOWNLOAD_NOT_AVAILABLE'],
    );

    const on = await patch(server, ready.id, { mp4_support: 'standard' });
    assert.equal(on.status, 200);
    assert.deepEqual(
      on.body.data.downloads.map((d) => [d.name, d.status, d.size]),
      [['180p.mp4', 'preparing', null]],
    );
    const made = (await server.waitForAsset(ready.id, (a) => settled(a as Asset))) as Asset;
    assert.equal(made.downloads[0]?.status, 'ready');
    const [first] = await untilStored(server, ready.id, (f) => f.length === 1);
    assert.equal((await get(server, url)).status, 200);

    const off = await patch(server, ready.id, { mp4_support: 'none' });
    assert.deepEqual([off.body.data.mp4_support, off.body.data.downloads], ['none', []]);
    await untilStored(server, ready.id, (f) => f.length === 0);
    assert.equal((await get(server, url)).status, 404);

    await patch(server, ready.id, { mp4_support: 'standard' });
    const again = (await server.waitForAsset(ready.id, (a) => settled(a as Asset))) as Asset;
    assert.equal(again.downloads[0]?.status, 'ready');
    const [second] = await untilStored(server, ready.id, (f) => f.length === 1);
    assert.notEqual(second, first, 'each making has a key of its own');
    // The same value again changes nothing.
    const same = await patch(server, ready.id, { mp4_support: 'standard' });
    assert.equal(same.body.data.downloads[0]?.status, 'ready');

    const bad = await patch(server, ready.id, { mp4_support: 'capped-720p' });
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'FH_ERR_VALIDATION']);
    const before = await server.api<{ data: Asset[] }>('/v1/assets?limit=100');
    const badUpload = await uploadWith(server, clip, { mp4_support: 'yes please' });
    assert.deepEqual([badUpload.status, badUpload.body.error.code], [400, 'FH_ERR_VALIDATION']);
    assert.match(badUpload.body.error.message, /none, standard, capped-1080p/);
    const afterwards = await server.api<{ data: Asset[] }>('/v1/assets?limit=100');
    assert.equal(afterwards.body.data.length, before.body.data.length, 'no asset made');

    // Deleting the asset removes its download with everything else.
    assert.equal((await server.api(`/v1/assets/${ready.id}`, { method: 'DELETE' })).status, 204);
    await untilStored(server, ready.id, (f) => f.length === 0);
    assert.equal(existsSync(join(server.dataDir, 'objects', 'downloads', ready.id)), false);
  });

  test('a download that cannot be made ends errored (after its retries) and is tried again when asked', async () => {
    const clip = await makeClip(dir, { name: 'broken', width: 320, height: 180, seconds: 2 });
    const ready = (await server.waitForAsset((await uploadWith(server, clip, {})).body.data.id, (a) =>
      settled(a as Asset),
    )) as Asset;
    // The rung's playlist goes missing from the store (a store losing objects, an operator's mistake).
    const playlist = join(server.dataDir, 'objects', 'hls', ready.id, '180p', 'index.m3u8');
    const text = await readFile(playlist);
    await rm(playlist);
    await patch(server, ready.id, { mp4_support: 'standard' });
    const failed = (await server.waitForAsset(ready.id, (a) => settled(a as Asset))) as Asset;
    assert.deepEqual(
      failed.downloads.map((d) => [d.name, d.status, d.size]),
      [['180p.mp4', 'errored', null]],
    );
    const answer = await get(server, failed.downloads[0]?.url ?? '');
    assert.equal(answer.status, 404);
    assert.match(((await answer.json()) as { error: { message: string } }).error.message, /failed/);

    await writeFile(playlist, text);
    const retried = await patch(server, ready.id, { mp4_support: 'standard' });
    assert.equal(retried.body.data.downloads[0]?.status, 'preparing');
    const made = (await server.waitForAsset(ready.id, (a) => settled(a as Asset))) as Asset;
    assert.equal(made.downloads[0]?.status, 'ready');
  });

  test('tus: Upload-Metadata mp4_support is kept for the asset; a bad value is refused at creation', async () => {
    const clip = await makeClip(dir, { name: 'tus', width: 320, height: 180, seconds: 2 });
    const bytes = await readFile(clip);
    const meta = (v: string) =>
      `filename ${Buffer.from('tus.mp4').toString('base64')},mp4_support ${Buffer.from(v).toString('base64')}`;
    const refused = await fetch(`${server.url}/v1/uploads`, {
      method: 'POST',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-length': String(bytes.length),
        'upload-metadata': meta('always'),
      },
    });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'FH_ERR_VALIDATION');

    const created = await fetch(`${server.url}/v1/uploads`, {
      method: 'POST',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-length': String(bytes.length),
        'upload-metadata': meta('capped-1080p'),
      },
    });
    assert.equal(created.status, 201);
    const sent = await fetch(new URL(created.headers.get('location') ?? '', server.url), {
      method: 'PATCH',
      headers: {
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes,
    });
    assert.equal(sent.status, 204);
    const assetId = sent.headers.get('framehouse-asset-id') ?? '';
    const asset = (await server.waitForAsset(assetId, (a) => settled(a as Asset))) as Asset;
    assert.equal(asset.mp4_support, 'capped-1080p');
    assert.deepEqual(
      asset.downloads.map((d) => [d.name, d.status]),
      [['180p.mp4', 'ready']],
    );
  });
});

/** A rendition as one fragmented MP4 (init + segments), fetched over HTTP as a player would. */
async function fetchRendition(server: TestServer, base: string): Promise<Buffer> {
  const playlist = await (await get(server, `${base}index.m3u8`)).text();
  const init = /URI="([^"]+)"/.exec(playlist)?.[1] ?? '';
  const segments = playlist.split('\n').filter((l) => l.startsWith('seg_'));
  const parts = await Promise.all(
    [init, ...segments].map(async (f) => Buffer.from(await (await get(server, `${base}${f}`)).arrayBuffer())),
  );
  return Buffer.concat(parts);
}

describe('MP4 downloads on PostgreSQL and S3 (s3rver, the real AWS SDK)', {
  skip: POSTGRES_URL ? false : 'PostgreSQL not available: set DATABASE_URL=postgres://… to run',
}, () => {
  test('made when the rung lands, removed when turned off', async () => {
    const s3 = await startS3();
    const server = await startTestServer({ STORAGE_URL: s3.url }, undefined, 'postgres');
    const store = await createObjectStore(s3.url);
    const inBucket = (_: TestServer, id: string) => store.list(mediaKeys.downloadsPrefix(id));
    const dir = await mkdtemp(join(tmpdir(), 'fh-downloads-pg-'));
    try {
      const clip = await makeClip(dir, { name: 'pg', width: 320, height: 180, seconds: 2 });
      const created = await uploadWith(server, clip, { mp4_support: 'standard' });
      const asset = (await server.waitForAsset(created.body.data.id, (a) => settled(a as Asset))) as Asset;
      assert.deepEqual(
        asset.downloads.map((d) => [d.name, d.status]),
        [['180p.mp4', 'ready']],
      );
      const res = await get(server, asset.downloads[0]?.url ?? '');
      assert.equal(res.status, 200);
      assert.equal(Buffer.from(await res.arrayBuffer()).length, asset.downloads[0]?.size);
      const ranged = await get(server, asset.downloads[0]?.url ?? '', { range: 'bytes=4-7' });
      assert.equal(Buffer.from(await ranged.arrayBuffer()).toString('latin1'), 'ftyp');
      assert.equal((await inBucket(server, asset.id)).length, 1);
      await patch(server, asset.id, { mp4_support: 'none' });
      await untilStored(server, asset.id, (f) => f.length === 0, inBucket);
    } finally {
      await server.stop();
      await s3.stop();
    }
  });
});
