import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import HLS from 'hls-parser';
import { openTestDatabase, postgresSkip, type TestDatabase } from '../src/db/test-databases.ts';
import { parseS3Url, S3ObjectStore } from '../src/storage/s3-store.ts';
import { chromiumAvailable, launchChromium } from './helpers/browser.ts';
import { type LiveStreamBody, publishRtmp, waitForStream } from './helpers/live.ts';
import { exited, freePort, spawnServe } from './helpers/processes.ts';
import { startS3 } from './helpers/s3.ts';
import type { AssetBody } from './helpers/server.ts';
import { waitForValue } from './helpers/wait.ts';

// Live scale-out as it is deployed: one `framehouse api`, one `framehouse worker` and two
// `framehouse live` processes on one PostgreSQL schema and one S3 bucket (s3rver). Viewers only
// ever talk to the api node, which finds the live node holding a stream through the database
// and proxies its playlists and parts. A live node SIGKILLed under its publisher: the other
// live node's sweep turns the stream disconnected, the encoder comes back on the other node
// (a TCP load balancer would send it there; here the second ffmpeg simply publishes to node B's
// RTMP port), and the same broadcast goes on.

type MediaPlaylist = InstanceType<typeof HLS.types.MediaPlaylist>;
type MasterPlaylist = InstanceType<typeof HLS.types.MasterPlaylist>;
type Proc = Awaited<ReturnType<typeof spawnServe>>;
type Api = <T>(path: string, init?: RequestInit) => Promise<{ status: number; body: T }>;

interface LiveProc extends Proc {
  rtmpPort: number;
}

describe('live scale-out: api + worker + 2 live nodes on PostgreSQL + S3', {
  skip: postgresSkip('postgres'),
}, () => {
  let db: TestDatabase;
  let s3: Awaited<ReturnType<typeof startS3>>;
  let work: string;
  const procs: Proc[] = [];
  let apiNode: Proc;
  let nodeA: LiveProc;
  let nodeB: LiveProc;

  const shared = async (role: string) => ({
    DATABASE_URL: db.url,
    STORAGE_URL: s3.url,
    FRAMEHOUSE_DATA_DIR: await mkdtemp(join(work, `${role}-`)),
    // Two live nodes on one machine would both bind every stream's SRT port: SRT is its own test.
    FRAMEHOUSE_SRT_PORTS: 'off',
    FRAMEHOUSE_LOG_LEVEL: 'info',
  });
  const startLive = async (name: string, env: Record<string, string> = {}): Promise<LiveProc> => {
    const port = await freePort();
    const rtmpPort = await freePort();
    const p = await spawnServe(
      {
        ...(await shared(name)),
        PORT: String(port),
        FRAMEHOUSE_RTMP_PORT: String(rtmpPort),
        FRAMEHOUSE_LIVE_INTERNAL_URL: `http://127.0.0.1:${port}`,
        FRAMEHOUSE_LIVE_MAX_RUNGS: '1',
        ...env,
      },
      'live',
    );
    procs.push(p);
    return { ...p, rtmpPort };
  };
  const api: Api = async <T>(path: string, init?: RequestInit) => {
    const res = await fetch(new URL(path, apiNode.url), init);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body: body as T };
  };
  const text = async (path: string) => {
    const res = await fetch(new URL(path, apiNode.url));
    return { status: res.status, body: await res.text() };
  };
  const createStream = async (body: Record<string, unknown>) => {
    const res = await api<{ data: LiveStreamBody }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data;
  };

  before(async () => {
    db = await openTestDatabase('postgres');
    s3 = await startS3();
    work = await mkdtemp(join(tmpdir(), 'fh-live-scale-'));
    apiNode = await spawnServe(await shared('api'), 'api');
    procs.push(apiNode);
    procs.push(
      await spawnServe({ ...(await shared('worker')), FRAMEHOUSE_WORKER_CONCURRENCY: '1' }, 'worker'),
    );
    nodeA = await startLive('live-a');
    // B takes one stream at most (the per-node limit test).
    nodeB = await startLive('live-b', { FRAMEHOUSE_LIVE_MAX_STREAMS: '1' });
  });
  after(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => exited(p.child)));
    await s3?.stop();
    await db?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('played through the api node; live node A SIGKILLed under the publisher, node B takes the broadcast over, the recording holds both', async (t) => {
    const stream = await createStream({ title: 'Failover sale', reconnect_window: 12 });
    const pid = stream.playback_ids[0]?.id ?? '';
    const key = stream.stream_key ?? '';
    const publisherA = publishRtmp(`rtmp://127.0.0.1:${nodeA.rtmpPort}/live/${key}`, { seconds: 120 });
    try {
      await waitForStream(api, stream.id, (s) => s.status === 'active', 25_000);

      // The api node answers the master (proxied to A): its URIs name the broadcast.
      const master = await waitForValue(
        () => text(`/play/${pid}/master.m3u8`),
        (r) => r.status === 200 && r.body.includes('#EXT-X-STREAM-INF'),
        { timeoutMs: 15_000, intervalMs: 200, what: 'the live master through the api node' },
      );
      const variant = (HLS.parse(master.body) as MasterPlaylist).variants[0]?.uri ?? '';
      const broadcastId = /^live\/([^/]+)\//.exec(variant)?.[1] ?? '';
      assert.ok(broadcastId, `the variant names the broadcast: ${variant}`);
      const mediaPath = `/play/${pid}/${variant}`;
      const media = await waitForValue(
        async () => HLS.parse((await text(mediaPath)).body) as MediaPlaylist,
        (p) => p.segments.length >= 2,
        { timeoutMs: 20_000, intervalMs: 300, what: 'two live segments through the api node' },
      );
      assert.ok(!media.endlist);
      assert.ok(media.partTargetDuration && media.partTargetDuration < 0.5);

      // A blocking reload through the api node: held on A until the part lands.
      const nextMsn = (media.segments.at(-1)?.mediaSequenceNumber ?? 0) + 2;
      const asked = Date.now();
      const blocked = await text(`${mediaPath}?_HLS_msn=${nextMsn}&_HLS_part=0`);
      const waited = Date.now() - asked;
      assert.equal(blocked.status, 200, blocked.body);
      const held = HLS.parse(blocked.body) as MediaPlaylist;
      const heldLast = held.segments.at(-1)?.mediaSequenceNumber ?? 0;
      assert.ok(heldLast >= nextMsn - 1, `the answer reaches msn ${nextMsn} part 0 (last ${heldLast})`);
      assert.ok(waited > 100, `held until the part landed (${waited} ms)`);
      t.diagnostic(`blocking reload through the api node held ${waited} ms`);

      // hls.js in Chromium plays through the api node.
      if (chromiumAvailable()) {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          await page.route(`${apiNode.url}/test-player.html`, (route) =>
            route.fulfill({ contentType: 'text/html', body: '<!doctype html><body></body>' }),
          );
          await page.goto(`${apiNode.url}/test-player.html`);
          await page.addScriptTag({ path: 'node_modules/hls.js/dist/hls.min.js' });
          const src = `${apiNode.url}/play/${pid}/master.m3u8`;
          await page.evaluate(`(() => {
            const video = document.createElement('video');
            video.muted = true;
            document.body.append(video);
            const hls = new Hls({ lowLatencyMode: true });
            hls.loadSource(${JSON.stringify(src)});
            hls.attachMedia(video);
            void video.play();
          })()`);
          await waitForValue(
            () => page.evaluate<number>("document.querySelector('video')?.currentTime ?? 0"),
            (t) => t > 3,
            { timeoutMs: 30_000, intervalMs: 250, what: 'hls.js to play through the api node' },
          );
        } finally {
          await browser.close();
        }
      }

      // A few more segments recorded by A, then A dies under the publisher.
      await waitForValue(
        async () =>
          (
            await db.db
              .selectFrom('live_segments')
              .select('msn')
              .where('broadcast_id', '=', broadcastId)
              .execute()
          ).length,
        (n) => n >= 3,
        { timeoutMs: 20_000, intervalMs: 300, what: "A's recorded segments" },
      );
      nodeA.child.kill('SIGKILL');
      const killedAt = Date.now();
      await exited(nodeA.child);
      await publisherA.exited;
      const recordedByA = await db.db
        .selectFrom('live_segments')
        .select(['msn', 'duration', 'rendition'])
        .where('broadcast_id', '=', broadcastId)
        .orderBy('msn')
        .execute();
      const lastOfA = Math.max(...recordedByA.map((s) => s.msn));

      // Node B's sweep notices A's heartbeat stopped.
      await waitForStream(api, stream.id, (s) => s.status === 'disconnected', 25_000);
      const detectedMs = Date.now() - killedAt;
      assert.ok(detectedMs < 20_000, `disconnected ${detectedMs} ms after A was killed`);
      t.diagnostic(`disconnected ${detectedMs} ms after A was SIGKILLed`);

      // The encoder reconnects (through the load balancer) to B with the same key.
      const publisherB = publishRtmp(`rtmp://127.0.0.1:${nodeB.rtmpPort}/live/${key}`, { seconds: 12 });
      try {
        const reconnectedAt = Date.now();
        const resumed = await waitForStream(api, stream.id, (s) => s.status === 'active', 25_000);
        t.diagnostic(`active again on B ${Date.now() - reconnectedAt} ms after the encoder reconnected`);
        assert.ok(resumed.current);
        const resumedMaster = await waitForValue(
          () => text(`/play/${pid}/master.m3u8`),
          (r) => r.status === 200 && r.body.includes('#EXT-X-STREAM-INF'),
          { timeoutMs: 15_000, intervalMs: 200, what: 'the master from node B' },
        );
        const resumedVariant = (HLS.parse(resumedMaster.body) as MasterPlaylist).variants[0]?.uri ?? '';
        assert.ok(resumedVariant.startsWith(`live/${broadcastId}/`), `the same broadcast: ${resumedVariant}`);

        // The playlist goes on: A's recorded segments, a discontinuity, B's segments numbered after them.
        const resumedPath = `/play/${pid}/${resumedVariant}`;
        const goesOn = await waitForValue(
          async () => {
            const r = await text(resumedPath);
            return { raw: r.body, parsed: r.status === 200 ? (HLS.parse(r.body) as MediaPlaylist) : null };
          },
          (r) =>
            (r.parsed?.segments.some((s) => s.discontinuity && s.mediaSequenceNumber > lastOfA) ?? false) &&
            (r.parsed?.segments.at(-1)?.mediaSequenceNumber ?? 0) >= lastOfA + 2,
          { timeoutMs: 25_000, intervalMs: 300, what: "B's segments after the discontinuity" },
        );
        assert.match(goesOn.raw, /#EXT-X-DISCONTINUITY\n/);
        const segs = goesOn.parsed?.segments ?? [];
        const msns = segs.map((s) => s.mediaSequenceNumber);
        assert.deepEqual(
          msns,
          msns.map((_, i) => (msns[0] ?? 0) + i),
          'sequence numbers run on without a gap',
        );
        const firstOfB = segs.find((s) => s.discontinuity && s.mediaSequenceNumber > lastOfA);
        assert.equal(firstOfB?.mediaSequenceNumber, lastOfA + 1, 'B numbers on from what A recorded');
        assert.ok(
          recordedByA.every((r) => msns.includes(r.msn)),
          "A's recorded segments stay in the DVR window",
        );

        // A's segments are answered from the store (A is dead; B never had their bytes).
        const base = resumedPath.replace(/index\.m3u8$/, '');
        const fromA = segs.find((s) => s.mediaSequenceNumber === lastOfA);
        assert.ok(fromA, "A's last segment is listed");
        const segRes = await fetch(new URL(`${base}${fromA.uri}`, apiNode.url));
        assert.equal(segRes.status, 200);
        const segBytes = Buffer.from(await segRes.arrayBuffer());
        const rendition = resumedVariant.split('/')[2] ?? '';
        const stored = await new S3ObjectStore(parseS3Url(s3.url)).getBuffer(
          `live/${broadcastId}/${rendition}/seg_${lastOfA}.m4s`,
        );
        assert.ok(segBytes.length > 1000 && segBytes.equals(stored), "A's segment, as A stored it");
        const initUri = fromA.map?.uri ?? '';
        assert.equal((await fetch(new URL(`${base}${initUri}`, apiNode.url))).status, 200, initUri);

        // Blocking reload through the api node, now held on B.
        const nextOnB = (segs.at(-1)?.mediaSequenceNumber ?? 0) + 1;
        const onB = await text(`${resumedPath}?_HLS_msn=${nextOnB}&_HLS_part=0`);
        assert.equal(onB.status, 200, onB.body);
        await publisherB.exited;
      } finally {
        await publisherB.stop();
      }

      // The publisher stops and does not come back: idle after the window; the recording is an asset.
      const idle = await waitForStream(
        api,
        stream.id,
        (s) => s.status === 'idle' && s.recordings.length === 1,
        45_000,
      );
      const assetId = idle.recordings[0] ?? '';
      const asset = await waitForValue(
        async () => (await api<{ data: AssetBody }>(`/v1/assets/${assetId}`)).body.data,
        (a) => a?.status === 'ready' || a?.status === 'errored',
        { timeoutMs: 120_000, intervalMs: 500, what: `recording ${assetId} to be made` },
      );
      assert.equal(asset.status, 'ready', JSON.stringify(asset.errors));
      const secondsOfA = recordedByA
        .filter((r) => r.rendition === recordedByA[0]?.rendition)
        .reduce((sum, r) => sum + r.duration, 0);
      assert.ok(
        (asset.duration ?? 0) > secondsOfA + 6,
        `the recording holds A's ${secondsOfA.toFixed(1)} s and B's part (${asset.duration} s)`,
      );
      assert.match(asset.title ?? '', /Failover sale/);
      for (const p of procs) assert.ok(!p.log().includes(key), 'the stream key never reaches a log');
      t.diagnostic(
        `A recorded ${secondsOfA.toFixed(1)} s (msn ≤ ${lastOfA}); the recording is ${asset.duration} s`,
      );
    } finally {
      await publisherA.stop();
    }
  });

  test('a live node at FRAMEHOUSE_LIVE_MAX_STREAMS refuses another stream with FH_ERR_LIVE_NODE_FULL', async () => {
    const first = await createStream({ title: 'First', record: false, reconnect_window: 2 });
    const second = await createStream({ title: 'Second', record: false, reconnect_window: 2 });
    const on = publishRtmp(`rtmp://127.0.0.1:${nodeB.rtmpPort}/live/${first.stream_key}`, { seconds: 30 });
    try {
      await waitForStream(api, first.id, (s) => s.status === 'active', 25_000);
      const refused = publishRtmp(`rtmp://127.0.0.1:${nodeB.rtmpPort}/live/${second.stream_key}`, {
        seconds: 5,
      });
      assert.notEqual((await refused.exited).code, 0, 'the second stream cannot publish to a full node');
      const why = await waitForStream(api, second.id, (s) => s.last_error !== null, 5_000);
      assert.equal(why.last_error?.code, 'FH_ERR_LIVE_NODE_FULL');
      assert.notEqual(why.status, 'active');
      assert.equal((await waitForStream(api, first.id, () => true)).status, 'active', 'the first goes on');
    } finally {
      await on.stop();
    }
  });
});
