import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  openTestDatabase,
  postgresSkip,
  TEST_DIALECTS,
  type TestDatabase,
} from '../src/db/test-databases.ts';
import { makeClip } from './fixtures/media.ts';
import { chromiumAvailable, launchChromium } from './helpers/browser.ts';
import { CmcdPlayer } from './helpers/cmcd-player.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { isFinished, startTestServer, type TestServer } from './helpers/server.ts';
import { waitFor } from './helpers/wait.ts';

// Viewer analytics, the ingest path (docs/qoe.md): players' reports over HTTP, as hls.js 1.7.4
// sends them (one CMCD v2 event report per POST, made by the real CmcdReporter in
// test/helpers/cmcd-player.ts), into the view rows and timelines, on SQLite and PostgreSQL.

const KEY = 'qoe-ingest-admin-key-0123456789abcdef';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
/** Per address and minute: low enough to reach in a test, high enough for the others' requests. */
const RATE_LIMIT = 40;

interface Posted {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A POST on a connection of its own (so several processes on one port each get some). */
function post(
  base: string,
  path: string,
  body: string,
  opts: { contentType?: string; address?: string; userAgent?: string } = {},
): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type':
            opts.contentType ?? (path.endsWith('beacon') ? 'application/json' : 'application/cmcd'),
          'content-length': Buffer.byteLength(body),
          ...(opts.address ? { 'x-forwarded-for': opts.address } : {}),
          'user-agent': opts.userAgent ?? IPHONE,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Reports as hls.js sends them: each body on its own POST, one after the other. */
async function sendAll(base: string, bodies: string[], address: string): Promise<void> {
  for (const body of bodies) {
    const r = await post(base, '/v1/qoe/cmcd', body, { address });
    assert.equal(r.status, 204, r.body);
  }
}

/** A CMCD line of our own making (ts, sn and the rest as given). */
const line = (sid: string, cid: string, ts: number, sn: number, more = 'e=t,sta=p') =>
  `cid="${cid}",${more},sid="${sid}",sn=${sn},ts=${ts},v=2\n`;

for (const dialect of TEST_DIALECTS) {
  describe(`viewer analytics ingest (${dialect})`, { skip: postgresSkip(dialect) }, () => {
    let server: TestServer;
    let work: string;
    let playbackId: string;
    let livePlaybackId: string;
    /** The asset's variants as its master playlist lists them: name and BANDWIDTH. */
    let variants: { name: string; bandwidth: number; height: number | null }[];
    let address = 0;
    /** A documentation address (198.51.100.0/24) of each test's own: the rate limit counts per address. */
    const nextAddress = () => `198.51.100.${++address}`;

    const view = (sid: string) =>
      server.db.selectFrom('qoe_views').selectAll().where('sid', '=', sid).executeTakeFirst();
    const timeline = async (sid: string) => {
      const v = await view(sid);
      return v
        ? server.db
            .selectFrom('qoe_view_events')
            .selectAll()
            .where('view_id', '=', v.id)
            .orderBy('ts')
            .orderBy('sn')
            .execute()
        : [];
    };
    const metric = async (result: string) => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(
        new RegExp(`^framehouse_qoe_reports_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1],
      );
    };

    before(async () => {
      work = await mkdtemp(join(tmpdir(), 'qoe-ingest-'));
      server = await startTestServer(
        {
          FRAMEHOUSE_ADMIN_API_KEY: KEY,
          // `true` trusts the nearest proxy: the tests' X-Forwarded-For is the client address.
          FRAMEHOUSE_TRUST_PROXY: 'true',
          FRAMEHOUSE_QOE_RATE_LIMIT: String(RATE_LIMIT),
        },
        undefined,
        dialect,
      );
      const asset = await server.upload(
        await makeClip(work, { name: 'qoe', width: 640, height: 360, seconds: 2 }),
      );
      const ready = await server.waitForAsset(asset.id, isFinished);
      assert.equal(ready.status, 'ready');
      playbackId = ready.playback_ids[0]?.id as string;
      const audio = ready.renditions.find((r) => r.type === 'audio');
      variants = ready.renditions
        .filter((r) => r.type === 'video')
        .map((r) => ({ name: r.name, bandwidth: r.bandwidth + (audio?.bandwidth ?? 0), height: r.height }))
        .sort((a, b) => b.bandwidth - a.bandwidth);
      assert.ok(variants.length >= 2, 'two video rungs');
      const live = await server.api<{ data: { playback_ids: { id: string }[] } }>('/v1/live-streams', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      livePlaybackId = live.body.data.playback_ids[0]?.id as string;
    });

    after(async () => {
      await server?.stop();
      await rm(work, { recursive: true, force: true });
    });

    test('GET /v1/instance says players report', async () => {
      const r = await server.api<{ data: { qoe: boolean } }>('/v1/instance');
      assert.equal(r.body.data.qoe, true);
    });

    test('a whole hls.js session and its beacons: the view’s metrics, client, country; no address kept', async () => {
      const [top, low] = variants as [(typeof variants)[0], (typeof variants)[0]];
      const start = Date.now() - 120_000;
      const player = new CmcdPlayer({ sid: `sess-full-${dialect}`, cid: playbackId, now: start });
      player
        .attachMedia()
        .loadSource()
        .playlistRequest()
        .levelSwitching(low.bandwidth)
        .playlistRequest({ streamType: 'v' })
        .play()
        .wait(1500)
        .playing()
        .wait(12_000)
        .levelSwitching(top.bandwidth)
        .wait(8000)
        .waiting()
        .wait(1800)
        .playing()
        .wait(6000)
        .seeking()
        .waiting()
        .wait(700)
        .playing()
        .wait(5000)
        .pause();
      const firstFrame = start + 1500;
      const end = player.now;
      const bodies = player.stop();
      assert.ok(bodies.every((b) => b.split('\n').filter(Boolean).length === 1));
      // The Korean viewer's address, as a proxy in front of the server passes it on.
      const korean = '211.234.77.99';
      const sentAt = Date.now();
      await sendAll(server.url, bodies, korean);
      // The beacons: from 5 s into playing, a 640×360 picture in a 1280×720 player (2×).
      for (const [at, dropped] of [
        [firstFrame + 5000, 2],
        [firstFrame + 15_000, 9],
      ] as const) {
        const r = await post(
          server.url,
          '/v1/qoe/beacon',
          JSON.stringify({
            sid: `sess-full-${dialect}`,
            cid: playbackId,
            ts: at,
            video_width: 640,
            video_height: 360,
            player_width: 1280,
            player_height: 720,
            dropped_frames: dropped,
            total_frames: 400,
          }),
          { address: korean, contentType: 'text/plain;charset=UTF-8' },
        );
        assert.equal(r.status, 204, r.body);
      }

      const v = await view(`sess-full-${dialect}`);
      assert.ok(v);
      // Playing: 12 + 8 s, 6 s, 5 s; buffering: 1.8 s (a stall), 0.7 s (after the seek: not one).
      assert.equal(v.startup_ms, 1500);
      assert.equal(Number(v.playing_ms), 12_000 + 8000 + 6000 + 5000);
      assert.equal(Number(v.watch_ms), 1500 + 12_000 + 8000 + 1800 + 6000 + 700 + 5000);
      assert.equal(v.rebuffer_count, 1);
      assert.equal(Number(v.rebuffer_ms), 1800);
      assert.equal(v.switches, 1);
      // CMCD sends br in whole kbps.
      const lowKbps = Math.round(low.bandwidth / 1000);
      const topKbps = Math.round(top.bandwidth / 1000);
      assert.ok(
        Math.abs(Number(v.avg_bitrate_kbps) - (lowKbps * 12_000 + topKbps * 19_000) / 31_000) < 0.01,
        String(v.avg_bitrate_kbps),
      );
      // Upscaled from the first beacon (5 s into playing) on: 31 − 5 s; 2× at most.
      assert.equal(Number(v.upscaled_ms), 26_000);
      assert.equal(v.max_upscale, 2);
      assert.equal(v.dropped_frames, 9);
      const renditions = JSON.parse(v.renditions) as {
        rendition: string;
        playing_ms: number;
        rebuffer_count: number;
      }[];
      assert.deepEqual(
        renditions.map((r) => [r.rendition, r.playing_ms, r.rebuffer_count]).sort(),
        [
          [low.name, 12_000, 0],
          [top.name, 19_000, 1],
        ].sort(),
      );
      assert.equal(v.failed, 0);
      assert.equal(v.stream_type, 'vod');
      assert.equal(v.asset_id !== null && v.live_stream_id === null, true);
      assert.equal(v.device_type, 'mobile');
      assert.equal(v.os, 'iOS');
      assert.equal(v.browser, 'Safari');
      assert.equal(v.country, 'KR');
      assert.equal(v.report_count, bodies.length + 2);
      assert.equal(v.success_score, 100);
      assert.equal(v.startup_score, (100 * (10 - 1.5)) / 9);
      assert.ok(v.score !== null && v.score > 0 && v.score < 100);
      // Times on the server's clock: the first report's is when it arrived (the player's clock is
      // only trusted for durations), and the view lasts as long as the session did.
      assert.ok(Number(v.started_at) >= sentAt && Number(v.started_at) <= sentAt + 5000);
      assert.equal(Number(v.last_report_at) - Number(v.started_at), end - start);
      // The timeline holds every report, on the player's clock.
      const events = await timeline(`sess-full-${dialect}`);
      assert.equal(events.length, bodies.length + 2);
      assert.equal(events.filter((e) => e.event === 'beacon').length, 2);
      // The address is kept nowhere: not in the row, not in the timeline…
      assert.ok(!JSON.stringify({ v, events }).includes('211.234'));
      // …nor anywhere in the database file (SQLite: the file and its write-ahead log).
      if (dialect === 'sqlite') {
        const file = join(server.dataDir, 'framehouse.db');
        for (const f of [file, `${file}-wal`])
          assert.ok(!readFileSync(f).includes(Buffer.from('211.234.77.99')), `${f} holds the address`);
      }
    });

    test('a malformed line refuses the whole body: 400 with its line, nothing stored', async () => {
      const sid = `sess-bad-${dialect}`;
      const invalidBefore = await metric('invalid');
      const now = Date.now();
      const r = await post(
        server.url,
        '/v1/qoe/cmcd',
        `${line(sid, playbackId, now, 0, 'e=ps,sta=s')}e=ps,sta=p,sid="${sid}",cid="${playbackId}",ts="soon"\n`,
        { address: nextAddress() },
      );
      assert.equal(r.status, 400);
      const error = JSON.parse(r.body).error;
      assert.equal(error.code, 'FH_ERR_QOE_REPORT_INVALID');
      assert.equal(error.details.line, 2);
      assert.match(error.details.reason, /ts/);
      assert.equal(await view(sid), undefined);
      assert.equal(await metric('invalid'), invalidBefore + 2);
      const garbage = await post(server.url, '/v1/qoe/cmcd', 'this is not cmcd', { address: nextAddress() });
      assert.equal(garbage.status, 400);
      const beacon = await post(server.url, '/v1/qoe/beacon', '{"sid":"x"', { address: nextAddress() });
      assert.equal(beacon.status, 400);
      assert.equal(JSON.parse(beacon.body).error.code, 'FH_ERR_QOE_REPORT_INVALID');
    });

    test('a cid that is no playback id of this server: 422', async () => {
      const r = await post(
        server.url,
        '/v1/qoe/cmcd',
        line('sess-unknown', 'nosuchplaybackid', Date.now(), 0),
        {
          address: nextAddress(),
        },
      );
      assert.equal(r.status, 422);
      assert.equal(JSON.parse(r.body).error.code, 'FH_ERR_QOE_UNKNOWN_CONTENT');
      assert.equal(await view('sess-unknown'), undefined);
    });

    test('a retried POST is stored once: timeline and metrics unchanged', async () => {
      const sid = `sess-retry-${dialect}`;
      const t = Date.now() - 30_000;
      const who = nextAddress();
      await sendAll(
        server.url,
        [line(sid, playbackId, t, 0, 'e=ps,sta=s'), line(sid, playbackId, t + 900, 1, 'e=ps,sta=p')],
        who,
      );
      const last = line(sid, playbackId, t + 10_900, 2, 'e=t,sta=p');
      await sendAll(server.url, [last], who);
      const once = await view(sid);
      await sendAll(server.url, [last, last], who);
      const twice = await view(sid);
      assert.ok(once && twice);
      assert.deepEqual({ ...twice, received_at: 0 }, { ...once, received_at: 0 });
      assert.equal(twice.report_count, 3);
      assert.equal(Number(twice.playing_ms), 10_000);
      assert.equal((await timeline(sid)).length, 3);
    });

    test('an out-of-order report recomputes the view: the same metrics as in order', async () => {
      const t = Date.now() - 60_000;
      const script = (sid: string) => [
        line(sid, livePlaybackId, t, 0, 'e=ps,sta=s,st=l'),
        line(sid, livePlaybackId, t + 1100, 1, 'e=ps,sta=p,br=(2000)'),
        line(sid, livePlaybackId, t + 11_100, 2, 'e=t,sta=p,br=(2000)'),
        line(sid, livePlaybackId, t + 14_000, 3, 'e=ps,sta=r,br=(2000)'),
        line(sid, livePlaybackId, t + 16_500, 4, 'e=ps,sta=p,br=(2000)'),
        line(sid, livePlaybackId, t + 21_100, 5, 'e=t,sta=p,br=(2000)'),
      ];
      const inOrder = `sess-inorder-${dialect}`;
      const shuffled = `sess-shuffled-${dialect}`;
      const who = nextAddress();
      await sendAll(server.url, script(inOrder), who);
      const s = script(shuffled);
      // The stall's two reports arrive last (their requests were slower).
      await sendAll(server.url, [s[0], s[1], s[2], s[5], s[4], s[3]] as string[], who);
      const a = await view(inOrder);
      const b = await view(shuffled);
      assert.ok(a && b);
      for (const column of [
        'startup_ms',
        'rebuffer_count',
        'rebuffer_ms',
        'watch_ms',
        'playing_ms',
        'avg_bitrate_kbps',
        'renditions',
        'score',
        'report_count',
        'stream_type',
      ] as const)
        assert.deepEqual(b[column], a[column], column);
      assert.equal(a.rebuffer_count, 1);
      assert.equal(Number(a.rebuffer_ms), 2500);
      assert.equal(a.stream_type, 'live');
      assert.equal(a.live_stream_id !== null && a.asset_id === null, true);
    });

    test('a report for a closed view is acknowledged and dropped (late)', async () => {
      const sid = `sess-closed-${dialect}`;
      const t = Date.now() - 20_000;
      const who = nextAddress();
      await sendAll(server.url, [line(sid, playbackId, t, 0, 'e=ps,sta=s')], who);
      // The close job's doing (helper B's): the view is over.
      await server.db
        .updateTable('qoe_views')
        .set({ closed_at: Date.now() })
        .where('sid', '=', sid)
        .execute();
      const lateBefore = await metric('late');
      await sendAll(server.url, [line(sid, playbackId, t + 1000, 1, 'e=ps,sta=p')], who);
      assert.equal((await timeline(sid)).length, 1);
      assert.equal((await view(sid))?.report_count, 1);
      assert.equal(await metric('late'), lateBefore + 1);
    });

    test(`more than ${RATE_LIMIT} requests a minute from one address: 429 with Retry-After`, async () => {
      const sid = `sess-limit-${dialect}`;
      const who = nextAddress();
      const t = Date.now() - 10_000;
      const limitedBefore = await metric('limited');
      for (let i = 0; i < RATE_LIMIT; i++) {
        const r = await post(server.url, '/v1/qoe/cmcd', line(sid, playbackId, t + i, i), { address: who });
        assert.equal(r.status, 204, `request ${i + 1}: ${r.body}`);
      }
      const refused = await post(server.url, '/v1/qoe/cmcd', line(sid, playbackId, t + 99, 99), {
        address: who,
      });
      assert.equal(refused.status, 429);
      assert.equal(JSON.parse(refused.body).error.code, 'FH_ERR_RATE_LIMITED');
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, String(refused.headers['retry-after']));
      assert.equal(await metric('limited'), limitedBefore + 1);
      assert.equal((await view(sid))?.report_count, RATE_LIMIT);
      // Another address is not held back by this one.
      const other = await post(server.url, '/v1/qoe/cmcd', line(sid, playbackId, t + 100, 100), {
        address: nextAddress(),
      });
      assert.equal(other.status, 204);
    });

    test('many parallel requests for one session: every report counted', async () => {
      const sid = `sess-parallel-${dialect}`;
      const t = Date.now() - 60_000;
      const n = 120;
      const addresses = Array.from({ length: 6 }, nextAddress);
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          post(
            server.url,
            '/v1/qoe/cmcd',
            line(sid, playbackId, t + i * 100, i, i === 0 ? 'e=ps,sta=s' : 'e=t,sta=p'),
            {
              address: addresses[i % addresses.length],
            },
          ),
        ),
      );
      assert.deepEqual(
        results.filter((r) => r.status !== 204),
        [],
      );
      const v = await view(sid);
      assert.equal(v?.report_count, n);
      assert.equal((await timeline(sid)).length, n);
      assert.equal(Number(v?.watch_ms), (n - 1) * 100);
    });

    test('reports from any site: the preflight allows every origin', async () => {
      const r = await fetch(`${server.url}/v1/qoe/cmcd`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://player.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      assert.equal(r.status, 204);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.match(r.headers.get('access-control-allow-headers') ?? '', /content-type/);
    });
  });
}

describe('two HTTP processes on one SQLite file (serve): one session reported to both', () => {
  let work: string;
  let server: Awaited<ReturnType<typeof spawnServe>>;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'qoe-serve-'));
    server = await spawnServe({
      FRAMEHOUSE_DATA_DIR: work,
      FRAMEHOUSE_HTTP_PROCESSES: '2',
      FRAMEHOUSE_ADMIN_API_KEY: KEY,
      FRAMEHOUSE_ACCESS_LOG: 'errors',
      FRAMEHOUSE_QOE_RATE_LIMIT: '0',
    });
    await waitFor(() => (server.log().match(/framehouse is serving/g)?.length ?? 0) >= 2, {
      timeoutMs: 30_000,
      what: 'both HTTP processes serving',
    });
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await exited(server.child);
    await rm(work, { recursive: true, force: true });
  });

  test('parallel reports of one sid over both processes: none lost, the view made once', async () => {
    const created = await fetch(`${server.url}/v1/live-streams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const cid = ((await created.json()) as { data: { playback_ids: { id: string }[] } }).data.playback_ids[0]
      ?.id as string;
    const t = Date.now() - 60_000;
    const n = 200;
    // Each on a connection of its own: the kernel spreads them over both processes.
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post(server.url, '/v1/qoe/cmcd', line('sess-two-procs', cid, t + i * 50, i)),
      ),
    );
    assert.deepEqual(
      results.filter((r) => r.status !== 204).map((r) => r.body),
      [],
    );
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(join(work, 'framehouse.db'), { readOnly: true });
    try {
      const views = db
        .prepare("select id, report_count, watch_ms from qoe_views where sid = 'sess-two-procs'")
        .all();
      assert.equal(views.length, 1);
      assert.equal(views[0]?.report_count, n);
      // Applied in (ts, sn) order whichever process got them first: playing from the first to the last.
      assert.equal(views[0]?.watch_ms, (n - 1) * 50);
      const events = db
        .prepare('select count(*) as n from qoe_view_events where view_id = ?')
        .get(views[0]?.id as string);
      assert.equal(events?.n, n);
    } finally {
      db.close();
    }
  });
});

describe('two api nodes on one PostgreSQL: one session reported to both', {
  skip: postgresSkip('postgres'),
}, () => {
  let database: TestDatabase;
  const nodes: TestServer[] = [];
  before(async () => {
    database = await openTestDatabase('postgres');
    for (let i = 0; i < 2; i++)
      nodes.push(
        await startTestServer({
          DATABASE_URL: database.url,
          FRAMEHOUSE_ADMIN_API_KEY: KEY,
          FRAMEHOUSE_QOE_RATE_LIMIT: '0',
        }),
      );
  });
  after(async () => {
    for (const node of nodes) await node.stop();
    await database?.close();
  });

  test('parallel reports of one sid to both nodes: none lost, the view made once', async () => {
    const [a, b] = nodes as [TestServer, TestServer];
    const created = await a.api<{ data: { playback_ids: { id: string }[] } }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const cid = created.body.data.playback_ids[0]?.id as string;
    const t = Date.now() - 60_000;
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post((i % 2 ? a : b).url, '/v1/qoe/cmcd', line('sess-two-nodes', cid, t + i * 50, i)),
      ),
    );
    assert.deepEqual(
      results.filter((r) => r.status !== 204).map((r) => r.body),
      [],
    );
    const views = await database.db
      .selectFrom('qoe_views')
      .selectAll()
      .where('sid', '=', 'sess-two-nodes')
      .execute();
    assert.equal(views.length, 1);
    assert.equal(views[0]?.report_count, n);
    // Applied in (ts, sn) order whichever node got them first: playing from the first to the last.
    assert.equal(Number(views[0]?.watch_ms), (n - 1) * 50);
  });
});

describe('FRAMEHOUSE_QOE=false', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ FRAMEHOUSE_QOE: 'false' });
  });
  after(async () => server?.stop());

  test('both endpoints answer 410 (a CMCD v2 player stops reporting), /v1/instance says qoe: false', async () => {
    for (const path of ['/v1/qoe/cmcd', '/v1/qoe/beacon']) {
      const r = await post(server.url, path, path.endsWith('beacon') ? '{}' : 'e=t');
      assert.equal(r.status, 410);
      assert.equal(JSON.parse(r.body).error.code, 'FH_ERR_QOE_DISABLED');
    }
    assert.equal((await server.api<{ data: { qoe: boolean } }>('/v1/instance')).body.data.qoe, false);
  });
});

describe('same-origin sendBeacon from Chromium', { skip: !chromiumAvailable() }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ FRAMEHOUSE_ADMIN_API_KEY: KEY });
  });
  after(async () => server?.stop());

  test('a page of the server beacons a CMCD report and a JSON beacon as it closes: both stored', async () => {
    const created = await server.api<{ data: { playback_ids: { id: string }[] } }>('/v1/live-streams', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const cid = created.body.data.playback_ids[0]?.id as string;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/healthz`);
      // As our player does on pagehide (the test's tsconfig has no DOM types: the script as text).
      const sent = await page.evaluate<boolean[]>(`(() => {
        const ts = Date.now();
        const cmcd = new Blob(['cid="${cid}",e=ps,sid="sess-beacon",sn=0,sta=s,ts=' + ts + ',v=2\\n'], {
          type: 'application/cmcd',
        });
        return [
          navigator.sendBeacon('/v1/qoe/cmcd', cmcd),
          navigator.sendBeacon(
            '/v1/qoe/beacon',
            JSON.stringify({ sid: 'sess-beacon', cid: '${cid}', ts: ts + 1, dropped_frames: 3, exit: true }),
          ),
        ];
      })()`);
      assert.deepEqual(sent, [true, true]);
      const v = await waitFor(
        async () => {
          const row = await server.db
            .selectFrom('qoe_views')
            .selectAll()
            .where('sid', '=', 'sess-beacon')
            .executeTakeFirst();
          return row && row.report_count === 2 ? row : undefined;
        },
        { what: 'both beacons stored' },
      );
      assert.equal(v.dropped_frames, 3);
    } finally {
      await browser.close();
    }
  });
});
