/**
 * deploy/nginx/edge.conf, as shipped, rendered with real ports and folders and run by Debian's
 * nginx in front of a real `framehouse serve`. Between nginx and the origin sit two small
 * counting HTTP proxies (the config's two upstream nodes), so the test sees how many requests
 * reached the origin and can take one node away.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { makeClip } from './fixtures/media.ts';
import { exited, freePort, ROOT, spawnServe } from './helpers/processes.ts';
import { waitFor, waitForValue } from './helpers/wait.ts';

const run = promisify(execFile);
// Debian puts nginx in /usr/sbin, which is not on an unprivileged user's PATH.
const NGINX = ['/usr/sbin/nginx', 'nginx'].find((bin) => !spawnSync(bin, ['-v'], { stdio: 'ignore' }).error);
const KEY = 'nginx-edge-test-admin-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

/** The edge config with its ${PLACEHOLDERS} filled, as envsubst would. */
function renderEdgeConf(template: string, values: Record<string, string>): string {
  const out = template.replace(/\$\{([A-Z0-9_]+)\}/g, (m, name: string) => values[name] ?? m);
  // Comments may name placeholders; the directives must have none left.
  const directives = out.replace(/^\s*#.*$/gm, '');
  const left = /\$\{[A-Z0-9_]+\}/.exec(directives);
  if (left) throw new Error(`placeholder ${left[0]} left unfilled`);
  return out;
}

/** An HTTP proxy that forwards everything to `target` and notes each request's URL. */
async function countingProxy(target: string) {
  const urls: string[] = [];
  const origin = new URL(target);
  const server: Server = createServer((req, res) => {
    urls.push(req.url ?? '');
    const up = httpRequest(
      { host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    // The origin is gone: what a load balancer in front of a dead node would answer.
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('origin down');
      else res.destroy();
    });
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    hostPort: `127.0.0.1:${port}`,
    urls,
    count: (path: string) => urls.filter((u) => u.split('?')[0] === path).length,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

interface Got {
  status: number;
  body: Buffer;
  headers: Headers;
  /** nginx's verdict (X-Cache-Status), '' when the location does not cache. */
  cache: string;
}
async function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  const res = await fetch(url, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body, headers: res.headers, cache: res.headers.get('x-cache-status') ?? '' };
}

describe('deploy/nginx/edge.conf: nginx proxy_cache in front of a real origin', {
  skip: !NGINX && 'nginx is not installed (apt-get install nginx-light)',
}, () => {
  let dir: string;
  let origin: Awaited<ReturnType<typeof spawnServe>>;
  let p1: Awaited<ReturnType<typeof countingProxy>>;
  let p2: Awaited<ReturnType<typeof countingProxy>>;
  let nginx: ChildProcess | undefined;
  let edge: string;
  let cacheDir: string;
  let assetId: string;
  let playbackId: string;
  /** /play/{id}/{rendition}/ of the video rung, and its media segments' names. */
  let rung: string;
  let segments: string[];
  const count = (path: string) => p1.count(path) + p2.count(path);
  const errorLog = () => readFile(join(dir, 'error.log'), 'utf8').catch(() => '');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fh-nginx-edge-'));
    // Run as root (CI), nginx's workers are `nobody`: they must be able to enter the folder.
    await chmod(dir, 0o755);
    origin = await spawnServe({
      FRAMEHOUSE_DATA_DIR: join(dir, 'data'),
      FRAMEHOUSE_ADMIN_API_KEY: KEY,
      FRAMEHOUSE_WORKER_CONCURRENCY: '1',
    });
    const clip = await makeClip(dir, { name: 'edge', width: 320, height: 180, seconds: 16 });
    const form = new FormData();
    form.append('file', new Blob([await readFile(clip)]), 'edge.mp4');
    const created = await fetch(`${origin.url}/v1/assets`, { method: 'POST', headers: auth, body: form });
    assert.equal(created.status, 202);
    assetId = ((await created.json()) as { data: { id: string } }).data.id;
    // Ready with its whole ladder: playlists are final (and cacheable for minutes) from then on.
    const asset = await waitForValue(
      async () =>
        (
          (await (await fetch(`${origin.url}/v1/assets/${assetId}`, { headers: auth })).json()) as {
            data: {
              status: string;
              renditions: Array<{ name: string; status: string; width: number | null }>;
              playback_ids: Array<{ id: string }>;
            };
          }
        ).data,
      (a) =>
        a.status === 'errored' || (a.status === 'ready' && a.renditions.every((r) => r.status === 'ready')),
      { timeoutMs: 180_000, intervalMs: 250, what: 'the asset and its ladder' },
    );
    assert.equal(asset.status, 'ready');
    playbackId = asset.playback_ids[0]?.id ?? '';
    const video = asset.renditions.find((r) => r.width !== null)?.name ?? '';
    rung = `/play/${playbackId}/${video}/`;
    const playlist = await (await fetch(`${origin.url}${rung}index.m3u8`)).text();
    segments = playlist.split('\n').filter((l) => l.startsWith('seg_'));
    assert.ok(segments.length >= 4, `enough segments for the cases below: ${playlist}`);

    p1 = await countingProxy(origin.url);
    p2 = await countingProxy(origin.url);
    const port = await freePort();
    edge = `http://127.0.0.1:${port}`;
    cacheDir = join(dir, 'cache');
    const conf = renderEdgeConf(await readFile(join(ROOT, 'deploy/nginx/edge.conf'), 'utf8'), {
      FRAMEHOUSE_ORIGIN_1: p1.hostPort,
      FRAMEHOUSE_ORIGIN_2: p2.hostPort,
      EDGE_LISTEN: `127.0.0.1:${port}`,
      EDGE_CACHE_DIR: cacheDir,
      EDGE_CACHE_SIZE: '200m',
    });
    await writeFile(join(dir, 'edge.conf'), conf);
    // What Debian's /etc/nginx/nginx.conf would be around it, with every path in our folder
    // (nginx's compiled-in temp paths are under /var/lib/nginx, not writable unprivileged).
    const temp = (kind: string) => `${kind}_temp_path ${join(dir, `tmp-${kind}`)};`;
    await writeFile(
      join(dir, 'nginx.conf'),
      `daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 512; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  include ${join(dir, 'edge.conf')};
}
`,
    );
    nginx = spawn(
      NGINX ?? 'nginx',
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    nginx.stderr?.on('data', (d) => {
      stderr += d;
    });
    await waitFor(
      async () => {
        if (nginx?.exitCode !== null) throw new Error(`nginx exited: ${stderr} ${await errorLog()}`);
        return (await fetch(`${edge}/healthz`).catch(() => undefined))?.ok === true;
      },
      { timeoutMs: 15_000, what: 'nginx to answer' },
    );
  });

  after(async () => {
    if (nginx && nginx.exitCode === null) {
      nginx.kill('SIGTERM');
      await exited(nginx);
    }
    await p1?.close().catch(() => {});
    await p2?.close().catch(() => {});
    if (origin && origin.child.exitCode === null) {
      origin.child.kill('SIGTERM');
      await exited(origin.child);
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('a public segment: a miss, then a hit with the origin’s bytes and headers; the API is not cached', async () => {
    const path = `${rung}${segments[0]}`;
    const direct = await get(`${origin.url}${path}`);
    const miss = await get(`${edge}${path}`);
    const hit = await get(`${edge}${path}`);
    assert.deepEqual([miss.status, miss.cache, hit.status, hit.cache], [200, 'MISS', 200, 'HIT']);
    assert.equal(miss.headers.get('cache-status'), 'framehouse-nginx; fwd=miss');
    assert.equal(hit.headers.get('cache-status'), 'framehouse-nginx; hit');
    assert.ok(hit.body.equals(direct.body) && miss.body.equals(direct.body), 'same bytes as the origin');
    for (const h of [
      'etag',
      'cache-control',
      'content-type',
      'access-control-allow-origin',
      'last-modified',
    ]) {
      assert.equal(hit.headers.get(h), direct.headers.get(h), h);
    }
    // Players embedded on different sites send different Origins: still one copy.
    for (const site of ['https://a.example', 'https://b.example']) {
      const r = await get(`${edge}${path}`, { origin: site });
      assert.deepEqual([r.cache, r.headers.get('access-control-allow-origin')], ['HIT', '*'], site);
    }
    assert.equal(count(path), 1, 'one origin request for a miss and hits');

    // A finished playlist (public, max-age=300) too.
    const master = `/play/${playbackId}/master.m3u8`;
    assert.deepEqual(
      [(await get(`${edge}${master}`)).cache, (await get(`${edge}${master}`)).cache],
      ['MISS', 'HIT'],
    );

    // The API passes through every time, with no cache verdict.
    const api = `/v1/assets/${assetId}`;
    for (let i = 0; i < 2; i++) {
      const r = await get(`${edge}${api}`, auth);
      assert.equal(r.status, 200);
      assert.equal(r.cache, '');
      assert.equal(r.headers.get('cache-status'), null);
    }
    assert.equal(count(api), 2);
  });

  test('concurrent misses for one object make one origin request', async () => {
    const path = `${rung}${segments[1]}`;
    const direct = await get(`${origin.url}${path}`);
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(`${edge}${path}`)));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.ok(a.body.equals(direct.body));
    }
    assert.equal(count(path), 1, `origin requests for 20 concurrent misses: ${count(path)}`);
    assert.equal(answers.filter((a) => a.cache === 'MISS').length, 1);
  });

  test('the token and CMCD parameters leave the cache key; LL-HLS parameters and others stay', async () => {
    const path = `${rung}${segments[2]}`;
    const cmcd = `CMCD=${encodeURIComponent('br=3200,bl=21300,ot=v,sid="6e2fb550"')}`;
    const verdicts: Array<[string, string]> = [];
    for (const q of [
      '?token=aaa.bbb.ccc',
      '?token=ddd.eee.fff',
      `?${cmcd}`,
      `?cmcd_extra=1&token=x&${cmcd}`,
      '',
      '?_HLS_msn=5&_HLS_part=1',
      `?_HLS_msn=5&token=t&_HLS_part=1&${cmcd}`,
      '?_HLS_msn=6&_HLS_part=1',
      '?_HLS_part=1&_HLS_msn=6&token=u',
    ]) {
      const r = await get(`${edge}${path}${q}`);
      assert.equal(r.status, 200, q);
      verdicts.push([q, r.cache]);
    }
    assert.deepEqual(
      verdicts.map(([, v]) => v),
      ['MISS', 'HIT', 'HIT', 'HIT', 'HIT', 'MISS', 'HIT', 'MISS', 'MISS'],
      JSON.stringify(verdicts),
    );
    assert.equal(count(path), 4);
    // The origin still gets the whole query string (it checks signed playback's token itself).
    assert.ok(p1.urls.concat(p2.urls).includes(`${path}?token=aaa.bbb.ccc`));
  });

  test('byte ranges from the cache are byte-identical to the origin’s, on a miss and on a hit', async () => {
    const path = `${rung}${segments[3]}`;
    const whole = await get(`${origin.url}${path}`);
    const size = whole.body.length;
    assert.ok(size > 3000, `segment of ${size} bytes`);
    const cases = [
      'bytes=100-1099',
      'bytes=0-99',
      'bytes=-500',
      `bytes=${size - 1000}-`,
      `bytes=1000-${size + 5000}`,
    ];
    for (const [i, range] of cases.entries()) {
      const o = await get(`${origin.url}${path}`, { range });
      const e = await get(`${edge}${path}`, { range });
      assert.equal(o.status, 206, range);
      assert.deepEqual(
        [e.status, e.headers.get('content-range'), e.headers.get('content-length'), e.cache],
        [206, o.headers.get('content-range'), o.headers.get('content-length'), i === 0 ? 'MISS' : 'HIT'],
        range,
      );
      assert.ok(e.body.equals(o.body), `${range}: same bytes`);
    }
    // Outside the object: refused alike.
    assert.equal((await get(`${edge}${path}`, { range: `bytes=${size + 10}-` })).status, 416);
    // A revalidation by the player: answered by nginx from the cached validators.
    const etag = whole.headers.get('etag') ?? '';
    const notModified = await get(`${edge}${path}`, { 'if-none-match': etag });
    assert.deepEqual([notModified.status, notModified.cache], [304, 'HIT']);
    assert.equal(count(path), 1, 'Range never reached the origin: the whole object was fetched once');
  });

  test('signed playback passes through uncached; a policy change is seen once the purge of docs/cdn.md ran', async () => {
    const path = `${rung}${segments[0]}`; // cached since the first test
    const patch = (policy: string) =>
      fetch(`${origin.url}/v1/assets/${assetId}`, {
        method: 'PATCH',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ playback_policy: policy }),
      });
    assert.equal((await patch('signed')).status, 200);
    // nginx cannot know: the cached public copy is still served to anyone.
    assert.deepEqual(
      [(await get(`${edge}${path}`)).status, (await get(`${edge}${path}`)).cache],
      [200, 'HIT'],
    );

    // The purge by path prefix, as docs/cdn.md gives it.
    await run('sh', ['-c', `grep -rlaZF -- "KEY: /play/${playbackId}/" "${cacheDir}" | xargs -0r rm -f`]);
    const refused = await get(`${edge}${path}`);
    assert.deepEqual([refused.status, refused.cache], [403, 'MISS']);

    const minted = await fetch(`${origin.url}/v1/playback-tokens`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ playback_id: playbackId, expires_in: 600 }),
    });
    assert.equal(minted.status, 201);
    const { token } = ((await minted.json()) as { data: { token: string } }).data;
    const before = count(path);
    for (let i = 0; i < 3; i++) {
      const r = await get(`${edge}${path}?token=${token}`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('cache-control') ?? '', /^private/);
      assert.equal(r.cache, 'MISS', 'a private answer is never stored');
    }
    assert.equal(count(path) - before, 3, 'every signed request checked by the origin');
    // And a signed playlist, whose URIs carry the token, is not shared either.
    const master = `/play/${playbackId}/master.m3u8`;
    assert.equal((await get(`${edge}${master}?token=${token}`)).cache, 'MISS');
    assert.equal((await get(`${edge}${master}?token=${token}`)).cache, 'MISS');
    assert.equal((await get(`${edge}${master}`)).status, 403);

    assert.equal((await patch('public')).status, 200);
  });

  test('with one upstream node gone, requests go to the other', async () => {
    await p2.close();
    const before = p1.urls.length;
    for (let i = 0; i < 6; i++) {
      // Distinct keys (the origin ignores the parameter), so each one is a trip to the origin.
      const r = await get(`${edge}${rung}${segments[0]}?n=${i}`);
      assert.deepEqual([r.status, r.cache], [200, 'MISS']);
    }
    assert.equal(p1.urls.length - before, 6);
  });

  test('with the origin down, an expired object is served stale; a cached one still hits', async () => {
    // info.json lives 5 s (public, max-age=5): cache it, let it expire.
    const info = `/play/${playbackId}/info.json`;
    const fresh = await get(`${edge}${info}`);
    assert.deepEqual([fresh.status, fresh.cache], [200, 'MISS']);
    assert.equal(fresh.headers.get('cache-control'), 'public, max-age=5');
    const segment = `${rung}${segments[1]}`;
    // (The purge above emptied the cache of this playback id: cache a segment again.)
    const cachedSegment = await get(`${edge}${segment}`);
    assert.equal(cachedSegment.status, 200);
    await sleep(6_000);

    // (With proxy_cache_background_update, the viewer gets the stale copy at once and the
    // refresh runs behind it; were it off, `proxy_cache_use_stale error … http_502` would serve it.)
    origin.child.kill('SIGKILL');
    await exited(origin.child);
    const asked = p1.count(info);
    for (let i = 0; i < 3; i++) {
      const r = await get(`${edge}${info}`);
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(fresh.body));
      assert.ok(['STALE', 'UPDATING'].includes(r.cache), r.cache);
      assert.match(r.headers.get('cache-status') ?? '', /^framehouse-nginx; hit; detail=(stale|updating)$/);
      await sleep(300);
    }
    // nginx did try the origin meanwhile (in the background) and got the dead node's 502.
    await waitFor(() => p1.count(info) > asked, { timeoutMs: 5_000, what: 'a refresh attempt' });
    const hit = await get(`${edge}${segment}`);
    assert.deepEqual([hit.status, hit.cache], [200, 'HIT']);
    assert.ok(hit.body.equals(cachedSegment.body));
    // Nothing cached to fall back on: the failure shows.
    assert.equal((await get(`${edge}${rung}${segments[2]}?uncached=1`)).status, 502);
    assert.doesNotMatch(await errorLog(), /\[(emerg|alert|crit)\]/);
  });
});
