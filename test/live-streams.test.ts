import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresSkip, TEST_DIALECTS } from '../src/db/test-databases.ts';
import { ERROR_MESSAGES_KO } from '../src/i18n/error-messages.ko.ts';
import { LiveStreamsService } from '../src/live/streams/live-streams.service.ts';
import { signUpWithRole } from './helpers/accounts.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { waitFor } from './helpers/wait.ts';

const ADMIN_KEY = 'live-streams-admin-key-0123456789';
type ErrorBody = { error: { code: string; message: string } };
interface Stream {
  id: string;
  title: string | null;
  status: string;
  stream_key?: string;
  srt_passphrase?: string;
  ingest: { rtmp: string; rtmps: string | null; srt: string | null };
  playback_ids: { id: string; policy: string }[];
  latency_mode: string;
  reconnect_window: number;
  record: boolean;
  current: Record<string, unknown> | null;
  recordings: string[];
  last_error: { code: string; message: string } | null;
}
interface EventBody {
  type: string;
  asset_id: string | null;
  data: Record<string, unknown>;
}
const json = (body: unknown, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const current = (bitrate: number) => ({
  started_at: new Date().toISOString(),
  renditions: [{ name: '360p', width: 640, height: 360, bandwidth: 900_000 }],
  ingest_bitrate: bitrate,
  fps: 30,
});

for (const dialect of TEST_DIALECTS) {
  describe(`live streams API on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let server: TestServer;
    let live: LiveStreamsService;
    const create = async (body: object = {}) => {
      const res = await server.api<{ data: Stream }>('/v1/live-streams', json(body));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.data;
    };
    const get = async (id: string, init?: RequestInit) =>
      (await server.api<{ data: Stream }>(`/v1/live-streams/${id}`, init)).body.data;
    const events = async (streamId: string) => {
      const res = await server.api<{ data: EventBody[] }>('/v1/events?limit=500');
      return res.body.data.filter((e) => e.data.live_stream_id === streamId);
    };

    before(async () => {
      server = await startTestServer({ FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY }, undefined, dialect);
      live = server.live.streams;
    });
    after(() => server.stop());

    test('POST creates a stream with a key, ingest URLs and a playback id', async () => {
      const res = await server.api<{ data: Stream }>(
        '/v1/live-streams',
        json({ title: '  Spring sale  ', playback_policy: 'signed', reconnect_window: 30, record: false }),
      );
      assert.equal(res.status, 201);
      const s = res.body.data;
      assert.equal(res.headers.get('location'), `/v1/live-streams/${s.id}`);
      assert.equal(s.title, 'Spring sale');
      assert.equal(s.status, 'idle');
      assert.match(s.stream_key ?? '', /^[A-Za-z0-9]{32}$/);
      assert.match(s.srt_passphrase ?? '', /^[A-Za-z0-9]{16,32}$/);
      const port = new URL(server.url).port;
      assert.ok(port);
      assert.match(s.ingest.rtmp, /^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
      assert.equal(s.ingest.rtmps, null, 'no certificate: no RTMPS');
      assert.equal(s.ingest.srt, null, 'SRT is off on test servers');
      assert.deepEqual(
        s.playback_ids.map((p) => p.policy),
        ['signed'],
      );
      assert.equal(s.latency_mode, 'low');
      assert.equal(s.reconnect_window, 30);
      assert.equal(s.record, false);
      assert.equal(s.current, null);
      assert.deepEqual(s.recordings, []);
      assert.equal(s.last_error, null);
      // No body at all takes every default.
      const bare = await server.api<{ data: Stream }>('/v1/live-streams', { method: 'POST' });
      assert.equal(bare.status, 201, JSON.stringify(bare.body));
      const d = bare.body.data;
      assert.equal(d.title, null);
      assert.equal(d.reconnect_window, 60);
      assert.equal(d.record, true);
      assert.equal(d.playback_ids[0]?.policy, 'public');
      assert.notEqual(d.stream_key, s.stream_key);
      assert.deepEqual(
        (await events(s.id)).map((e) => e.type),
        ['live_stream.created'],
      );
      // The OpenAPI document lists the routes.
      const spec = await server.api<{ paths: Record<string, unknown> }>('/docs/json');
      assert.ok(spec.body.paths['/v1/live-streams/{id}/reset-stream-key']);
    });

    test('bad values are refused with FH_ERR_VALIDATION', async () => {
      for (const body of [
        { latency_mode: 'ultra' },
        { reconnect_window: -1 },
        { reconnect_window: 100_000 },
        { record: 'maybe' },
        { stream_key: 'mine' },
      ]) {
        const res = await server.api<ErrorBody>('/v1/live-streams', json(body));
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, 'FH_ERR_VALIDATION');
      }
      const s = await create();
      const patch = await server.api<ErrorBody>(
        `/v1/live-streams/${s.id}`,
        json({ reconnect_window: -5 }, 'PATCH'),
      );
      assert.equal(patch.status, 400);
      assert.equal(patch.body.error.code, 'FH_ERR_VALIDATION');
      const missing = await server.api<ErrorBody>('/v1/live-streams/nosuchstream0000');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'FH_ERR_LIVE_STREAM_NOT_FOUND');
      const cursor = await server.api<ErrorBody>('/v1/live-streams?cursor=garbage');
      assert.equal(cursor.body.error.code, 'FH_ERR_CURSOR_INVALID');
    });

    test('list pages newest first with a cursor', async () => {
      const made = [
        await create({ title: 'p1' }),
        await create({ title: 'p2' }),
        await create({ title: 'p3' }),
      ];
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = cursor ? `&cursor=${cursor}` : '';
        const res = await server.api<{ data: Stream[]; next_cursor: string | null }>(
          `/v1/live-streams?limit=2${q}`,
        );
        assert.equal(res.status, 200);
        assert.ok(res.body.data.length <= 2);
        seen.push(...res.body.data.map((s) => s.id));
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor && pages < 50);
      assert.equal(new Set(seen).size, seen.length, 'no stream twice');
      const [i1, i2, i3] = made.map((s) => seen.indexOf(s.id)) as [number, number, number];
      assert.ok(i1 >= 0 && i2 >= 0 && i3 >= 0);
      assert.ok(i3 < i2 && i2 < i1, 'newest first');
    });

    test('PATCH edits; the latency mode only between broadcasts; delete is refused while broadcasting', async () => {
      const s = await create({ title: 'edit me' });
      const edited = await server.api<{ data: Stream }>(
        `/v1/live-streams/${s.id}`,
        json(
          {
            title: 'edited',
            playback_policy: 'signed',
            reconnect_window: 120,
            record: false,
            latency_mode: 'standard',
          },
          'PATCH',
        ),
      );
      assert.equal(edited.status, 200);
      assert.equal(edited.body.data.title, 'edited');
      assert.equal(edited.body.data.playback_ids[0]?.policy, 'signed');
      assert.equal(edited.body.data.reconnect_window, 120);
      assert.equal(edited.body.data.record, false);
      assert.equal(edited.body.data.latency_mode, 'standard');

      const b = await live.startBroadcast(s.id, { nodeId: 'node-a' });
      assert.equal(
        await live.markActive(s.id, { nodeId: 'node-a', broadcastId: b.id, current: current(1e6) }),
        true,
      );
      const latency = await server.api<ErrorBody>(
        `/v1/live-streams/${s.id}`,
        json({ latency_mode: 'low' }, 'PATCH'),
      );
      assert.equal(latency.status, 409);
      assert.equal(latency.body.error.code, 'FH_ERR_LIVE_STREAM_BROADCASTING');
      // Other fields change while live.
      const title = await server.api(`/v1/live-streams/${s.id}`, json({ title: 'live now' }, 'PATCH'));
      assert.equal(title.status, 200);
      const del = await server.api<ErrorBody>(`/v1/live-streams/${s.id}`, { method: 'DELETE' });
      assert.equal(del.status, 409);
      assert.equal(del.body.error.code, 'FH_ERR_LIVE_STREAM_BROADCASTING');

      const done = await server.api<{ data: Stream }>(`/v1/live-streams/${s.id}/complete`, {
        method: 'POST',
      });
      assert.equal(done.body.data.status, 'idle');
      assert.equal((await live.getBroadcast(b.id))?.status, 'ended');
      const idle = (await events(s.id)).find((e) => e.type === 'live_stream.idle');
      assert.equal(idle?.data.reason, 'completed');
      assert.equal(idle?.data.broadcast_id, b.id);

      const gone = await server.api(`/v1/live-streams/${s.id}`, { method: 'DELETE' });
      assert.equal(gone.status, 204);
      assert.equal((await server.api(`/v1/live-streams/${s.id}`)).status, 404);
      assert.equal((await live.authorizePublish(s.stream_key ?? '')).ok, false);
      assert.ok((await events(s.id)).some((e) => e.type === 'live_stream.deleted'));
    });

    test('reset-stream-key: the old key is refused at once, the new one accepted', async () => {
      const s = await create();
      const oldKey = s.stream_key ?? '';
      const before = await live.authorizePublish(oldKey);
      assert.equal(before.ok, true);
      const res = await server.api<{ data: Stream }>(`/v1/live-streams/${s.id}/reset-stream-key`, {
        method: 'POST',
      });
      assert.equal(res.status, 200);
      const newKey = res.body.data.stream_key ?? '';
      assert.match(newKey, /^[A-Za-z0-9]{32}$/);
      assert.notEqual(newKey, oldKey);
      assert.notEqual(res.body.data.srt_passphrase, s.srt_passphrase);
      assert.deepEqual(await live.authorizePublish(oldKey), { ok: false, code: 'unknown' });
      const now = await live.authorizePublish(newKey);
      assert.ok(now.ok && now.stream.id === s.id);
      // Hostile candidates are refused before any lookup.
      assert.deepEqual(await live.authorizePublish('x'.repeat(10_000)), { ok: false, code: 'unknown' });
      assert.deepEqual(await live.authorizePublish(''), { ok: false, code: 'unknown' });
      const ev = (await events(s.id)).find((e) => e.type === 'live_stream.updated');
      assert.deepEqual(ev?.data.changes, ['stream_key']);
      assert.ok(!JSON.stringify(ev).includes(newKey), 'never the key in an event');
    });

    test('disable refuses publishes until enabled; a second publisher is busy', async () => {
      const s = await create();
      const key = s.stream_key ?? '';
      const disabled = await server.api<{ data: Stream }>(`/v1/live-streams/${s.id}/disable`, {
        method: 'POST',
      });
      assert.equal(disabled.body.data.status, 'disabled');
      assert.deepEqual(await live.authorizePublish(key), { ok: false, code: 'disabled', streamId: s.id });
      const b0 = await live.startBroadcast(s.id, { nodeId: 'node-a' });
      assert.equal(
        await live.markActive(s.id, { nodeId: 'node-a', broadcastId: b0.id, current: current(1) }),
        false,
        'a disabled stream does not go live',
      );
      await live.endBroadcast(b0.id);
      await live.recordRefusal(s.id, 'FH_ERR_LIVE_STREAM_DISABLED');
      assert.equal((await get(s.id)).last_error?.code, 'FH_ERR_LIVE_STREAM_DISABLED');
      const enabled = await server.api<{ data: Stream }>(`/v1/live-streams/${s.id}/enable`, {
        method: 'POST',
      });
      assert.equal(enabled.body.data.status, 'idle');
      assert.equal((await live.authorizePublish(key)).ok, true);

      const b = await live.startBroadcast(s.id, { nodeId: 'node-a' });
      assert.equal(
        await live.markActive(s.id, { nodeId: 'node-a', broadcastId: b.id, current: current(2) }),
        true,
      );
      assert.equal((await get(s.id)).last_error, null, 'a publish that went live clears the last refusal');
      assert.deepEqual(await live.authorizePublish(key), { ok: false, code: 'busy', streamId: s.id });
      const other = await live.startBroadcast(s.id, { nodeId: 'node-b' });
      assert.equal(
        await live.markActive(s.id, { nodeId: 'node-b', broadcastId: other.id, current: current(3) }),
        false,
        'the race between two publishers has one winner',
      );
      // Disabling a live stream ends its broadcast.
      const off = await server.api<{ data: Stream }>(`/v1/live-streams/${s.id}/disable`, { method: 'POST' });
      assert.equal(off.body.data.status, 'disabled');
      assert.equal((await live.getBroadcast(b.id))?.status, 'ended');
      const ev = (await events(s.id)).filter((e) => e.type === 'live_stream.disabled').at(-1);
      assert.equal(ev?.data.broadcast_id, b.id);
    });

    test("last_error in the request's language: Korean for Accept-Language ko, the stored English otherwise", async () => {
      const s = await create({ title: 'Refused' });
      const english = 'The input bitrate (25000 kbps) is higher than this server accepts (20000 kbps).';
      await live.recordRefusal(s.id, 'FH_ERR_LIVE_BITRATE_TOO_HIGH', english);
      const korean = ERROR_MESSAGES_KO.FH_ERR_LIVE_BITRATE_TOO_HIGH;
      const ko = { headers: { 'accept-language': 'ko-KR,ko;q=0.9,en;q=0.8' } };
      const one = await server.api<{ data: Stream }>(`/v1/live-streams/${s.id}`, ko);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.data.last_error, { code: 'FH_ERR_LIVE_BITRATE_TOO_HIGH', message: korean });
      assert.match(one.headers.get('vary') ?? '', /accept-language/i, 'caches keep one answer per language');
      const list = await server.api<{ data: Stream[] }>('/v1/live-streams?limit=100', ko);
      assert.equal(list.body.data.find((x) => x.id === s.id)?.last_error?.message, korean, 'the list too');
      const edited = await server.api<{ data: Stream }>(`/v1/live-streams/${s.id}`, {
        ...json({ title: 'Refused again' }, 'PATCH'),
        headers: { 'content-type': 'application/json', ...ko.headers },
      });
      assert.equal(edited.body.data.last_error?.message, korean, 'and what an edit answers');
      // English (asked for, or no Accept-Language): the message recorded with the refusal.
      assert.equal(
        (await get(s.id, { headers: { 'accept-language': 'en-US' } })).last_error?.message,
        english,
      );
      assert.equal((await get(s.id)).last_error?.message, english);
    });

    test('active → disconnected → active (same broadcast) → idle, each with its event; current only while active', async () => {
      const s = await create({ reconnect_window: 1 });
      const key = s.stream_key ?? '';
      const auth = await live.authorizePublish(key);
      assert.ok(auth.ok);
      const b = await live.startBroadcast(s.id, { nodeId: 'node-a', renditions: [{ name: '360p' }] });
      assert.equal(
        await live.markActive(s.id, { nodeId: 'node-a', broadcastId: b.id, current: current(1000) }),
        true,
      );
      let got = await get(s.id);
      assert.equal(got.status, 'active');
      assert.equal(got.current?.ingest_bitrate, 1000);
      assert.equal((got.current?.renditions as unknown[] | undefined)?.length, 1);
      assert.equal(await live.updateCurrent(s.id, current(2000)), true);
      assert.equal((await get(s.id)).current?.ingest_bitrate, 2000);

      for (let msn = 0; msn < 3; msn++)
        await live.addSegment({
          broadcastId: b.id,
          rendition: '360p',
          msn,
          duration: 2,
          programDateTime: new Date().toISOString(),
          discontinuity: false,
          initId: 0,
          objectKey: `live/${b.id}/360p/seg_${msn}.m4s`,
        });
      await live.addSegment({
        broadcastId: b.id,
        rendition: '360p',
        msn: 1,
        duration: 9,
        programDateTime: new Date().toISOString(),
        discontinuity: false,
        initId: 0,
        objectKey: 'again',
      });

      assert.equal(await live.markDisconnected(s.id), true);
      got = await get(s.id);
      assert.equal(got.status, 'disconnected');
      assert.equal(got.current, null, 'current only while active');
      assert.equal((await live.authorizePublish(key)).ok, true, 'the encoder may come back');
      const resumed = await live.resumeBroadcast(s.id, { nodeId: 'node-b' });
      assert.equal(resumed?.id, b.id);
      assert.equal(resumed?.next_msn, 3);
      const segments = await live.listSegments(b.id, { rendition: '360p' });
      assert.deepEqual(
        segments.map((x) => [x.msn, x.duration]),
        [
          [0, 2],
          [1, 2],
          [2, 2],
        ],
        'a segment written twice keeps its first row',
      );
      assert.equal(
        await live.markActive(s.id, { nodeId: 'node-b', broadcastId: b.id, current: current(5) }),
        true,
      );
      assert.equal(await live.markDisconnected(s.id), true);
      await waitFor(async () => (await live.disconnectedPastWindow()).some((x) => x.id === s.id), {
        timeoutMs: 5000,
        what: 'the reconnect window to pass',
      });
      const ended = await live.markIdle(s.id);
      assert.equal(ended?.id, b.id);
      assert.equal(ended?.status, 'ended');
      assert.equal(await live.markIdle(s.id), null, 'nothing left to end');
      got = await get(s.id);
      assert.equal(got.status, 'idle');

      const types = (await events(s.id)).map((e) => e.type);
      assert.deepEqual(types, [
        'live_stream.created',
        'live_stream.active',
        'live_stream.disconnected',
        'live_stream.active',
        'live_stream.disconnected',
        'live_stream.idle',
      ]);
      const resumedEvent = (await events(s.id)).filter((e) => e.type === 'live_stream.active')[1];
      assert.equal(resumedEvent?.data.resumed, true);

      // The recording: shown once set, announced once ready.
      await live.setBroadcastAsset(b.id, 'recordingasset000001');
      assert.deepEqual((await get(s.id)).recordings, ['recordingasset000001']);
      await live.recordingReady(b.id);
      const ready = (await events(s.id)).find((e) => e.type === 'live_stream.recording.ready');
      assert.equal(ready?.asset_id, 'recordingasset000001');
      assert.equal(ready?.data.broadcast_id, b.id);
      // A recording moved to the trash is not listed (restored, it is again).
      const now = new Date().toISOString();
      await server.db
        .insertInto('assets')
        .values({
          id: 'recordingasset000001',
          status: 'ready',
          kind: 'video',
          title: null,
          source_key: 'sources/recordingasset000001/original',
          source_filename: null,
          source_size: null,
          source_sha256: null,
          duration: null,
          width: null,
          height: null,
          is_360: 0,
          progress: null,
          media_info: null,
          errors: '[]',
          created_at: now,
          updated_at: now,
          created_by: null,
        })
        .execute();
      assert.equal((await server.api('/v1/assets/recordingasset000001', { method: 'DELETE' })).status, 204);
      assert.deepEqual((await get(s.id)).recordings, []);
      assert.equal(
        (await server.api('/v1/assets/recordingasset000001/restore', { method: 'POST' })).status,
        200,
      );
      assert.deepEqual((await get(s.id)).recordings, ['recordingasset000001']);

      // Found by its playback id, with the node holding it while live.
      await live.registerNode({
        id: 'node-a',
        host: 'live-a',
        internalUrl: 'http://live-a:8080',
        rtmpPort: 1935,
        maxStreams: 4,
      });
      const again = await live.startBroadcast(s.id, { nodeId: 'node-a' });
      await live.markActive(s.id, { nodeId: 'node-a', broadcastId: again.id, current: current(1) });
      const found = await live.byPlaybackId(s.playback_ids[0]?.id ?? '');
      assert.equal(found?.stream.id, s.id);
      assert.equal(found?.node?.internal_url, 'http://live-a:8080');
      assert.equal(found?.broadcast?.id, again.id);
      assert.equal(await live.byPlaybackId('nosuchplaybackid'), undefined);
      // The node goes silent: its streams turn disconnected.
      assert.equal(await live.heartbeat('node-a', 1), true);
      assert.ok((await live.liveNodes(60)).some((n) => n.id === 'node-a'));
      assert.deepEqual(await live.nodesNotSeenFor(60), [], 'seen just now');
      await new Promise((r) => setTimeout(r, 30));
      assert.deepEqual(
        // The test server runs a live node of its own (live-…), beating every 2 s.
        (await live.nodesNotSeenFor(0.01)).map((n) => n.id).filter((id) => !id.startsWith('live-')),
        ['node-a'],
      );
      assert.deepEqual(await live.nodeLost('node-a'), [s.id]);
      assert.equal((await get(s.id)).status, 'disconnected');
      await live.removeNode('node-a');
      assert.equal(await live.heartbeat('node-a', 0), false, 'a removed node registers again');
    });

    test('complete drops the publisher through the kick hook, after the change is committed', async () => {
      const kicked: [string, string | null, string | undefined][] = [];
      const withKick = new LiveStreamsService({
        db: server.db,
        srtPorts: null,
        kick: async (id, nodeId) => {
          kicked.push([id, nodeId, (await withKick.row(id))?.status]);
        },
      });
      const s = await create();
      const b = await withKick.startBroadcast(s.id, { nodeId: 'node-k' });
      await withKick.markActive(s.id, { nodeId: 'node-k', broadcastId: b.id, current: current(1) });
      const who = { actor: 'test', credential: null, ip: null };
      const view = await withKick.complete(s.id, who);
      assert.equal(view.stream.status, 'idle');
      await waitFor(async () => kicked.length === 1, { timeoutMs: 2000, what: 'the kick' });
      assert.deepEqual(kicked, [[s.id, 'node-k', 'idle']]);
      await withKick.complete(s.id, who);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(kicked.length, 1, 'nothing to end: no kick');
    });

    test('the key and passphrase show to the creator and admins only', async () => {
      const editor = await signUpWithRole(
        server,
        `editor-${dialect}@example.com`,
        'editor password 123',
        'editor',
      );
      const editor2 = await signUpWithRole(
        server,
        `editor2-${dialect}@example.com`,
        'editor password 123',
        'editor',
      );
      const viewer = await signUpWithRole(
        server,
        `viewer-${dialect}@example.com`,
        'viewer password 123',
        'viewer',
      );
      const as = (cookie: string, init: RequestInit = {}): RequestInit => ({
        ...init,
        headers: { ...(init.headers as Record<string, string>), cookie, origin: server.url },
      });
      // Straight to the server: server.api would add the admin key to these requests.
      const call = async <T>(path: string, init: RequestInit) => {
        const res = await fetch(new URL(path, server.url), init);
        return { status: res.status, body: (await res.json()) as T };
      };
      const getAs = async (id: string, init: RequestInit) =>
        (await call<{ data: Stream }>(`/v1/live-streams/${id}`, init)).body.data;
      const made = await call<{ data: Stream }>('/v1/live-streams', as(editor, json({ title: 'mine' })));
      assert.equal(made.status, 201);
      const id = made.body.data.id;
      assert.ok(made.body.data.stream_key, 'the creator sees the key');
      assert.ok((await getAs(id, as(editor))).stream_key, 'again, later');
      assert.ok((await get(id)).stream_key, 'an admin sees it');

      const readKey = await server.api<{ data: { key: string } }>(
        '/v1/api-keys',
        json({ name: 'reader', scopes: ['assets:read'] }),
      );
      const reader = { headers: { authorization: `Bearer ${readKey.body.data.key}` } };
      for (const [who, init] of [
        ['viewer', as(viewer)],
        ['other editor', as(editor2)],
        ['read-only key', reader],
      ] as const) {
        const seen = await getAs(id, init);
        assert.equal(seen.id, id, who);
        assert.ok(!('stream_key' in seen), `${who}: no stream_key`);
        assert.ok(!('srt_passphrase' in seen), `${who}: no srt_passphrase`);
        const listed = await call<{ data: Stream[] }>('/v1/live-streams?limit=100', init);
        const row = listed.body.data.find((x) => x.id === id);
        assert.ok(row && !('stream_key' in row), `${who}: not in the list either`);
      }
      const notMine = await call<ErrorBody>(
        `/v1/live-streams/${id}/reset-stream-key`,
        as(editor2, { method: 'POST' }),
      );
      assert.equal(notMine.status, 403);
      assert.equal(notMine.body.error.code, 'FH_ERR_NOT_OWNER');
      const noScope = await call<ErrorBody>(`/v1/live-streams/${id}/disable`, { ...reader, method: 'POST' });
      assert.equal(noScope.status, 403);
    });
  });

  describe(`SRT ports on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let server: TestServer;
    before(async () => {
      // Ports are only given out here (nothing listens): no collision with other test processes.
      server = await startTestServer(
        { FRAMEHOUSE_SRT_PORTS: '20000-20002', FRAMEHOUSE_LIVE_INGEST_HOST: 'ingest.example.com' },
        undefined,
        dialect,
      );
    });
    after(() => server.stop());

    test('each stream gets its own port of the range; a full range is a clear error', async () => {
      const made = await Promise.all(
        [1, 2, 3].map(() => server.api<{ data: Stream }>('/v1/live-streams', json({}))),
      );
      assert.deepEqual(
        made.map((r) => r.status),
        [201, 201, 201],
      );
      const urls = made.map((r) => new URL(r.body.data.ingest.srt ?? ''));
      assert.deepEqual(urls.map((u) => Number(u.port)).sort(), [20000, 20001, 20002]);
      const first = made.map((r) => r.body.data)[0] as Stream;
      assert.equal(urls[0]?.hostname, 'ingest.example.com');
      assert.equal(urls[0]?.searchParams.get('streamid'), first.stream_key);
      assert.equal(urls[0]?.searchParams.get('passphrase'), first.srt_passphrase);
      assert.match(first.ingest.rtmp, /^rtmp:\/\/ingest\.example\.com:\d+\/live$/);

      const full = await server.api<ErrorBody>('/v1/live-streams', json({}));
      assert.equal(full.status, 503);
      assert.equal(full.body.error.code, 'FH_ERR_LIVE_SRT_PORTS_EXHAUSTED');
      assert.match(full.body.error.message, /FRAMEHOUSE_SRT_PORTS \(20000-20002, 3 ports\)/);

      // A deleted stream gives its port back.
      assert.equal((await server.api(`/v1/live-streams/${first.id}`, { method: 'DELETE' })).status, 204);
      const again = await server.api<{ data: Stream }>('/v1/live-streams', json({}));
      assert.equal(again.status, 201);
      assert.equal(new URL(again.body.data.ingest.srt ?? '').port, urls[0]?.port);
    });
  });
}
