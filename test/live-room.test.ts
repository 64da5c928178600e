import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { exited, spawnServe } from './helpers/processes.ts';
import { RoomStream, roomCall } from './helpers/room.ts';
import { waitFor, waitForValue } from './helpers/wait.ts';

// The live room on `framehouse serve` as it runs by default on a small machine: two HTTP
// processes on one port (FRAMEHOUSE_HTTP_PROCESSES=2, SQLite), so every fan-out is the
// cross-process case. Viewers connect from several loopback addresses (127.0.0.x) as a crowd
// would; bans by address are tested with them.

const KEY = 'live-room-admin-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

interface ChatMessage {
  id: string;
  name: string;
  text: string;
  role: string;
  offset_seconds: number | null;
}

describe('live room on serve with 2 HTTP processes (SQLite)', () => {
  let work: string;
  let server: Awaited<ReturnType<typeof spawnServe>>;
  let base: string;
  let streamId: string;
  let playbackId: string;
  let room: string;
  const streams: RoomStream[] = [];

  const join_ = async (nickname: string, localAddress = '127.0.0.1') => {
    const r = await roomCall(`${room}/viewers`, 'POST', { nickname }, { localAddress });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.data as { viewer_id: string; viewer_token: string; name: string };
  };
  const send = (token: string, text: string) =>
    roomCall(`${room}/messages`, 'POST', { text }, { headers: { 'framehouse-viewer': token } });
  const admin = (path: string, method = 'GET', body?: unknown) =>
    roomCall(`${base}/v1/live-streams/${streamId}${path}`, method, body, { headers: auth });
  /** An account signed up with `role`: its session cookie (and origin, as a browser sends them). */
  const account = async (email: string, name: string, role: 'editor' | 'viewer') => {
    const signUp = await fetch(`${base}/v1/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ email, password: 'a long enough password 123', name }),
    });
    assert.equal(signUp.status, 200, await signUp.clone().text());
    const cookie = signUp.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const users = await roomCall(`${base}/v1/users?limit=100`, 'GET', undefined, { headers: auth });
    const id = (users.body.data as { id: string; email: string }[]).find((u) => u.email === email)?.id;
    const set = await roomCall(`${base}/v1/users/${id}`, 'PATCH', { role }, { headers: auth });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    return { cookie, origin: base };
  };
  /** A photo uploaded with the admin key, once ready. */
  const photo = async (policy: 'public' | 'signed') => {
    const jpeg = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#c33' } })
      .jpeg()
      .toBuffer();
    const form = new FormData();
    form.append('file', new Blob([jpeg]), 'product.jpg');
    const created = await fetch(`${base}/v1/assets`, { method: 'POST', headers: auth, body: form });
    assert.equal(created.status, 202);
    const id = ((await created.json()) as { data: { id: string } }).data.id;
    await waitFor(
      async () =>
        (await roomCall(`${base}/v1/assets/${id}`, 'GET', undefined, { headers: auth })).body.data.status ===
        'ready',
      { timeoutMs: 30_000, what: 'the photo ready' },
    );
    if (policy === 'signed')
      assert.equal(
        (await roomCall(`${base}/v1/assets/${id}`, 'PATCH', { playback_policy: 'signed' }, { headers: auth }))
          .status,
        200,
      );
    return id;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'live-room-'));
    server = await spawnServe({
      FRAMEHOUSE_DATA_DIR: work,
      FRAMEHOUSE_HTTP_PROCESSES: '2',
      FRAMEHOUSE_ADMIN_API_KEY: KEY,
      FRAMEHOUSE_CHAT_WORD_FILTER: 'darn,바보',
      FRAMEHOUSE_ACCESS_LOG: 'errors',
      // `true` trusts the nearest proxy only: the forgery test below stands in for that proxy.
      FRAMEHOUSE_TRUST_PROXY: 'true',
      FRAMEHOUSE_ROOM_STREAMS_PER_ADDRESS: '5',
    });
    base = server.url;
    // The sibling HTTP process starts after the first answers: wait for both.
    await waitFor(() => (server.log().match(/framehouse is serving/g)?.length ?? 0) >= 2, {
      timeoutMs: 30_000,
      what: 'both HTTP processes serving',
    });
    const created = await roomCall(`${base}/v1/live-streams`, 'POST', {}, { headers: auth });
    assert.equal(created.status, 201);
    streamId = created.body.data.id;
    playbackId = created.body.data.playback_ids[0].id;
    room = `${base}/v1/rooms/${playbackId}`;
  });

  after(async () => {
    for (const s of streams) s.close();
    server.child.kill('SIGTERM');
    await exited(server.child);
    await rm(work, { recursive: true, force: true });
  });

  test('a room exists for a stream off air: chat before the broadcast, no offset', async () => {
    const r = await roomCall(room, 'GET');
    assert.equal(r.status, 200);
    assert.equal(r.body.data.status, 'idle');
    assert.deepEqual(r.body.data.settings, {
      guests_allowed: true,
      links_allowed: false,
      slow_mode_seconds: 0,
      paused: false,
      max_length: 200,
    });
    const unknown = await roomCall(`${base}/v1/rooms/nosuchplaybackid00`, 'GET');
    assert.equal(unknown.status, 404);
  });

  test('viewers on both processes get a message sent to either within 1 s', async () => {
    for (let i = 0; i < 12; i++) streams.push(await RoomStream.open(`${room}/events`, `127.0.0.${10 + i}`));
    await waitFor(() => streams.every((s) => s.of('snapshot').length === 1), { what: 'snapshots' });
    // Both processes hold some of the streams: their presence rows say so.
    const db = new DatabaseSync(join(work, 'framehouse.db'), { readOnly: true });
    try {
      const nodes = await waitForValue(
        () =>
          db
            .prepare(
              'select node_id, viewers from live_room_presence where live_stream_id = ? and viewers > 0',
            )
            .all(streamId) as { node_id: string; viewers: number }[],
        (rows) => rows.length === 2,
        { timeoutMs: 15_000, what: 'presence rows of both processes' },
      );
      assert.equal(
        nodes.reduce((s, r) => s + r.viewers, 0),
        12,
      );
    } finally {
      db.close();
    }
    const viewer = await join_('alice', '127.0.0.2');
    // Several messages, each on a fresh connection: the kernel spreads them over both processes.
    for (let i = 0; i < 6; i++) {
      const sentAt = Date.now();
      const r = await send(viewer.viewer_token, `hello ${i}`);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const id = r.body.data.id as string;
      await waitFor(() => streams.every((s) => s.of<ChatMessage>('message').some((m) => m.id === id)), {
        timeoutMs: 3000,
        intervalMs: 10,
        what: `message ${i} on every stream`,
      });
      const latest = Math.max(
        ...streams.map((s) => s.events.find((e) => (e.data as ChatMessage).id === id)?.at ?? 0),
      );
      assert.ok(latest - sentAt < 1000, `message ${i} took ${latest - sentAt} ms to reach every viewer`);
      if (i % 5 === 4) await new Promise((r) => setTimeout(r, 2000)); // the rate limit refills
    }
    // The viewer count pushed to every stream sums both processes.
    await waitFor(
      () => streams.every((s) => s.of<{ count: number }>('viewers').some((v) => v.count === 12)),
      {
        timeoutMs: 12_000,
        what: 'viewers: 12 on every stream',
      },
    );
  });

  test('a new countdown reaches open pages, and snapshots taken after it carry it', async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const patched = await admin('/room', 'PATCH', { scheduled_at: at });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await waitFor(
      () =>
        streams.every((s) =>
          s.of<{ scheduled_at: string | null }>('schedule').some((e) => e.scheduled_at === at),
        ),
      { what: 'the schedule event on every stream' },
    );
    // Both processes had a snapshot cached from before: a stream opened now gets the new one.
    for (const address of ['127.0.0.40', '127.0.0.41', '127.0.0.42']) {
      const late = await RoomStream.open(`${room}/events`, address);
      await waitFor(() => late.of('snapshot').length === 1, { what: 'a late snapshot' });
      const [snap] = late.of<{ room: { scheduled_at: string | null } }>('snapshot');
      assert.equal(snap?.room.scheduled_at, at);
      late.close();
    }
  });

  test("a title edit (no room event) reaches new streams' snapshots within a few seconds", async () => {
    const renamed = await roomCall(
      `${base}/v1/live-streams/${streamId}`,
      'PATCH',
      { title: 'Renamed show' },
      { headers: auth },
    );
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const started = Date.now();
    await waitForValue(
      async () => {
        const late = await RoomStream.open(`${room}/events`, '127.0.0.43');
        try {
          await waitFor(() => late.of('snapshot').length === 1, { what: 'a late snapshot' });
          return late.of<{ room: { title: string | null } }>('snapshot')[0]?.room.title;
        } finally {
          late.close();
        }
      },
      (title) => title === 'Renamed show',
      { timeoutMs: 9000, intervalMs: 500, what: 'the new title in a snapshot' },
    );
    assert.ok(Date.now() - started < 7000);
  });

  test('filtered words are masked; script in names and text is stored and sent as text', async () => {
    const viewer = await join_('<script>alert(1)</script>', '127.0.0.3');
    assert.equal(viewer.name, '<script>alert(1)</script>');
    const r = await send(viewer.viewer_token, 'darn it, 바보야 <img src=x onerror=alert(1)>');
    assert.equal(r.status, 201);
    assert.match(r.headers['content-type'] as string, /^application\/json/);
    assert.equal(r.body.data.text, '**** it, **야 <img src=x onerror=alert(1)>');
    assert.equal(r.body.data.offset_seconds, null);
    const id = r.body.data.id;
    const got = await waitFor(() => streams[0]?.of<ChatMessage>('message').find((m) => m.id === id));
    assert.equal(got.name, '<script>alert(1)</script>');
    assert.equal(got.text, '**** it, **야 <img src=x onerror=alert(1)>');
  });

  test('moderation: host messages, deletion, pause, slow mode, guests only when allowed, audited', async () => {
    const viewer = await join_('bob', '127.0.0.4');
    const sent = await send(viewer.viewer_token, 'delete me');
    assert.equal(sent.status, 201);
    const host = await admin('/chat', 'POST', { text: 'Welcome!' });
    assert.equal(host.status, 201);
    assert.equal(host.body.data.role, 'host');
    const del = await admin(`/chat/${sent.body.data.id}`, 'DELETE');
    assert.equal(del.status, 204);
    await waitFor(
      () =>
        streams.every((s) => s.of<{ id: string }>('message_deleted').some((d) => d.id === sent.body.data.id)),
      {
        what: 'message_deleted everywhere',
      },
    );
    const history = await admin('/chat?limit=5');
    assert.equal(history.status, 200);
    const deleted = history.body.data.find((m: { id: string }) => m.id === sent.body.data.id);
    assert.equal(deleted.deleted, true);
    assert.equal(deleted.viewer_kind, 'guest');

    assert.equal((await admin('/room', 'PATCH', { paused: true })).status, 200);
    await waitFor(() => streams.every((s) => s.of<{ paused: boolean }>('settings').some((x) => x.paused)), {
      what: 'settings (paused) everywhere',
    });
    const paused = await send(viewer.viewer_token, 'anyone?');
    assert.equal(paused.status, 409);
    assert.equal(paused.body.error.code, 'FH_ERR_CHAT_PAUSED');

    assert.equal((await admin('/room', 'PATCH', { paused: false, slow_mode_seconds: 30 })).status, 200);
    const patient = await join_('patient', '127.0.0.5');
    assert.equal((await send(patient.viewer_token, 'one')).status, 201);
    const slow = await send(patient.viewer_token, 'two');
    assert.equal(slow.status, 429);
    assert.equal(slow.body.error.code, 'FH_ERR_CHAT_SLOW_MODE');
    assert.ok(Number(slow.headers['retry-after']) > 20);
    assert.equal(
      (await admin('/room', 'PATCH', { slow_mode_seconds: 0, guests_allowed: false })).status,
      200,
    );
    const guest = await roomCall(
      `${room}/viewers`,
      'POST',
      { nickname: 'late' },
      { localAddress: '127.0.0.30' },
    );
    assert.equal(guest.status, 403);
    assert.equal(guest.body.error.code, 'FH_ERR_CHAT_SIGN_IN_REQUIRED');
    assert.equal((await admin('/room', 'PATCH', { guests_allowed: true })).status, 200);

    const audit = await roomCall(`${base}/v1/audit?limit=100`, 'GET', undefined, { headers: auth });
    const actions = new Set((audit.body.data as { action: string }[]).map((a) => a.action));
    for (const a of ['live_room.settings_updated', 'live_room.message_deleted', 'live_room.host_message'])
      assert.ok(actions.has(a), `audit has ${a}`);
  });

  test('bans cover the guest id and the address: a new guest from the same address is refused', async () => {
    const viewer = await join_('troll', '127.0.0.50');
    assert.equal((await send(viewer.viewer_token, 'spam')).status, 201);
    const ban = await admin('/bans', 'POST', { viewer_id: viewer.viewer_id, reason: 'spam' });
    assert.equal(ban.status, 201);
    assert.equal(ban.body.data.until, null);
    await waitFor(
      () =>
        streams.every((s) =>
          s.of<{ viewer_id: string }>('viewer_banned').some((b) => b.viewer_id === viewer.viewer_id),
        ),
      {
        what: 'viewer_banned everywhere',
      },
    );
    const refused = await send(viewer.viewer_token, 'more spam');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'FH_ERR_CHAT_BANNED');
    const again = await roomCall(
      `${room}/viewers`,
      'POST',
      { nickname: 'not a troll' },
      { localAddress: '127.0.0.50' },
    );
    assert.equal(again.status, 403);
    assert.equal(again.body.error.code, 'FH_ERR_CHAT_BANNED');
    // Another address is another guest.
    await join_('neighbour', '127.0.0.51');
    // A time-out ends by itself; lifting a ban lets the guest back in.
    const other = await join_('hothead', '127.0.0.52');
    const timeout = await admin('/bans', 'POST', { viewer_id: other.viewer_id, duration_seconds: 60 });
    assert.equal(timeout.status, 201);
    assert.ok(Date.parse(timeout.body.data.until) > Date.now() + 50_000);
    const list = await admin('/bans');
    assert.equal(list.body.data.length, 2);
    assert.equal((await admin(`/bans/${ban.body.data.id}`, 'DELETE')).status, 204);
    assert.equal((await send(viewer.viewer_token, 'sorry')).status, 201);
  });

  test('behind one proxy, a forged X-Forwarded-For does not leave an address ban', async () => {
    // The proxy (127.0.0.1 here) appends the client's address to whatever the client sent.
    const via = (client: string, forged?: string) => ({
      headers: { 'x-forwarded-for': forged ? `${forged}, ${client}` : client },
    });
    const r = await roomCall(`${room}/viewers`, 'POST', { nickname: 'forger' }, via('198.51.100.9'));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await admin('/bans', 'POST', { viewer_id: r.body.data.viewer_id })).status, 201);
    const forged = await roomCall(
      `${room}/viewers`,
      'POST',
      { nickname: 'innocent' },
      via('198.51.100.9', '203.0.113.200'),
    );
    assert.equal(forged.status, 403, JSON.stringify(forged.body));
    assert.equal(forged.body.error.code, 'FH_ERR_CHAT_BANNED');
    // IPv6: the ban covers the client's /64, whatever its low 64 bits.
    const v6 = await roomCall(`${room}/viewers`, 'POST', { nickname: 'six' }, via('2001:db8:5:6::1'));
    assert.equal(v6.status, 201, JSON.stringify(v6.body));
    assert.equal((await admin('/bans', 'POST', { viewer_id: v6.body.data.viewer_id })).status, 201);
    const moved = await roomCall(
      `${room}/viewers`,
      'POST',
      { nickname: 'six again' },
      via('2001:db8:5:6:dead:beef:1:2'),
    );
    assert.equal(moved.status, 403, JSON.stringify(moved.body));
    assert.equal(moved.body.error.code, 'FH_ERR_CHAT_BANNED');
    const neighbour = await roomCall(`${room}/viewers`, 'POST', { nickname: 'n' }, via('2001:db8:5:7::1'));
    assert.equal(neighbour.status, 201);
  });

  test("an account's ban covers its last join's address for guests; guests turned off stop sending", async () => {
    const viewer = await account('heckler@example.com', 'Heckler', 'viewer');
    const joined = await roomCall(
      `${room}/viewers`,
      'POST',
      {},
      { headers: { 'x-forwarded-for': '198.51.100.30', ...viewer } },
    );
    assert.equal(joined.status, 201, JSON.stringify(joined.body));
    assert.equal(joined.body.data.kind, 'user');
    assert.equal((await admin('/bans', 'POST', { viewer_id: joined.body.data.viewer_id })).status, 201);
    const asGuest = await roomCall(
      `${room}/viewers`,
      'POST',
      { nickname: 'someone else' },
      { headers: { 'x-forwarded-for': '198.51.100.30' } },
    );
    assert.equal(asGuest.status, 403, JSON.stringify(asGuest.body));
    assert.equal(asGuest.body.error.code, 'FH_ERR_CHAT_BANNED');

    const guest = await roomCall(
      `${room}/viewers`,
      'POST',
      { nickname: 'early' },
      { headers: { 'x-forwarded-for': '198.51.100.31' } },
    );
    assert.equal(guest.status, 201);
    assert.equal((await send(guest.body.data.viewer_token, 'before')).status, 201);
    assert.equal((await admin('/room', 'PATCH', { guests_allowed: false })).status, 200);
    try {
      const after = await send(guest.body.data.viewer_token, 'after');
      assert.equal(after.status, 403, JSON.stringify(after.body));
      assert.equal(after.body.error.code, 'FH_ERR_CHAT_SIGN_IN_REQUIRED');
    } finally {
      assert.equal((await admin('/room', 'PATCH', { guests_allowed: true })).status, 200);
    }
    assert.equal((await send(guest.body.data.viewer_token, 'back')).status, 201);
  });

  test("a signed-in viewer's account name is cleaned on join, never refused", async () => {
    const viewer = await account('bidi@example.com', '\u202eevil\u202c name', 'viewer');
    const joined = await roomCall(`${room}/viewers`, 'POST', {}, { headers: viewer });
    assert.equal(joined.status, 201, JSON.stringify(joined.body));
    assert.equal(joined.body.data.name, 'evil name');
  });

  test('a flood gets 429 with Retry-After, and the server stays up', async () => {
    const viewer = await join_('flooder', '127.0.0.60');
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => send(viewer.viewer_token, `flood ${i}`)),
    );
    const ok = answers.filter((a) => a.status === 201).length;
    const limited = answers.filter((a) => a.status === 429);
    // The bucket holds five, whichever process each request reached.
    assert.equal(ok, 5);
    assert.equal(limited.length, 35);
    assert.ok(
      limited.every(
        (a) => a.body.error.code === 'FH_ERR_CHAT_RATE_LIMITED' && Number(a.headers['retry-after']) >= 1,
      ),
    );
    // New guests from one address are limited too.
    const joins = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        roomCall(`${room}/viewers`, 'POST', { nickname: `g${i}` }, { localAddress: '127.0.0.61' }),
      ),
    );
    assert.ok(joins.some((j) => j.status === 429));
    // A crowd's reactions (four addresses) are taken; one address flooding is limited.
    const reactions = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        roomCall(
          `${room}/reactions`,
          'POST',
          { kind: 'heart', count: 5 },
          { localAddress: `127.0.0.7${i % 4}` },
        ),
      ),
    );
    assert.ok(reactions.every((r) => r.status === 202));
    const flood = await Promise.all(
      Array.from({ length: 300 }, () =>
        roomCall(`${room}/reactions`, 'POST', { kind: 'wow', count: 1 }, { localAddress: '127.0.0.80' }),
      ),
    );
    const floodLimited = flood.filter((r) => r.status === 429);
    // 100 per 10 s per address on each of the two HTTP processes.
    assert.ok(floodLimited.length >= 100, `${floodLimited.length} of 300 limited`);
    assert.ok(
      floodLimited.every(
        (r) => r.body.error.code === 'FH_ERR_RATE_LIMITED' && Number(r.headers['retry-after']) >= 1,
      ),
    );
    // Reactions are added up: a few events, not 200, and none lost.
    await waitFor(
      () =>
        (streams[0]
          ?.of<{ counts: { heart?: number } }>('reactions')
          .reduce((s, r) => s + (r.counts.heart ?? 0), 0) ?? 0) >= 1000,
      {
        what: '1000 hearts',
      },
    );
    assert.ok((streams[0]?.of('reactions').length ?? 0) <= 10);
    assert.equal((await roomCall(`${base}/healthz`, 'GET')).status, 200);
  });

  test('event streams are limited per address (per process): 429 with Retry-After', async () => {
    const tryOpen = (localAddress: string) =>
      new Promise<{ status: number; retryAfter: string | undefined; body: string; close: () => void }>(
        (resolve, reject) => {
          const req = request(`${room}/events`, { agent: false, localAddress }, (res) => {
            const out = {
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'] as string | undefined,
              body: '',
              close: () => res.destroy(),
            };
            if (res.statusCode === 200) return resolve(out);
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              out.body += d;
            });
            res.on('end', () => resolve(out));
          });
          req.on('error', reject);
          req.end();
        },
      );
    // Five a process, two processes: of 14 from one address, at least four are refused.
    const tries = [];
    for (let i = 0; i < 14; i++) tries.push(await tryOpen('127.0.0.95'));
    const refused = tries.filter((t) => t.status === 429);
    assert.ok(refused.length >= 4, `${refused.length} refused`);
    assert.ok(tries.filter((t) => t.status === 200).length <= 10);
    for (const r of refused) {
      assert.equal(JSON.parse(r.body).error.code, 'FH_ERR_ROOM_STREAMS_PER_ADDRESS');
      assert.ok(Number(r.retryAfter) >= 1);
    }
    // Another address is not held back; closing streams gives their places back.
    const other = await tryOpen('127.0.0.96');
    assert.equal(other.status, 200);
    other.close();
    for (const t of tries) t.close();
    await waitFor(
      async () => {
        const again = await tryOpen('127.0.0.95');
        again.close();
        return again.status === 200;
      },
      { what: 'places given back' },
    );
  });

  test('bad bodies get coded errors: oversized, malformed, too long, control characters, no token', async () => {
    const viewer = await join_('tester', '127.0.0.70');
    const headers = { 'framehouse-viewer': viewer.viewer_token };
    const big = await roomCall(`${room}/messages`, 'POST', undefined, {
      headers,
      raw: JSON.stringify({ text: 'x'.repeat(40_000) }),
    });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'FH_ERR_BODY_TOO_LARGE');
    const malformed = await roomCall(`${room}/messages`, 'POST', undefined, {
      headers,
      raw: '{"text": "unterminated',
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'FH_ERR_VALIDATION');
    const long = await send(viewer.viewer_token, 'y'.repeat(201));
    assert.equal(long.status, 400);
    assert.equal(long.body.error.code, 'FH_ERR_CHAT_MESSAGE_INVALID');
    const control = await send(viewer.viewer_token, 'line\nbreak');
    assert.equal(control.body.error.code, 'FH_ERR_CHAT_MESSAGE_INVALID');
    const noToken = await roomCall(`${room}/messages`, 'POST', { text: 'hi' });
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.error.code, 'FH_ERR_CHAT_VIEWER_REQUIRED');
    const forged = await send(`${viewer.viewer_token.slice(0, -3)}abc`, 'hi');
    assert.equal(forged.status, 401);
    const nickname = await roomCall(
      `${room}/viewers`,
      'POST',
      { nickname: '   ' },
      { localAddress: '127.0.0.71' },
    );
    assert.equal(nickname.body.error.code, 'FH_ERR_CHAT_NICKNAME_INVALID');
    const kind = await roomCall(`${room}/reactions`, 'POST', { kind: 'poop' });
    assert.equal(kind.status, 400);
    assert.equal((await roomCall(`${base}/healthz`, 'GET')).status, 200);
  });

  test('products: create, order, pin (every viewer gets pinned), clicks, summary', async () => {
    const a = await admin('/products', 'POST', {
      title: 'Mug',
      price: { amount: '12.50', currency: 'EUR' },
      url: 'https://shop.example/mug',
    });
    assert.equal(a.status, 201);
    const b = await admin('/products', 'POST', { title: 'Shirt' });
    const js = await admin('/products', 'POST', { title: 'Bad', url: 'javascript:alert(1)' });
    assert.equal(js.status, 400);
    const order = await admin('/products/order', 'PUT', { ids: [b.body.data.id, a.body.data.id] });
    assert.deepEqual(
      order.body.data.map((p: { title: string }) => p.title),
      ['Shirt', 'Mug'],
    );
    assert.equal((await admin(`/products/${a.body.data.id}/pin`, 'POST')).status, 200);
    await waitFor(
      () => streams.every((s) => s.of<{ id: string } | null>('pinned').some((p) => p?.id === a.body.data.id)),
      {
        what: 'pinned everywhere',
      },
    );
    const roomNow = await roomCall(room, 'GET');
    assert.equal(roomNow.body.data.pinned.title, 'Mug');
    for (let i = 0; i < 3; i++)
      assert.equal((await roomCall(`${room}/products/${a.body.data.id}/clicks`, 'POST')).status, 204);
    // Clicks are added up in each process and written every second.
    await waitFor(
      async () =>
        (await admin('/products')).body.data.find((p: { id: string }) => p.id === a.body.data.id).clicks ===
        3,
      { timeoutMs: 5000, what: '3 clicks counted' },
    );
    const unknown = await roomCall(`${room}/products/nosuchproduct000/clicks`, 'POST');
    assert.equal(unknown.status, 404);
    // One address clicking without end is limited (30 per 10 s on each of the two processes).
    const flood = await Promise.all(
      Array.from({ length: 100 }, () =>
        roomCall(`${room}/products/${a.body.data.id}/clicks`, 'POST', undefined, {
          localAddress: '127.0.0.90',
        }),
      ),
    );
    const limited = flood.filter((r) => r.status === 429);
    assert.ok(limited.length >= 40, `${limited.length} of 100 limited`);
    assert.ok(limited.every((r) => r.body.error.code === 'FH_ERR_RATE_LIMITED'));
    const taken = flood.length - limited.length;
    await waitFor(
      async () =>
        (await admin('/products')).body.data.find((p: { id: string }) => p.id === a.body.data.id).clicks ===
        3 + taken,
      { timeoutMs: 5000, what: 'the flood counted' },
    );
    assert.equal((await admin('/pin', 'DELETE')).status, 204);
    await waitFor(() => streams.every((s) => s.of('pinned').at(-1) === null), {
      what: 'unpinned everywhere',
    });
    // No broadcast yet: no summary.
    assert.equal((await admin('/summary')).body.error.code, 'FH_ERR_BROADCAST_NOT_FOUND');
  });

  test("pictures: a signed asset's image is served by the room, and no token of the asset goes out", async () => {
    const asset = await photo('signed');
    const created = await admin('/products', 'POST', { title: 'Poster print', image_asset_id: asset });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const url = created.body.data.image_url as string;
    assert.match(url, new RegExp(`^/v1/rooms/${playbackId}/products/${created.body.data.id}/image\\.jpg`));
    assert.ok(!url.includes('token'), url);
    const image = await fetch(`${base}${url}`);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/jpeg');
    assert.match(image.headers.get('cache-control') ?? '', /max-age=86400/);
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
    assert.equal(meta.width, 640);
    const poster = await admin('/room', 'PATCH', { poster_asset_id: asset });
    assert.equal(poster.status, 200, JSON.stringify(poster.body));
    const roomNow = await roomCall(room, 'GET');
    const posterUrl = roomNow.body.data.poster_url as string;
    assert.match(posterUrl, new RegExp(`^/v1/rooms/${playbackId}/poster\\.jpg`));
    assert.equal((await fetch(`${base}${posterUrl}`)).status, 200);
    // No image: 404 with a code.
    const bare = await admin('/products', 'POST', { title: 'No picture' });
    const none = await roomCall(`${room}/products/${bare.body.data.id}/image.jpg`, 'GET');
    assert.equal(none.status, 404);
    // An editor may only show their own assets in their room.
    const editor = await account('editor@example.com', 'Eddie', 'editor');
    const own = await roomCall(`${base}/v1/live-streams`, 'POST', {}, { headers: editor });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const theirs = `${base}/v1/live-streams/${own.body.data.id}`;
    const taken = await roomCall(
      `${theirs}/products`,
      'POST',
      { title: 'x', image_asset_id: asset },
      { headers: editor },
    );
    assert.equal(taken.status, 403, JSON.stringify(taken.body));
    const posterTaken = await roomCall(
      `${theirs}/room`,
      'PATCH',
      { poster_asset_id: asset },
      { headers: editor },
    );
    assert.equal(posterTaken.status, 403, JSON.stringify(posterTaken.body));
  });
});
