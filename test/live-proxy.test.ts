import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import HLS from 'hls-parser';
import { openTestDatabase, postgresSkip, type TestDatabase } from '../src/db/test-databases.ts';
import { type LiveStreamBody, publishRtmp, waitForStream } from './helpers/live.ts';
import { freePort } from './helpers/processes.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

// Two servers on one PostgreSQL database: the encoder publishes to the first (its live node holds
// the broadcast), viewers ask the second, which forwards playlists and parts to the first. Signed
// playback must survive the hop: the token goes along, the holding node checks it and puts it on
// every URI, and the forwarding node adds nothing twice.

type MasterPlaylist = InstanceType<typeof HLS.types.MasterPlaylist>;

describe('live playback through another node', { skip: postgresSkip('postgres') }, () => {
  let db: TestDatabase;
  let holder: TestServer;
  let viewerSide: TestServer;
  let rtmpPort: number;

  before(async () => {
    db = await openTestDatabase('postgres');
    const port = await freePort();
    rtmpPort = await freePort();
    holder = await startTestServer({
      DATABASE_URL: db.url,
      PORT: String(port),
      FRAMEHOUSE_RTMP_PORT: String(rtmpPort),
      FRAMEHOUSE_LIVE_INTERNAL_URL: `http://127.0.0.1:${port}`,
      FRAMEHOUSE_LIVE_MAX_RUNGS: '1',
      FRAMEHOUSE_WORKER_CONCURRENCY: '0',
    });
    viewerSide = await startTestServer({ DATABASE_URL: db.url, FRAMEHOUSE_WORKER_CONCURRENCY: '0' });
  });
  after(async () => {
    await viewerSide?.stop();
    await holder?.stop();
    await db?.close();
  });

  test('a signed broadcast held by one node plays through another, the token on every URI once', async () => {
    const created = await viewerSide.api<{ data: LiveStreamBody }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Through a hop', playback_policy: 'signed', record: false }),
    });
    assert.equal(created.status, 201);
    const stream = created.body.data;
    const publisher = publishRtmp(`rtmp://127.0.0.1:${rtmpPort}/live/${stream.stream_key}`, { seconds: 25 });
    try {
      await waitForStream(viewerSide.api, stream.id, (s) => s.status === 'active', 20_000);
      const pid = stream.playback_ids[0]?.id ?? '';
      const get = async (path: string) => {
        const res = await fetch(new URL(path, viewerSide.url));
        return { status: res.status, body: await res.text() };
      };
      assert.equal((await get(`/play/${pid}/master.m3u8`)).status, 403, 'no token, no playlist');
      const minted = await viewerSide.api<{ data: { token: string; hls_url: string } }>(
        '/v1/playback-tokens',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ playback_id: pid }),
        },
      );
      const master = await waitForValue(
        () => get(minted.body.data.hls_url),
        (r) => r.status === 200 && r.body.includes('#EXT-X-STREAM-INF'),
        { timeoutMs: 15_000, intervalMs: 300, what: 'the master through the other node' },
      );
      const variant = (HLS.parse(master.body) as MasterPlaylist).variants[0]?.uri ?? '';
      assert.equal(variant.match(/token=/g)?.length, 1, variant);
      const media = await waitForValue(
        () => get(`/play/${pid}/${variant}`),
        // Three whole segments in: past the burst in which the encoder's first buffered seconds
        // arrive faster than real time (a blocking request asked then can find its part landed).
        (r) =>
          r.status === 200 && r.body.includes('#EXT-X-PART:') && (r.body.match(/#EXTINF/g)?.length ?? 0) >= 3,
        { timeoutMs: 20_000, intervalMs: 300, what: 'the media playlist through the other node' },
      );
      const uris = [...media.body.matchAll(/URI="([^"]+)"/g)].map((m) => m[1] ?? '');
      assert.ok(uris.length > 3);
      for (const uri of uris) assert.equal(uri.match(/token=/g)?.length, 1, uri);
      const base = `/play/${pid}/${variant.replace(/index\.m3u8.*$/, '')}`;
      const part = uris.find((u) => u.startsWith('part_')) ?? '';
      assert.equal((await get(`${base}${part}`)).status, 200);
      assert.equal((await get(`${base}${part.replace(/\?.*$/, '')}`)).status, 403);
      // A blocking request through the hop is held until its part lands, then answered.
      const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(media.body)?.[1] ?? 0);
      const segments = media.body.match(/#EXTINF/g)?.length ?? 0;
      const next = msn + segments + 1;
      const asked = Date.now();
      const held = await get(`${base}index.m3u8?_HLS_msn=${next}&_HLS_part=0&${variant.split('?')[1]}`);
      assert.equal(held.status, 200, held.body);
      assert.ok(Date.now() - asked > 100, 'held until the part landed');
      assert.match(held.body, new RegExp(`part_${next}_0\\.m4s\\?token=`));
    } finally {
      await publisher.stop();
    }
  });
});
