import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeClip } from './fixtures/media.ts';
import { probe, topLevelBoxes } from './helpers/mp4.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

type Asset = AssetBody & {
  mp4_support: string;
  downloads: Array<{
    name: string;
    width: number | null;
    height: number | null;
    size: number | null;
    status: string;
    url: string | null;
  }>;
};
const settled = (a: Asset) =>
  isFinished(a) &&
  a.downloads.length > 0 &&
  a.downloads.every((d) => d.status === 'ready' || d.status === 'errored');

describe('MP4 downloads of other media: rung choice, audio only, 360°', () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'fh-downloads-media-'));
  });
  after(() => server.stop());

  const upload = async (file: string, mp4Support: string) => {
    const form = new FormData();
    form.append('mp4_support', mp4Support);
    form.append('file', await openAsBlob(file), file.split('/').pop());
    const res = await server.api<{ data: Asset }>('/v1/assets', { method: 'POST', body: form });
    assert.equal(res.status, 202);
    return (await server.waitForAsset(res.body.data.id, (a) => settled(a as Asset))) as Asset;
  };
  /** The served file, saved for ffprobe, and what ffprobe says of it. */
  const fetchDownload = async (path: string, name: string) => {
    const res = await fetch(new URL(path, server.url));
    assert.equal(res.status, 200, path);
    const body = Buffer.from(await res.arrayBuffer());
    const file = join(dir, name);
    await writeFile(file, body);
    return { res, body, probed: await probe(file) };
  };

  test('capped-1080p takes the 1080p rung of a 1440p source; PATCH standard replaces it with the 1440p one', async () => {
    const clip = await makeClip(dir, { name: 'qhd', width: 2560, height: 1440, seconds: 2, fps: 10 });
    const asset = await upload(clip, 'capped-1080p');
    assert.equal(asset.renditions[0]?.name, '1440p');
    assert.deepEqual(
      asset.downloads.map((d) => [d.name, d.width, d.height, d.status]),
      [['1080p.mp4', 1920, 1080, 'ready']],
    );
    const capped = await fetchDownload(asset.downloads[0]?.url ?? '', 'capped.mp4');
    const video = (p: typeof capped.probed) => p.streams.find((s) => s.codec_type === 'video');
    assert.deepEqual([video(capped.probed)?.width, video(capped.probed)?.height], [1920, 1080]);
    const stored = () => readdir(join(server.dataDir, 'objects', 'downloads', asset.id));
    assert.deepEqual(
      (await stored()).map((f) => f.split('-')[0]),
      ['1080p'],
    );

    const patched = await server.api<{ data: Asset }>(`/v1/assets/${asset.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"mp4_support":"standard"}',
    });
    assert.deepEqual(
      patched.body.data.downloads.map((d) => [d.name, d.status]),
      [['1440p.mp4', 'preparing']],
    );
    const standard = (await server.waitForAsset(asset.id, (a) => settled(a as Asset))) as Asset;
    assert.deepEqual(
      standard.downloads.map((d) => [d.name, d.width, d.height, d.status]),
      [['1440p.mp4', 2560, 1440, 'ready']],
    );
    const full = await fetchDownload(standard.downloads[0]?.url ?? '', 'standard.mp4');
    assert.deepEqual([video(full.probed)?.width, video(full.probed)?.height], [2560, 1440]);
    // The 1080p file is removed by its job.
    for (let i = 0; i < 100 && (await stored()).length > 1; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      (await stored()).map((f) => f.split('-')[0]),
      ['1440p'],
    );
  });

  test('an audio-only asset offers audio.m4a (AAC, faststart) and says so at download.mp4', async () => {
    const clip = await makeClip(dir, { name: 'song', video: false, seconds: 3 });
    const asset = await upload(clip, 'standard');
    assert.equal(asset.kind, 'audio');
    assert.deepEqual(
      asset.downloads.map((d) => [d.name, d.width, d.height, d.status, d.url]),
      [['audio.m4a', null, null, 'ready', `/play/${asset.playback_ids[0]?.id}/download.m4a`]],
    );
    const { res, body, probed } = await fetchDownload(asset.downloads[0]?.url ?? '', 'song.m4a');
    assert.equal(res.headers.get('content-type'), 'audio/mp4');
    assert.deepEqual(
      probed.streams.map((s) => s.codec_name),
      ['aac'],
    );
    const boxes = topLevelBoxes(body);
    assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat'), boxes.join(' '));
    assert.ok(
      Math.abs(Number(probed.format.duration) - (asset.duration ?? 0)) < 0.05,
      probed.format.duration,
    );
    const named = await fetch(new URL(`${asset.downloads[0]?.url}?filename=Song`, server.url));
    await named.arrayBuffer();
    assert.equal(named.headers.get('content-disposition'), 'attachment; filename=Song.m4a');

    const mp4 = await fetch(new URL(`/play/${asset.playback_ids[0]?.id}/download.mp4`, server.url));
    const error = ((await mp4.json()) as { error: { code: string; message: string } }).error;
    assert.equal(mp4.status, 404);
    assert.deepEqual(
      [error.code, /download\.m4a/.test(error.message)],
      ['FH_ERR_DOWNLOAD_NOT_AVAILABLE', true],
    );
  });

  test('a 360° rung keeps its spherical metadata in the download', async () => {
    const clip = await makeClip(dir, {
      name: 'sphere',
      width: 640,
      height: 320,
      seconds: 2,
      spherical: true,
    });
    const asset = await upload(clip, 'standard');
    assert.equal(asset.is_360, true);
    const { probed } = await fetchDownload(asset.downloads[0]?.url ?? '', 'sphere.mp4');
    const video = probed.streams.find((s) => s.codec_type === 'video');
    const spherical = video?.side_data_list?.find((d) => d.side_data_type === 'Spherical Mapping');
    assert.equal(spherical?.projection, 'equirectangular', JSON.stringify(video));
  });
});
