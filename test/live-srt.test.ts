import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import HLS from 'hls-parser';
import { type LiveStreamBody, type Publisher, publishSrt, waitForStream } from './helpers/live.ts';
import { freeUdpRange, udpPortBusy } from './helpers/live-media.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { waitForValue } from './helpers/wait.ts';

// SRT ingest through the server: every stream gets a port of FRAMEHOUSE_SRT_PORTS and a
// passphrase of its own; the live node keeps one ffmpeg SRT listener per stream (reconciled with
// the database every 2 s), so a caller with the right passphrase goes on air and plays as LL-HLS,
// a wrong one never does, and a reset key moves the listener to the new passphrase. The server
// runs as its own process (embedded database and store) so the test reads what it logs: never a
// stream key or a passphrase.

type MasterPlaylist = InstanceType<typeof HLS.types.MasterPlaylist>;
type MediaPlaylist = InstanceType<typeof HLS.types.MediaPlaylist>;

describe('live: SRT in through the server', () => {
  let server: Awaited<ReturnType<typeof spawnServe>>;
  let dataDir: string;
  let range: { first: number; last: number };
  const publishers: Publisher[] = [];
  /** Every stream key and passphrase the API showed: none may reach the server's log. */
  const secrets: string[] = [];

  before(async () => {
    range = await freeUdpRange(4);
    dataDir = await mkdtemp(join(tmpdir(), 'fh-live-srt-'));
    server = await spawnServe({
      FRAMEHOUSE_DATA_DIR: dataDir,
      FRAMEHOUSE_RTMP_PORT: '0',
      FRAMEHOUSE_SRT_PORTS: `${range.first}-${range.last}`,
      FRAMEHOUSE_LIVE_MAX_RUNGS: '1',
    });
  });
  after(async () => {
    await Promise.all(publishers.map((p) => p.stop()));
    server?.child.kill('SIGKILL');
    if (server) await exited(server.child);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const api = async <T>(path: string, init?: RequestInit) => {
    const res = await fetch(new URL(path, server.url), init);
    return { status: res.status, body: (await res.json()) as T };
  };

  const createStream = async (body: Record<string, unknown>) => {
    const res = await api<{ data: LiveStreamBody & { srt_passphrase?: string } }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    secrets.push(res.body.data.stream_key ?? '', res.body.data.srt_passphrase ?? '');
    return res.body.data;
  };
  const text = async (path: string) => {
    const res = await fetch(new URL(path, server.url));
    return { status: res.status, body: await res.text() };
  };
  const srtOf = (stream: { ingest: { srt: string | null } }) => {
    const url = new URL(stream.ingest.srt ?? 'srt://none');
    return {
      url: stream.ingest.srt ?? '',
      port: Number(url.port),
      passphrase: url.searchParams.get('passphrase') ?? '',
      streamId: url.searchParams.get('streamid') ?? '',
    };
  };
  const publish = (url: string, seconds: number) => {
    const p = publishSrt(url, { seconds, size: '640x360' });
    publishers.push(p);
    return p;
  };
  /** The node opened the stream's listener: its UDP port is taken. */
  const listening = (port: number) =>
    waitForValue(() => udpPortBusy(port), Boolean, {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: `an SRT listener on UDP ${port}`,
    });
  /** Calls until the stream is on air, calling again when a call is refused (as encoders do). */
  const publishUntilActive = async (url: string, id: string, timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const caller = publish(url, 20);
      const gone = caller.exited.then(() => 'exited' as const);
      const on = waitForStream(api, id, (s) => s.status === 'active', Math.max(until - Date.now(), 1))
        .then(() => 'active' as const)
        .catch(() => 'timeout' as const);
      const first = await Promise.race([gone, on]);
      if (first === 'active') return caller;
      await caller.stop();
      if (first === 'timeout' || Date.now() > until) throw new Error(`not on air: ${caller.log()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  /** Polls the stream for `ms` and answers every status it had. */
  const statusesFor = async (id: string, ms: number) => {
    const seen = new Set<string>();
    const until = Date.now() + ms;
    while (Date.now() < until) {
      seen.add((await api<{ data: LiveStreamBody }>(`/v1/live-streams/${id}`)).body.data.status);
      await new Promise((r) => setTimeout(r, 250));
    }
    return seen;
  };

  test('a stream gets a port and passphrase; an SRT caller with them goes on air and plays as LL-HLS', async () => {
    const stream = await createStream({ title: 'SRT sale', record: false, reconnect_window: 2 });
    const srt = srtOf(stream);
    assert.ok(srt.port >= range.first && srt.port <= range.last, `port ${srt.port} in the range`);
    assert.equal(srt.streamId, stream.stream_key);
    assert.ok(srt.passphrase.length >= 10, 'a passphrase SRT accepts');
    assert.equal(srt.passphrase, stream.srt_passphrase);

    await listening(srt.port);
    const caller = publish(srt.url, 25);
    try {
      const active = await waitForStream(api, stream.id, (s) => s.status === 'active', 25_000);
      assert.equal(active.current?.renditions[0]?.height, 360);
      const pid = stream.playback_ids[0]?.id ?? '';
      const master = await waitForValue(
        () => text(`/play/${pid}/master.m3u8`),
        (r) => r.status === 200 && r.body.includes('#EXT-X-STREAM-INF'),
        { timeoutMs: 15_000, intervalMs: 200, what: 'the master of the SRT stream' },
      );
      const variant = (HLS.parse(master.body) as MasterPlaylist).variants[0]?.uri ?? '';
      const media = await waitForValue(
        async () => {
          const r = await text(`/play/${pid}/${variant}`);
          return r.status === 200 ? (HLS.parse(r.body) as MediaPlaylist) : null;
        },
        (p) => (p?.segments.length ?? 0) >= 2 && (p?.segments.at(-1)?.parts?.length ?? 0) > 0,
        { timeoutMs: 20_000, intervalMs: 300, what: 'segments and parts of the SRT stream' },
      );
      const part = media?.segments.flatMap((s) => s.parts ?? []).at(-1);
      assert.ok(part);
      const base = `/play/${pid}/${variant.replace(/index\.m3u8$/, '')}`;
      const res = await fetch(new URL(`${base}${part.uri}`, server.url));
      assert.equal(res.status, 200);
      assert.ok((await res.arrayBuffer()).byteLength > 100);
    } finally {
      await caller.stop();
    }
    await waitForStream(api, stream.id, (s) => s.status !== 'active', 15_000);
  });

  test('a wrong passphrase never goes on air; a reset key moves the listener to the new passphrase', async (t) => {
    const stream = await createStream({ title: 'SRT keys', record: false, reconnect_window: 2 });
    const srt = srtOf(stream);
    await listening(srt.port);

    const wrongUrl = srt.url.replace(`passphrase=${srt.passphrase}`, 'passphrase=not-the-passphrase-0');
    assert.notEqual(wrongUrl, srt.url);
    const wrong = publish(wrongUrl, 8);
    const seen = await statusesFor(stream.id, 8_000);
    assert.deepEqual([...seen], ['idle'], 'a caller with the wrong passphrase never goes active');
    // It reached the listener and was turned away in SRT's handshake.
    const wrongExit = await Promise.race([wrong.exited, new Promise((r) => setTimeout(r, 3_000, null))]);
    assert.ok(wrongExit && (wrongExit as { code: number | null }).code !== 0, wrong.log());
    await wrong.stop();

    // Reset: a new key and passphrase. The node's listener follows within its 2 s reconcile.
    const reset = await api<{ data: LiveStreamBody & { srt_passphrase?: string } }>(
      `/v1/live-streams/${stream.id}/reset-stream-key`,
      { method: 'POST' },
    );
    assert.equal(reset.status, 200);
    secrets.push(reset.body.data.stream_key ?? '', reset.body.data.srt_passphrase ?? '');
    const after = srtOf(reset.body.data);
    assert.notEqual(after.passphrase, srt.passphrase);
    assert.equal(after.port, srt.port, 'the port stays');
    const resetAt = Date.now();

    // The new passphrase opens it as soon as the node's listener has followed (an encoder retries
    // a refused connection; so does this one).
    const caller = await publishUntilActive(after.url, stream.id, 20_000);
    t.diagnostic(`on air with the new passphrase ${Date.now() - resetAt} ms after the reset`);
    await caller.stop();
    await waitForStream(api, stream.id, (s) => s.status === 'idle', 15_000);

    // The old passphrase no longer opens it.
    const old = publish(srt.url, 8);
    const seenOld = await statusesFor(stream.id, 8_000);
    assert.deepEqual([...seenOld], ['idle'], 'the old passphrase is refused after the reset');
    await old.stop();
  });

  test('no stream key or SRT passphrase reaches the log', () => {
    assert.ok(secrets.length >= 6 && secrets.every((x) => x.length >= 10));
    assert.match(server.log(), /srt listener waiting for a caller/);
    for (const secret of secrets) assert.ok(!server.log().includes(secret), 'a secret in the log');
  });
});
