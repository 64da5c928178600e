import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import HLS from 'hls-parser';
import { chromiumAvailable, launchChromium } from './helpers/browser.ts';
import { type LiveStreamBody, publishRtmp, waitForStream } from './helpers/live.ts';
import { freePort } from './helpers/processes.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

// The live core end to end, as a broadcaster and viewers meet it: real ffmpeg publishing over
// RTMP like OBS, our receiver, the live ladder, our LL-HLS packager, playback through the API's
// /play/ URLs (playlists parsed by an independent parser, hls.js in Chromium), encoder drops,
// and the recording that becomes a VOD asset.

type MediaPlaylist = InstanceType<typeof HLS.types.MediaPlaylist>;
type MasterPlaylist = InstanceType<typeof HLS.types.MasterPlaylist>;

describe('live: RTMP in, LL-HLS out, recording to VOD', () => {
  let server: TestServer;
  let rtmpPort: number;

  before(async () => {
    rtmpPort = await freePort();
    server = await startTestServer({
      FRAMEHOUSE_RTMP_PORT: String(rtmpPort),
      // Two rungs on this 2-core machine (the realtime floor), 640x360 in.
      FRAMEHOUSE_LIVE_MAX_RUNGS: '2',
    });
  });
  after(async () => {
    await server?.stop();
  });

  const createStream = async (body: Record<string, unknown> = {}) => {
    const res = await server.api<{ data: LiveStreamBody }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Spring sale', ...body }),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data;
  };
  const text = async (path: string) => {
    const res = await fetch(new URL(path, server.url));
    return { status: res.status, body: await res.text(), headers: res.headers };
  };

  test('a publish with the stream key goes on air and plays as low-latency HLS', async () => {
    const stream = await createStream({ reconnect_window: 5 });
    assert.equal(stream.ingest.rtmp, `rtmp://127.0.0.1:${rtmpPort}/live`);
    const publisher = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 40 });
    try {
      const active = await waitForStream(server.api, stream.id, (s) => s.status === 'active', 20_000);
      assert.ok(active.current, 'current is shown while active');
      assert.ok(active.current.renditions.length >= 1);
      assert.equal(active.current.renditions[0]?.height, 360);

      const pid = stream.playback_ids[0]?.id ?? '';
      // What a viewer page shows before it plays, without a session.
      const info = JSON.parse((await text(`/play/${pid}/info.json`)).body) as {
        data: Record<string, unknown>;
      };
      assert.deepEqual(
        {
          live: info.data.live,
          title: info.data.title,
          status: info.data.status,
          latency: info.data.latency_mode,
        },
        { live: true, title: 'Spring sale', status: 'active', latency: 'low' },
      );
      // The master names each rendition of the broadcast.
      const master = await waitForValue(
        () => text(`/play/${pid}/master.m3u8`),
        (r) => r.status === 200 && r.body.includes('#EXT-X-STREAM-INF'),
        { timeoutMs: 15_000, intervalMs: 200, what: 'the live master playlist' },
      );
      const parsedMaster = HLS.parse(master.body) as MasterPlaylist;
      assert.ok(parsedMaster.isMasterPlaylist);

      // Stream health for the host: the publisher's 2 s keyframes, ffmpeg keeping up, parts
      // published well under a second after the video arrived, audio, nothing to warn about.
      const healthy = await waitForStream(
        server.api,
        stream.id,
        (s) => s.current?.latency != null && s.current.transcode_speed != null,
        20_000,
      );
      const health = healthy.current;
      assert.equal(health?.keyframe_interval, 2);
      assert.ok((health?.transcode_speed ?? 0) > 0.5, JSON.stringify(health));
      const serverLatency = health?.server_latency ?? -1;
      assert.ok(serverLatency >= 0 && serverLatency < 1, JSON.stringify(health));
      // A viewer sits PART-HOLD-BACK (3 parts, about 1 s) behind that.
      assert.ok((health?.latency ?? 0) >= 0.9 && (health?.latency ?? 9) < 2, JSON.stringify(health));
      assert.equal(health?.audio, true);
      assert.equal(health?.dropped_frames, 0);
      assert.deepEqual(health?.warnings, [], JSON.stringify(health?.warnings));
      const variant = parsedMaster.variants[0];
      assert.ok(variant?.uri.startsWith('live/'), 'variants live under the broadcast');
      const mediaPath = `/play/${pid}/${variant?.uri}`;

      // Wait for a few segments, then check the LL-HLS rules on what the packager wrote.
      const media = await waitForValue(
        async () => HLS.parse((await text(mediaPath)).body) as MediaPlaylist,
        (p) => p.segments.length >= 2,
        { timeoutMs: 20_000, intervalMs: 300, what: 'two live segments' },
      );
      assert.ok(!media.endlist);
      assert.ok(media.partTargetDuration && media.partTargetDuration < 0.5);
      const control = (await text(mediaPath)).body;
      assert.match(control, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES/);
      assert.match(control, /#EXT-X-PRELOAD-HINT:TYPE=PART/);
      assert.match(control, /#EXT-X-PROGRAM-DATE-TIME:/);

      // Blocking reload: ask for the segment after the last one; the answer comes when it lands.
      const last = media.segments.at(-1);
      const nextMsn = (last?.mediaSequenceNumber ?? 0) + 2;
      const asked = Date.now();
      const blocked = await text(`${mediaPath}?_HLS_msn=${nextMsn}&_HLS_part=0`);
      const waited = Date.now() - asked;
      assert.equal(blocked.status, 200, blocked.body);
      const after = HLS.parse(blocked.body) as MediaPlaylist;
      const lastAfter = after.segments.at(-1);
      const newest =
        after.prefetchSegments.length > 0 || (lastAfter?.parts?.length ?? 0) > 0
          ? (lastAfter?.mediaSequenceNumber ?? 0)
          : 0;
      assert.ok(newest >= nextMsn - 1, `the answer holds msn ${nextMsn} part 0 (newest ${newest})`);
      assert.ok(waited > 100, `the request was held until the part landed (${waited} ms)`);
      // Too far ahead: 400, at once.
      assert.equal((await text(`${mediaPath}?_HLS_msn=${nextMsn + 10}`)).status, 400);

      // A part and a segment of the playlist are fetched as media.
      const withParts = HLS.parse((await text(mediaPath)).body) as MediaPlaylist;
      const part = withParts.segments.flatMap((s) => s.parts ?? []).at(-1);
      assert.ok(part, 'parts are listed');
      const base = mediaPath.replace(/index\.m3u8$/, '');
      const partRes = await fetch(new URL(`${base}${part.uri}`, server.url));
      assert.equal(partRes.status, 200);
      assert.ok((await partRes.arrayBuffer()).byteLength > 100);

      // hls.js in Chromium plays it at low latency.
      if (chromiumAvailable()) {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          // A bare page on the server's own origin (Chromium refuses loopback requests from
          // about:blank), with hls.js as the app ships it.
          await page.route(`${server.url}/test-player.html`, (route) =>
            route.fulfill({ contentType: 'text/html', body: '<!doctype html><body></body>' }),
          );
          await page.goto(`${server.url}/test-player.html`);
          await page.addScriptTag({ path: 'node_modules/hls.js/dist/hls.min.js' });
          const src = new URL(`/play/${pid}/master.m3u8`, server.url).href;
          await page.evaluate(`(() => {
            const video = document.createElement('video');
            video.muted = true;
            document.body.append(video);
            const hls = new Hls({ lowLatencyMode: true });
            hls.loadSource(${JSON.stringify(src)});
            hls.attachMedia(video);
            window.hls = hls;
            void video.play();
          })()`);
          // A live start is near the edge (seconds into the broadcast): play 2 s from there.
          const time = () => page.evaluate<number>("document.querySelector('video')?.currentTime ?? 0");
          const start = await waitForValue(time, (t) => t > 0, {
            timeoutMs: 30_000,
            intervalMs: 100,
            what: 'hls.js to start the live stream',
          });
          await waitForValue(time, (t) => t > start + 2, {
            timeoutMs: 30_000,
            intervalMs: 250,
            what: 'hls.js to play the live stream',
          });
          const latency = await page.evaluate<number>('window.hls.latency');
          assert.ok(latency > 0 && latency < 4, `hls.js plays near the live edge (latency ${latency} s)`);
        } finally {
          await browser.close();
        }
      }
    } finally {
      await publisher.stop();
    }
  });

  test('signed playback: no token, no live stream; a minted token opens every URL the playlists name', async () => {
    const stream = await createStream({ playback_policy: 'signed', record: false });
    const publisher = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 20 });
    try {
      await waitForStream(server.api, stream.id, (s) => s.status === 'active', 20_000);
      const pid = stream.playback_ids[0]?.id ?? '';
      assert.equal(stream.playback_ids[0]?.policy, 'signed');
      const bare = await text(`/play/${pid}/master.m3u8`);
      assert.equal(bare.status, 403);
      const minted = await server.api<{ data: { token: string; hls_url: string } }>('/v1/playback-tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ playback_id: pid }),
      });
      assert.equal(minted.status, 201);
      const master = await waitForValue(
        () => text(minted.body.data.hls_url),
        (r) => r.status === 200 && r.body.includes('#EXT-X-STREAM-INF'),
        { timeoutMs: 15_000, intervalMs: 200, what: 'the signed live master' },
      );
      assert.match(master.headers.get('cache-control') ?? '', /private/);
      const variant = (HLS.parse(master.body) as MasterPlaylist).variants[0]?.uri ?? '';
      assert.match(variant, /token=/);
      const media = await waitForValue(
        () => text(`/play/${pid}/${variant}`),
        (r) => r.status === 200 && r.body.includes('#EXT-X-PART:'),
        { timeoutMs: 15_000, intervalMs: 300, what: 'the signed live media playlist' },
      );
      // Every URI the media playlist names carries the token, and opens with it.
      const uris = [...media.body.matchAll(/URI="([^"]+)"/g)].map((m) => m[1] ?? '');
      assert.ok(uris.length > 3 && uris.every((u) => u.includes('token=')), uris.join(' '));
      const part = uris.find((u) => u.startsWith('part_')) ?? '';
      const base = `/play/${pid}/${variant.replace(/index\.m3u8.*$/, '')}`;
      assert.equal((await fetch(new URL(`${base}${part}`, server.url))).status, 200);
      assert.equal((await fetch(new URL(`${base}${part.replace(/\?.*$/, '')}`, server.url))).status, 403);
    } finally {
      await publisher.stop();
    }
  });

  test('wrong, disabled and busy keys are refused before the publish; garbage on the port harms no one', async () => {
    const stream = await createStream({ reconnect_window: 2, record: false });
    const good = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 30 });
    try {
      await waitForStream(server.api, stream.id, (s) => s.status === 'active', 20_000);

      // A wrong key: ffmpeg cannot publish, and it hears nothing about the key.
      const wrong = publishRtmp(`${stream.ingest.rtmp}/not-a-key-${stream.stream_key?.slice(0, 4)}`, {
        seconds: 5,
      });
      const wrongExit = await wrong.exited;
      assert.notEqual(wrongExit.code, 0, 'a wrong key cannot publish');
      assert.ok(!wrong.log().includes(stream.stream_key ?? '∅'));

      // A second publisher on the key that is live.
      const second = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 5 });
      assert.notEqual((await second.exited).code, 0, 'a second publisher is refused');
      const busy = await waitForStream(server.api, stream.id, (s) => s.last_error !== null, 5_000);
      assert.equal(busy.last_error?.code, 'FH_ERR_LIVE_STREAM_BUSY');

      // Garbage bytes and a client that stops mid-handshake.
      const garbage = connect(rtmpPort, '127.0.0.1');
      garbage.on('error', () => {});
      garbage.write(Buffer.alloc(4096, 0x41));
      const stalled = connect(rtmpPort, '127.0.0.1');
      stalled.on('error', () => {});
      stalled.write(Buffer.from([3, 0, 0, 0]));
      await new Promise((r) => setTimeout(r, 1500));
      garbage.destroy();
      stalled.destroy();

      // The good stream went on all along.
      const still = await waitForStream(server.api, stream.id, (s) => s.status === 'active', 1000);
      assert.equal(still.status, 'active');
    } finally {
      await good.stop();
    }

    // Disabled: refused, with the reason where the broadcaster reads it.
    await waitForStream(server.api, stream.id, (s) => s.status !== 'active', 10_000);
    const disabled = await server.api<{ data: LiveStreamBody }>(`/v1/live-streams/${stream.id}/disable`, {
      method: 'POST',
    });
    assert.equal(disabled.status, 200);
    const refused = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 5 });
    assert.notEqual((await refused.exited).code, 0);
    const why = await waitForStream(
      server.api,
      stream.id,
      (s) => s.last_error?.code === 'FH_ERR_LIVE_STREAM_DISABLED',
      5_000,
    );
    assert.equal(why.status, 'disabled');
  });

  test('a publisher that leaves while the broadcast is starting does not leave the stream on air', async () => {
    const stream = await createStream({ reconnect_window: 2, record: false });
    // One second: a single keyframe, gone before the node has learnt its keyframe interval.
    const brief = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, { seconds: 1 });
    await brief.exited;
    // The node still starts the broadcast (it cannot know the publisher is gone until it looks);
    // what matters is that it ends: active, then disconnected, then idle after the window.
    const eventsOf = async () =>
      (
        await server.api<{ data: { type: string; data: Record<string, unknown> }[] }>(
          '/v1/events?type=live_stream.active,live_stream.disconnected,live_stream.idle&limit=500',
        )
      ).body.data
        .filter((e) => e.data.live_stream_id === stream.id)
        .map((e) => e.type);
    const seen = await waitForValue(eventsOf, (t) => t.includes('live_stream.idle'), {
      timeoutMs: 25_000,
      intervalMs: 250,
      what: 'the brief broadcast to end',
    });
    assert.deepEqual(seen, ['live_stream.active', 'live_stream.disconnected', 'live_stream.idle']);
    assert.equal((await waitForStream(server.api, stream.id, () => true)).status, 'idle');
  });

  test('another codec is refused with a reason the broadcaster can read', async () => {
    const stream = await createStream({ record: false });
    const flv1 = publishRtmp(`${stream.ingest.rtmp}/${stream.stream_key}`, {
      seconds: 6,
      video: ['-c:v', 'flv1', '-b:v', '500k'],
      audio: ['-c:a', 'libmp3lame', '-ar', '44100'],
    });
    try {
      const refused = await waitForStream(server.api, stream.id, (s) => s.last_error !== null, 15_000);
      assert.equal(refused.last_error?.code, 'FH_ERR_LIVE_UNSUPPORTED_MEDIA');
      assert.match(refused.last_error?.message ?? '', /H\.264/);
      assert.notEqual(refused.status, 'active');
    } finally {
      await flv1.stop();
    }
  });

  test('an encoder that drops and comes back within the window goes on; after the window the recording becomes an asset', async () => {
    const stream = await createStream({ reconnect_window: 6, title: 'Drop test' });
    const url = `${stream.ingest.rtmp}/${stream.stream_key}`;
    const first = publishRtmp(url, { seconds: 8 });
    const active = await waitForStream(server.api, stream.id, (s) => s.status === 'active', 20_000);
    assert.ok(active.current);
    // A message in the room during the broadcast: the recording replays it at its offset.
    const chatted = await server.api<{ data: { offset_seconds: number | null } }>(
      `/v1/live-streams/${stream.id}/chat`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'On air now' }),
      },
    );
    assert.equal(chatted.status, 201, JSON.stringify(chatted.body));
    assert.ok((chatted.body.data.offset_seconds ?? -1) >= 0);
    await first.exited;
    await waitForStream(server.api, stream.id, (s) => s.status === 'disconnected', 10_000);

    // Back within the window: the same broadcast, with a discontinuity in its playlists.
    const second = publishRtmp(url, { seconds: 6 });
    await waitForStream(server.api, stream.id, (s) => s.status === 'active', 20_000);
    const pid = stream.playback_ids[0]?.id ?? '';
    const master = HLS.parse((await text(`/play/${pid}/master.m3u8`)).body) as MasterPlaylist;
    const mediaPath = `/play/${pid}/${master.variants[0]?.uri}`;
    await waitForValue(
      () => text(mediaPath),
      (r) => r.body.includes('#EXT-X-DISCONTINUITY'),
      { timeoutMs: 20_000, intervalMs: 300, what: 'the discontinuity of the resumed broadcast' },
    );
    await second.exited;

    // Past the window: idle, the playlists end, and the recording is made into an asset.
    const idle = await waitForStream(
      server.api,
      stream.id,
      (s) => s.status === 'idle' && s.recordings.length === 1,
      60_000,
    );
    const assetId = idle.recordings[0] ?? '';
    const asset = await server.waitForAsset(
      assetId,
      (a) => a.status === 'ready' || a.status === 'errored',
      180_000,
    );
    assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
    assert.ok((asset.duration ?? 0) > 8, `the recording holds both parts (${asset.duration} s)`);
    assert.match(asset.title ?? '', /Drop test/);
    const replay = await server.api<{ data: { text: string; offset_seconds: number }[] }>(
      `/v1/assets/${assetId}/chat`,
    );
    assert.deepEqual(
      replay.body.data.map((m) => m.text),
      ['On air now'],
    );
    // Any other asset has no chat (not a 404: the asset page asks for every asset).
    const other = await server.api<{ data: unknown[] }>(
      `/v1/assets/${assetId}/chat`.replace(assetId, 'nosuchasset0000000'),
    );
    assert.equal(other.status, 404);
    const events = await server.api<{ data: { type: string; data: Record<string, unknown> }[] }>(
      '/v1/events?type=live_stream.active,live_stream.disconnected,live_stream.idle,live_stream.recording.ready',
    );
    const types = events.body.data.filter((e) => e.data.live_stream_id === stream.id).map((e) => e.type);
    assert.deepEqual(types, [
      'live_stream.active',
      'live_stream.disconnected',
      'live_stream.active',
      'live_stream.disconnected',
      'live_stream.idle',
      'live_stream.recording.ready',
    ]);
  });
});
