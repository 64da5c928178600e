import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type EdgeProcess, spawnEdge } from './helpers/edge.ts';
import { waitForValue } from './helpers/wait.ts';

// Cache headers the Framehouse origin does not send today (stale-while-revalidate), LL-HLS
// blocking reloads (which need a live RTMP broadcast) and an origin that dies: a small real
// HTTP origin written here, in front of which the real edge process runs.

describe('framehouse edge: blocking playlists, stale-while-revalidate, stale-if-error', () => {
  let work: string;
  let server: Server;
  let originUrl: string;
  let edge: EdgeProcess;
  const hits = new Map<string, number>();
  let version = 1;
  let broken = false;
  let flipSigned = true;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'fh-edge-stale-'));
    server = createServer((req, res) => {
      const url = req.url ?? '';
      hits.set(url, (hits.get(url) ?? 0) + 1);
      if (url === '/v1/echo') {
        // What reached the origin: the request's headers and body.
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ headers: req.headers, body: Buffer.concat(parts).toString() }));
        });
        return;
      }
      if (url.startsWith('/play/livestream1/low/index.m3u8')) {
        // A blocking reload: held until the part "exists", then the playlist of that version.
        const msn = new URL(url, 'http://x').searchParams.get('_HLS_msn');
        const part = new URL(url, 'http://x').searchParams.get('_HLS_part');
        setTimeout(() => {
          res.writeHead(200, {
            'content-type': 'application/vnd.apple.mpegurl',
            'cache-control': 'public, max-age=6',
          });
          res.end(`#EXTM3U\n#EXT-X-PART:URI="part_${msn}_${part}.m4s"\n`);
        }, 400);
        return;
      }
      if (url.startsWith('/play/flip1234/a.txt')) {
        res.writeHead(200, {
          'content-type': 'text/plain',
          'cache-control': 'public, max-age=60',
          ...(flipSigned ? { 'framehouse-playback-policy': 'signed' } : {}),
        });
        res.end(flipSigned ? 'signed' : 'public');
        return;
      }
      if (url.startsWith('/play/err12345/wait.m3u8')) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'FH_ERR_LIVE_WAIT_TIMEOUT', message: 'not yet' } }));
        return;
      }
      if (url.startsWith('/play/err12345/flaky.txt')) {
        if (broken) res.writeHead(500, { 'content-type': 'text/plain' }).end('oops');
        else
          res
            .writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=1' })
            .end('good');
        return;
      }
      if (url.startsWith('/play/swr12345/sie.txt')) {
        res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=1' });
        res.end('kept');
        return;
      }
      if (url.startsWith('/play/swr12345/data.txt')) {
        res.writeHead(200, {
          'content-type': 'text/plain',
          'cache-control': 'public, max-age=1, stale-while-revalidate=30',
          etag: `"v${version}"`,
        });
        res.end(`version ${version}`);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    originUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    edge = await spawnEdge(['--origin', originUrl, '--cache-dir', join(work, 'cache')]);
  });
  after(async () => {
    await edge?.stop('SIGKILL');
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await rm(work, { recursive: true, force: true });
  });

  /** A request as a client sends it, headers as given (fetch() refuses some of them). */
  const raw = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(`${edge.url}${path}`, { method, headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(parts).toString(),
          }),
        );
      });
      req.on('error', reject);
      if (body === undefined) req.end();
      else if (headers.expect) req.on('continue', () => req.end(body));
      else req.end(body);
    });

  test('an upload with Expect: 100-continue reaches the origin; hop-by-hop headers stay behind', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await raw(
        'POST',
        '/v1/echo',
        {
          expect: '100-continue',
          'content-type': 'text/plain',
          'content-length': '5',
          connection: 'keep-alive, x-hop',
          'x-hop': 'one hop only',
          'x-kept': 'yes',
        },
        'hello',
      );
      assert.equal(r.status, 200, r.text);
      const seen = JSON.parse(r.text) as { headers: IncomingHttpHeaders; body: string };
      assert.equal(seen.body, 'hello');
      assert.equal(seen.headers.expect, undefined);
      assert.equal(seen.headers['x-hop'], undefined);
      assert.equal(seen.headers['x-kept'], 'yes');
    }
    // The origin was never taken out.
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /^framehouse_edge_origin_errors_total\{[^}]*\} [1-9]/m);
  });

  test('a client cannot name its own X-Forwarded-For/-Host/-Proto', async () => {
    const r = await raw('GET', '/v1/echo', {
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    });
    const seen = (JSON.parse(r.text) as { headers: IncomingHttpHeaders }).headers;
    assert.equal(seen['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen['x-forwarded-host'], new URL(edge.url).host);
    assert.equal(seen['x-forwarded-proto'], 'http');
  });

  test('viewers blocked on the same msn/part share one origin request', async () => {
    const ask = (msn: number, part: number, extra = '') =>
      fetch(`${edge.url}/play/livestream1/low/index.m3u8?_HLS_part=${part}&_HLS_msn=${msn}${extra}`).then(
        async (r) => ({ status: r.status, body: await r.text(), cache: r.headers.get('cache-status') }),
      );
    // Each viewer's CMCD data differs; it is no part of the key.
    const answers = await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => ask(12, 3, `&CMCD=sid%3D%22${i}%22`)),
      ...Array.from({ length: 10 }, () => ask(12, 4)),
    ]);
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(answers.filter((a) => a.body.includes('part_12_3')).length, 40);
    assert.equal(answers.filter((a) => a.body.includes('part_12_4')).length, 10);
    const requests = [...hits.entries()].filter(([u]) => u.startsWith('/play/livestream1/'));
    assert.deepEqual(
      requests.map(([u, n]) => [u, n]).sort(),
      [
        ['/play/livestream1/low/index.m3u8?_HLS_msn=12&_HLS_part=3', 1],
        ['/play/livestream1/low/index.m3u8?_HLS_msn=12&_HLS_part=4', 1],
      ],
      'one origin request per version, CMCD left out, the query sorted',
    );
    assert.ok(answers.some((a) => a.cache?.includes('collapsed')));
    // Asked again later: from the cache.
    assert.equal((await ask(12, 3)).cache, 'framehouse-edge; hit');
  });

  test('stale-while-revalidate: the stale copy at once, refreshed in the background', async () => {
    const path = '/play/swr12345/data.txt';
    const get = async () => {
      const r = await fetch(`${edge.url}${path}`);
      return { body: await r.text(), cache: r.headers.get('cache-status') };
    };
    assert.deepEqual(await get(), { body: 'version 1', cache: 'framehouse-edge; fwd=miss; stored' });
    version = 2;
    await new Promise((r) => setTimeout(r, 1300));
    assert.deepEqual(await get(), {
      body: 'version 1',
      cache: 'framehouse-edge; hit; detail=stale-while-revalidate',
    });
    await waitForValue(get, (a) => a.body === 'version 2' && a.cache === 'framehouse-edge; hit', {
      what: 'the refreshed copy',
    });
    assert.equal(hits.get(path), 2);
  });

  test('an id switched from signed to public is cached again', async () => {
    const get = async () => {
      const r = await fetch(`${edge.url}/play/flip1234/a.txt`);
      return { body: await r.text(), cache: r.headers.get('cache-status') };
    };
    // Signed, and this edge has no key to check tokens: the origin decides, nothing stored.
    assert.deepEqual(await get(), { body: 'signed', cache: 'framehouse-edge; fwd=miss' });
    assert.deepEqual(await get(), { body: 'signed', cache: 'framehouse-edge; fwd=bypass' });
    flipSigned = false;
    assert.deepEqual(await get(), { body: 'public', cache: 'framehouse-edge; fwd=bypass' });
    assert.deepEqual(await get(), { body: 'public', cache: 'framehouse-edge; fwd=miss; stored' });
    assert.deepEqual(await get(), { body: 'public', cache: 'framehouse-edge; hit' });
  });

  test('a 503 or 500 is the answer (stale-if-error for a 500), not a failure of the origin', async () => {
    const wait = await fetch(`${edge.url}/play/err12345/wait.m3u8?_HLS_msn=5&_HLS_part=0`);
    assert.equal(wait.status, 503);
    assert.equal(((await wait.json()) as { error: { code: string } }).error.code, 'FH_ERR_LIVE_WAIT_TIMEOUT');
    assert.equal(wait.headers.get('cache-status'), 'framehouse-edge; fwd=miss');
    const path = '/play/err12345/flaky.txt';
    assert.equal(await (await fetch(`${edge.url}${path}`)).text(), 'good');
    broken = true;
    await new Promise((r) => setTimeout(r, 1300));
    const r = await fetch(`${edge.url}${path}`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'good');
    assert.equal(r.headers.get('cache-status'), 'framehouse-edge; fwd=stale; detail=stale-if-error');
    assert.equal(hits.get(path), 2);
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /^framehouse_edge_origin_errors_total\{[^}]*\} [1-9]/m);
  });

  test('stale-if-error: the origin gone, the stale copy is answered', async () => {
    const path = '/play/swr12345/sie.txt';
    assert.equal(
      (await fetch(`${edge.url}${path}`)).headers.get('cache-status'),
      'framehouse-edge; fwd=miss; stored',
    );
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    // Past its freshness: the edge asks the origin, which is gone.
    await new Promise((r) => setTimeout(r, 1300));
    const r = await fetch(`${edge.url}${path}`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'kept');
    assert.equal(r.headers.get('cache-status'), 'framehouse-edge; fwd=stale; detail=stale-if-error');
    assert.ok(Number(r.headers.get('age')) >= 1);
    // Nothing cached and no origin: a 502 in the origin's error shape.
    const missing = await fetch(`${edge.url}/play/swr12345/other.txt`);
    assert.equal(missing.status, 502);
    assert.equal(
      ((await missing.json()) as { error: { code: string } }).error.code,
      'FH_ERR_ORIGIN_UNAVAILABLE',
    );
  });
});
