import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { directoryBytes } from '../src/edge/disk-store.ts';
import { makeClip } from './fixtures/media.ts';
import { countingProxy, type EdgeProcess, spawnEdge } from './helpers/edge.ts';
import { exited, spawnServe } from './helpers/processes.ts';
import { waitFor, waitForValue } from './helpers/wait.ts';

// `framehouse edge` as its own process in front of a real `framehouse serve` (an asset uploaded
// and transcoded for real), with a counting proxy between them: how many requests the origin
// got is read from outside the edge.

const KEY = 'fh_edge_test_admin_key_0123456789';
const auth = { authorization: `Bearer ${KEY}` };

interface Asset {
  id: string;
  status: string;
  progress: number | null;
  playback_ids: { id: string }[];
}

describe('framehouse edge in front of a real origin', () => {
  let work: string;
  let origin: Awaited<ReturnType<typeof spawnServe>>;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let edge: EdgeProcess;
  let cacheDir: string;
  let asset: Asset;
  let pid: string;
  const edges: EdgeProcess[] = [];

  const upload = async (name: string, seconds: number): Promise<Asset> => {
    const file = await makeClip(work, { name, width: 640, height: 360, seconds });
    const form = new FormData();
    form.append('file', await openAsBlob(file), `${name}.mp4`);
    const res = await fetch(`${origin.url}/v1/assets`, { method: 'POST', body: form, headers: auth });
    assert.equal(res.status, 202);
    const created = ((await res.json()) as { data: Asset }).data;
    return waitForValue(
      async () =>
        (
          (await (await fetch(`${origin.url}/v1/assets/${created.id}`, { headers: auth })).json()) as {
            data: Asset;
          }
        ).data,
      (a) => a.status === 'errored' || (a.status === 'ready' && a.progress === 1),
      { timeoutMs: 120_000, intervalMs: 300, what: 'the asset to be transcoded' },
    );
  };
  const startEdge = async (args: string[] = []) => {
    const e = await spawnEdge(['--origin', proxy.url, '--cache-dir', cacheDir, '--api-key', KEY, ...args]);
    edges.push(e);
    return e;
  };
  const get = async (base: string, path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body };
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'fh-edge-'));
    cacheDir = join(work, 'cache');
    origin = await spawnServe({
      FRAMEHOUSE_DATA_DIR: join(work, 'data'),
      FRAMEHOUSE_ADMIN_API_KEY: KEY,
      FRAMEHOUSE_LOG_LEVEL: 'warn',
    });
    proxy = await countingProxy(origin.url);
    asset = await upload('edge', 6);
    assert.equal(asset.status, 'ready');
    pid = asset.playback_ids[0]?.id ?? '';
    edge = await startEdge();
  });
  after(async () => {
    for (const e of edges) await e.stop('SIGKILL');
    await proxy?.close();
    origin?.child.kill('SIGKILL');
    if (origin) await exited(origin.child);
    await rm(work, { recursive: true, force: true });
  });

  test('a miss, then hits from the cache; 100 concurrent misses cost the origin 1 request', async () => {
    const master = `/play/${pid}/master.m3u8`;
    const first = await get(edge.url, master);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('cache-status'), 'framehouse-edge; fwd=miss; stored');
    const second = await get(edge.url, master);
    assert.equal(second.headers.get('cache-status'), 'framehouse-edge; hit');
    assert.deepEqual(second.body, first.body);
    assert.match(second.headers.get('age') ?? '', /^\d+$/);
    assert.equal(second.headers.get('access-control-allow-origin'), '*');
    assert.equal(proxy.count(master), 1);

    const seg = `/play/${pid}/360p/seg_00001.m4s`;
    const direct = await get(origin.url, seg);
    const all = await Promise.all(Array.from({ length: 100 }, () => get(edge.url, seg)));
    for (const r of all) {
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(direct.body), 'the same bytes as the origin');
    }
    assert.equal(proxy.count(seg), 1, 'one origin request for 100 concurrent misses');
    const statuses = new Set(all.map((r) => r.headers.get('cache-status')));
    assert.ok(statuses.has('framehouse-edge; fwd=miss; stored; collapsed'), [...statuses].join(' | '));
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    assert.match(metrics, /framehouse_edge_coalesced_total [1-9]\d*/);
  });

  test('ranges answered from the cache byte for byte as the origin answers them', async () => {
    const seg = `/play/${pid}/360p/seg_00000.m4s`;
    await get(edge.url, seg);
    const full = await get(origin.url, seg);
    const etag = full.headers.get('etag') ?? '';
    const cases: Record<string, string>[] = [
      {},
      { range: 'bytes=0-99' },
      { range: 'bytes=100-' },
      { range: 'bytes=-500' },
      { range: `bytes=${full.body.length + 10}-` },
      { range: 'bytes=0-1,10-20' },
      { range: 'bytes=junk' },
      { range: 'bytes=0-9', 'if-range': etag },
      { range: 'bytes=0-9', 'if-range': '"another"' },
      { 'if-none-match': etag },
      { 'if-none-match': `W/${etag}` },
    ];
    for (const h of cases) {
      const [a, b] = [await get(origin.url, seg, h), await get(edge.url, seg, h)];
      const what = JSON.stringify(h);
      assert.equal(b.status, a.status, what);
      assert.ok(b.body.equals(a.body), `body of ${what}`);
      for (const name of ['content-range', 'content-length', 'etag', 'content-type', 'accept-ranges'])
        assert.equal(b.headers.get(name), a.headers.get(name), `${name} of ${what}`);
      assert.equal(b.headers.get('cache-status'), 'framehouse-edge; hit', what);
    }
    assert.equal((await get(edge.url, seg, { range: `bytes=${full.body.length}-` })).status, 416);
  });

  test('signed playback: tokens checked at the edge, N tokens cost one origin fetch', async () => {
    const signed = await upload('signed', 4);
    const spid = signed.playback_ids[0]?.id ?? '';
    const patched = await fetch(`${origin.url}/v1/assets/${signed.id}`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ playback_policy: 'signed' }),
    });
    assert.equal(patched.status, 200);
    // The policy change reaches the edge as an event, on which it forgets what it knew of the id.
    await waitFor(() => edge.log().includes(`"playback_ids":["${spid}"]`), {
      what: 'the purge of the policy change',
    });
    const mint = async (expiresIn: number) => {
      const res = await fetch(`${origin.url}/v1/playback-tokens`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ playback_id: spid, expires_in: expiresIn }),
      });
      return ((await res.json()) as { data: { token: string } }).data.token;
    };
    const tokens = await Promise.all([600, 700, 800, 900, 1000, 1100].map(mint));
    assert.equal(new Set(tokens).size, tokens.length);
    const seg = `/play/${spid}/360p/seg_00000.m4s`;
    const master = `/play/${spid}/master.m3u8`;

    // The origin's answer says the id is signed and carries CDN-Cache-Control for its media.
    const direct = await get(origin.url, `${seg}?token=${tokens[0]}`);
    assert.equal(direct.headers.get('framehouse-playback-policy'), 'signed');
    assert.equal(direct.headers.get('cdn-cache-control'), 'public, max-age=31536000, immutable');
    assert.match(direct.headers.get('cache-control') ?? '', /^private/);

    const answers = await Promise.all(tokens.map((t) => get(edge.url, `${seg}?token=${t}`)));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.ok(a.body.equals(direct.body));
    }
    assert.equal(proxy.count(seg), 1, 'one origin fetch for six viewers with six tokens');

    // Playlists: one template, each viewer's own token in every URI.
    const playlists = await Promise.all(tokens.map((t) => get(edge.url, `${master}?token=${t}`)));
    assert.equal(proxy.count(master), 1, 'one origin fetch of the signed master for six tokens');
    for (const [i, p] of playlists.entries()) {
      const t = tokens[i] ?? '';
      const own = await get(origin.url, `${master}?token=${t}`);
      assert.equal(p.body.toString(), own.body.toString(), 'the playlist the origin makes for this token');
      assert.ok(p.body.toString().includes(`token=${t}`));
    }

    // A token on a public id is not checked (the origin ignores it too).
    assert.equal((await get(edge.url, `/play/${pid}/360p/seg_00000.m4s?token=junk`)).status, 200);
    // Refusals at the edge with the origin's codes, and no playback request to the origin (its
    // key refresh every 10 s may come meanwhile: only /play/ is counted).
    const forged = `${seg}?token=${tokens[0]?.replace(/\.[^.]+$/, '.AAAA')}`;
    const cases: Array<[string, string]> = [
      [`${seg}?token=${tokens[0]}x`, 'FH_ERR_PLAYBACK_TOKEN_INVALID'],
      [forged, 'FH_ERR_PLAYBACK_TOKEN_INVALID'],
      [seg, 'FH_ERR_PLAYBACK_TOKEN_REQUIRED'],
    ];
    const before = proxy.count('/play/');
    for (const [path, code] of cases) {
      const edgeAnswer = await get(edge.url, path);
      const originAnswer = await get(origin.url, path);
      assert.equal(edgeAnswer.status, 403);
      assert.equal(edgeAnswer.headers.get('cache-status'), 'framehouse-edge; detail=token-refused');
      assert.deepEqual(JSON.parse(edgeAnswer.body.toString()), JSON.parse(originAnswer.body.toString()));
      assert.equal((JSON.parse(edgeAnswer.body.toString()) as { error: { code: string } }).error.code, code);
    }
    assert.equal(proxy.count('/play/') - before, 0, 'no playback request reached the origin');
  });

  test('the disk cache stays under its cap with many objects, on real files', async () => {
    const capDir = join(work, 'cap');
    const cap = 1024 * 1024;
    const small = await spawnEdge(['--origin', proxy.url, '--cache-dir', capDir, '--cache-size', '1MB']);
    edges.push(small);
    const seg = `/play/${pid}/360p/seg_00000.m4s`;
    const size = (await get(origin.url, seg)).body.length;
    let worst = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        worst = Math.max(worst, await directoryBytes(capDir).catch(() => 0));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // Each `time` is its own object (a key parameter, which the origin ignores on a segment; an
    // unknown parameter is no part of the key): 40 objects of one segment's size.
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          const r = await get(small.url, `${seg}?time=${batch * 4 + i}`);
          assert.equal(r.status, 200);
        }),
      );
    }
    sampling = false;
    await sampler;
    const end = await directoryBytes(capDir);
    assert.ok(end <= cap, `${end} bytes on disk after, cap ${cap}`);
    assert.ok(worst <= cap + size + 8192, `${worst} bytes at worst, cap ${cap} + one object ${size}`);
    assert.ok(end > cap / 2, 'the cache is used');
    const metrics = await (await fetch(`${small.url}/metrics`)).text();
    assert.match(metrics, /framehouse_edge_evictions_total [1-9]\d*/);
    await small.stop();
  });

  test('/metrics answers the scraper only: a bearer token when one is set', async () => {
    const guarded = await spawnEdge(['--origin', proxy.url, '--cache-dir', join(cacheDir, 'guarded')], {
      FRAMEHOUSE_METRICS_TOKEN: 'scrape-token-0123456789',
    });
    try {
      const refused = await fetch(`${guarded.url}/metrics`);
      assert.equal(refused.status, 403);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'FH_ERR_FORBIDDEN');
      const wrong = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 403);
      await wrong.arrayBuffer();
      const scraped = await fetch(`${guarded.url}/metrics`, {
        headers: { authorization: 'Bearer scrape-token-0123456789' },
      });
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /framehouse_edge_requests_total/);
    } finally {
      await guarded.stop();
    }
  });

  test('the index is rebuilt from disk: a hit after a restart', async () => {
    const seg = `/play/${pid}/240p/seg_00001.m4s`;
    assert.equal((await get(edge.url, seg)).headers.get('cache-status'), 'framehouse-edge; fwd=miss; stored');
    await waitFor(async () => (await directoryBytes(cacheDir)) > 0, { what: 'the object on disk' });
    await new Promise((r) => setTimeout(r, 300)); // its file renamed into place
    await edge.stop();
    const originRequests = proxy.count(seg);
    edge = await startEdge();
    const again = await get(edge.url, seg);
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('cache-status'), 'framehouse-edge; hit');
    assert.equal(proxy.count(seg), originRequests);
    assert.ok(again.body.equals((await get(origin.url, seg)).body));
  });

  test('the verification keys: an ETag, and 304 without an audit row while the key set holds', async () => {
    const path = '/v1/playback-keys/verification';
    const audited = async () =>
      (
        (await (
          await fetch(`${origin.url}/v1/audit?action=playback_key.verification_read&limit=100`, {
            headers: auth,
          })
        ).json()) as {
          data: unknown[];
        }
      ).data.length;
    const first = await fetch(`${origin.url}${path}`, { headers: auth });
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag') ?? '';
    assert.match(etag, /^"[\w-]+"$/);
    const before = await audited();
    const again = await fetch(`${origin.url}${path}`, { headers: { ...auth, 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    // The edges running meanwhile poll with If-None-Match too: no row from them either.
    await new Promise((r) => setTimeout(r, 10_500));
    assert.equal(await audited(), before);
  });

  test('deleting the asset purges it from the edge (followed on the event stream); restored, it plays again', async () => {
    const seg = `/play/${pid}/360p/seg_00000.m4s`;
    await waitFor(() => edge.log().includes('following the event stream'), {
      what: 'the edge to follow events',
    });
    assert.equal((await get(edge.url, seg)).headers.get('cache-status'), 'framehouse-edge; hit');
    const del = await fetch(`${origin.url}/v1/assets/${asset.id}`, { method: 'DELETE', headers: auth });
    assert.equal(del.status, 204);
    const gone = await waitForValue(
      () => get(edge.url, seg),
      (r) => r.status === 404,
      { timeoutMs: 10_000, intervalMs: 200, what: 'the purge' },
    );
    assert.notEqual(gone.headers.get('cache-status'), 'framehouse-edge; hit');
    assert.match(edge.log(), /"event":"asset.deleted"/);
    // It was in the trash: the 404s were passed on, never stored, and the restore purges too.
    const restored = await fetch(`${origin.url}/v1/assets/${asset.id}/restore`, {
      method: 'POST',
      headers: auth,
    });
    assert.equal(restored.status, 200);
    const back = await waitForValue(
      () => get(edge.url, seg),
      (r) => r.status === 200,
      { timeoutMs: 10_000, intervalMs: 200, what: 'the segment again' },
    );
    assert.notEqual(back.headers.get('cache-status'), 'framehouse-edge; hit');
    await waitFor(() => edge.log().includes('"event":"asset.restored"'), { what: 'the restore purge' });
  });
});
