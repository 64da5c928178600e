import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  makeClip,
  makeCorrupt,
  makeHostilePlaylist,
  makeTextAsMp4,
  makeTruncated,
} from './fixtures/media.ts';
import { type AssetBody, isFinished, startTestServer, type TestServer } from './helpers/server.ts';

const run = promisify(execFile);

describe('VOD: upload → probe → HLS → playback (real ffmpeg, SQLite, local store)', () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'fh-clips-'));
  });
  after(() => server.stop());

  const process = async (file: string, title?: string): Promise<AssetBody> => {
    const created = await server.upload(file, title);
    assert.equal(created.status, 'waiting');
    return server.waitForAsset(created.id, isFinished);
  };

  test('a landscape clip becomes a keyframe-aligned CMAF ladder with a master playlist', async () => {
    const file = await makeClip(dir, { name: 'landscape', width: 640, height: 360, seconds: 5, fps: 30 });
    const created = await server.upload(file, 'Trip');
    assert.equal(created.title, 'Trip');
    assert.match(created.source.sha256 ?? '', /^[0-9a-f]{64}$/);
    const asset = await server.waitForAsset(created.id, isFinished);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    assert.equal(asset.kind, 'video');
    assert.equal(asset.width, 640);
    assert.equal(asset.height, 360);
    assert.ok(Math.abs((asset.duration ?? 0) - 5) < 0.2);
    assert.deepEqual(
      asset.renditions.map((r) => [r.name, r.width, r.height, r.status]),
      [
        ['360p', 640, 360, 'ready'],
        ['240p', 426, 240, 'ready'],
        ['audio', null, null, 'ready'],
      ],
    );

    const master = await server.api<string>(asset.playback.hls);
    assert.equal(master.status, 200);
    assert.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    assert.equal(master.headers.get('access-control-allow-origin'), '*');
    assert.match(
      master.body,
      /#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.64[0-9a-f]{4},mp4a\.40\.2",RESOLUTION=640x360,FRAME-RATE=30\.000,AUDIO="audio"/,
    );
    assert.match(master.body, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio".*URI="audio\/index\.m3u8"/);

    const base = asset.playback.hls.replace('master.m3u8', '');
    const durations: number[][] = [];
    for (const rung of ['360p', '240p']) {
      const playlist = await server.api<string>(`${base}${rung}/index.m3u8`);
      assert.match(playlist.body, /#EXT-X-PLAYLIST-TYPE:VOD/);
      assert.match(playlist.body, /#EXT-X-ENDLIST/);
      assert.match(playlist.body, /#EXT-X-MAP:URI="init(_\d)?\.mp4"/);
      durations.push([...playlist.body.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1])));
      const init = /URI="([^"]+)"/.exec(playlist.body)?.[1];
      const initRes = await fetch(new URL(`${base}${rung}/${init}`, server.url));
      assert.equal(initRes.status, 200);
      assert.equal(initRes.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    }
    assert.deepEqual(durations[0], durations[1], 'segment boundaries line up across rungs');

    // Byte ranges, ETags and conditional requests on a segment.
    const seg = new URL(`${base}360p/seg_00000.m4s`, server.url);
    const full = await fetch(seg);
    const bytes = Buffer.from(await full.arrayBuffer());
    assert.equal(full.headers.get('content-type'), 'video/iso.segment');
    const etag = full.headers.get('etag') ?? '';
    const part = await fetch(seg, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${bytes.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(10, 20));
    assert.equal((await fetch(seg, { headers: { 'if-none-match': etag } })).status, 304);
    const outside = await fetch(seg, { headers: { range: `bytes=${bytes.length + 10}-` } });
    assert.equal(outside.status, 416);
    assert.equal(
      ((await outside.json()) as { error: { code: string } }).error.code,
      'FH_ERR_RANGE_NOT_SATISFIABLE',
    );
    const head = await fetch(seg, { method: 'HEAD' });
    assert.equal(head.headers.get('content-length'), String(bytes.length));

    // The rungs decode: ffprobe reads the whole 240p rendition through the playlist.
    const rendition = join(server.dataDir, 'objects', 'hls', asset.id, '240p', 'index.m3u8');
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'json',
      rendition,
    ]);
    assert.deepEqual((JSON.parse(stdout) as { streams: unknown[] }).streams, [
      { codec_name: 'h264', width: 426, height: 240 },
    ]);

    // Poster, thumbnail at a time and width, storyboard.
    const poster = await fetch(new URL(asset.playback.thumbnail, server.url));
    assert.equal(poster.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual([...Buffer.from(await poster.arrayBuffer()).subarray(0, 3)], [0xff, 0xd8, 0xff]);
    const thumbPath = join(dir, 'thumb.jpg');
    const thumb = await fetch(new URL(`${asset.playback.thumbnail}?time=1.5&width=160`, server.url));
    assert.equal(thumb.status, 200);
    await writeFile(thumbPath, Buffer.from(await thumb.arrayBuffer()));
    const probed = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=width,height',
      '-of',
      'csv=p=0',
      thumbPath,
    ]);
    assert.equal(probed.stdout.trim(), '160,90');
    const thumbs = await readdir(join(server.dataDir, 'objects', 'images', asset.id, 'thumbs'));
    assert.deepEqual(thumbs, ['1500_160.jpg'], 'generated once and cached in the store');
    const vtt = await server.api<string>(asset.playback.storyboard);
    assert.match(vtt.body, /^WEBVTT/);
    assert.match(vtt.body, /storyboard\.jpg#xywh=0,0,160,90/);
  });

  test('a portrait phone clip (rotation metadata) keeps its upright shape', async () => {
    const file = await makeClip(dir, { name: 'phone', width: 640, height: 360, seconds: 2, rotate: 90 });
    const asset = await process(file);
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    assert.deepEqual([asset.width, asset.height], [360, 640]);
    assert.deepEqual(
      asset.renditions.filter((r) => r.type === 'video').map((r) => [r.name, r.width, r.height]),
      [
        ['360p', 360, 640],
        ['240p', 240, 426],
      ],
    );
  });

  test('a clip with no audio track gets video-only HLS', async () => {
    const asset = await process(
      await makeClip(dir, { name: 'silent', width: 320, height: 240, seconds: 2, audio: false }),
    );
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    assert.deepEqual(
      asset.renditions.map((r) => r.name),
      ['240p'],
    );
    const master = await server.api<string>(asset.playback.hls);
    assert.doesNotMatch(master.body, /EXT-X-MEDIA|mp4a/);
  });

  test('an audio-only file gets audio-only HLS', async () => {
    const asset = await process(await makeClip(dir, { name: 'voice', video: false, seconds: 3 }));
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    assert.equal(asset.kind, 'audio');
    assert.deepEqual(
      asset.renditions.map((r) => r.name),
      ['audio'],
    );
    const master = await server.api<string>(asset.playback.hls);
    assert.match(
      master.body,
      /#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="mp4a\.40\.2"\naudio\/index\.m3u8/,
    );
    const thumb = await server.api(asset.playback.thumbnail);
    assert.equal(thumb.status, 409);
  });

  test('odd dimensions come out even', async () => {
    const asset = await process(await makeClip(dir, { name: 'odd', width: 321, height: 241, seconds: 2 }));
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    for (const r of asset.renditions.filter((x) => x.type === 'video')) {
      assert.equal((r.width ?? 1) % 2, 0);
      assert.equal((r.height ?? 1) % 2, 0);
    }
  });

  test('a 360° source is flagged and keeps its spherical metadata', async () => {
    const asset = await process(
      await makeClip(dir, { name: 'vr', width: 640, height: 320, seconds: 2, spherical: true }),
    );
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    assert.equal(asset.is_360, true);
    const rendition = join(server.dataDir, 'objects', 'hls', asset.id, '240p', 'index.m3u8');
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', rendition]);
    assert.match(stdout, /Spherical Mapping/);
    assert.match(stdout, /equirectangular/);
  });

  const rejected: [string, (d: string) => Promise<string>, string][] = [
    ['random bytes', (d) => makeCorrupt(d), 'FH_ERR_NOT_MEDIA'],
    ['a text file named .mp4', (d) => makeTextAsMp4(d), 'FH_ERR_NOT_MEDIA'],
    ['a truncated MP4', (d) => makeTruncated(d), 'FH_ERR_MEDIA_DAMAGED'],
    [
      'an empty file',
      async (d) => {
        await writeFile(join(d, 'empty.mp4'), '');
        return join(d, 'empty.mp4');
      },
      'FH_ERR_EMPTY_FILE',
    ],
  ];
  for (const [what, make, code] of rejected) {
    test(`${what} ends errored with ${code}`, async () => {
      const asset = await process(await make(dir));
      assert.equal(asset.status, 'errored');
      assert.equal(asset.errors[0]?.code, code);
      assert.ok((asset.errors[0]?.message.length ?? 0) > 10, 'a message a person can read');
    });
  }

  test('a hostile playlist is rejected and never followed', async () => {
    let hits = 0;
    const bait = createServer((_req, res) => {
      hits++;
      res.end('x');
    });
    await new Promise<void>((r) => bait.listen(0, '127.0.0.1', r));
    const port = (bait.address() as { port: number }).port;
    try {
      const asset = await process(await makeHostilePlaylist(dir, `http://127.0.0.1:${port}/segment.ts`));
      assert.equal(asset.status, 'errored');
      assert.equal(asset.errors[0]?.code, 'FH_ERR_PLAYLIST_REJECTED');
      assert.equal(hits, 0, 'no request reached the address inside the playlist');
    } finally {
      bait.close();
    }
  });

  test('the server stays up and other work goes on after bad input', async () => {
    const ok = await process(await makeClip(dir, { name: 'after-bad', width: 320, height: 240, seconds: 1 }));
    assert.equal(ok.status, 'ready');
    assert.equal((await server.api('/healthz')).status, 200);
  });

  test('a job that keeps failing on our side leaves the asset errored, not stuck', async () => {
    const broken = await startTestServer({ FRAMEHOUSE_FFPROBE_PATH: '/nonexistent/ffprobe' });
    try {
      const created = await broken.upload(await makeClip(dir, { name: 'orphaned', seconds: 1 }));
      const asset = await broken.waitForAsset(created.id, (a) => a.status !== 'waiting', 60_000);
      assert.equal(asset.status, 'errored');
      assert.equal(asset.errors[0]?.code, 'FH_ERR_PROCESSING_FAILED');
      assert.doesNotMatch(asset.errors[0]?.message ?? '', /nonexistent|\//, 'no server paths in messages');
    } finally {
      await broken.stop();
    }
  });
});
