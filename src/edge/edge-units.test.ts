import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { PLAYBACK_ALG, PLAYBACK_AUDIENCE } from '../auth/playback-token-verify.ts';
import { originPath, parseTarget } from './cache-key.ts';
import { CachedObject } from './cached-object.ts';
import { edgeConfig } from './edge-config.ts';
import { noteSigned } from './edge-fetch.ts';
import { DEFAULT_STALE_IF_ERROR_S, freshnessOf } from './freshness.ts';
import { forwardedRequestHeaders } from './headers.ts';
import { ObjectCache } from './object-cache.ts';
import { isOriginFailure, OriginPool } from './origin-pool.ts';
import { purges, writeCursor } from './purge-follower.ts';
import { answerObject } from './range.ts';
import { parseSize } from './size.ts';
import { TokenCheck } from './token-check.ts';

test('the cache key keeps only the parameters that change the answer, sorted', () => {
  assert.deepEqual(parseTarget('/play/abcdefgh/360p/seg_00001.m4s'), {
    path: '/play/abcdefgh/360p/seg_00001.m4s',
    key: '/play/abcdefgh/360p/seg_00001.m4s',
    token: undefined,
    playbackId: 'abcdefgh',
    bypass: false,
  });
  const t = parseTarget(
    '/play/abcdefgh/low/index.m3u8?token=a.b%2Bc&_HLS_part=2&CMCD=sid%3D%221%22&_HLS_msn=9&cmcd_x=1',
  );
  assert.equal(t.key, '/play/abcdefgh/low/index.m3u8?_HLS_msn=9&_HLS_part=2');
  assert.equal(t.token, 'a.b+c');
  assert.equal(
    originPath(t.key, t.token),
    '/play/abcdefgh/low/index.m3u8?_HLS_msn=9&_HLS_part=2&token=a.b%2Bc',
  );
  assert.equal(parseTarget('/v1/assets?limit=2').playbackId, undefined);
  // Junk, CMCD and the token make no copy of their own; repeated names keep their order.
  assert.equal(
    parseTarget('/play/abcdefgh/thumbnail.jpg?width=320&junk=1&time=1&time=0&cmcd=x&token=t&z').key,
    '/play/abcdefgh/thumbnail.jpg?time=1&time=0&width=320',
  );
  assert.equal(parseTarget('/play/abcdefgh/x.m3u8?cachebust=123').key, '/play/abcdefgh/x.m3u8');
  assert.equal(
    parseTarget('/play/abcdefgh/low/index.m3u8?%5FHLS_msn=9&_HLS_skip=YES').key,
    '/play/abcdefgh/low/index.m3u8?_HLS_msn=9&_HLS_skip=YES',
  );
  assert.equal(
    parseTarget('/play/abcdefgh/download.mp4?filename=My+film.mp4').key,
    '/play/abcdefgh/download.mp4?filename=My%20film.mp4',
  );
});

test('percent-encoded or malformed playback paths are passed through, never keyed', () => {
  // The origin decodes `%61` to `a`: keyed raw, signing and purges of `abcdefgh` would miss it.
  for (const url of [
    '/play/%61bcdefgh/v1/seg_00001.m4s',
    '/play/abcdefgh/v1/seg%5f00001.m4s',
    '/play/abcdefgh/v1/seg_00001.m4s%3Fx',
    '/play/ABCDEFGH/v1/seg_00001.m4s',
    '/play/short/v1/seg_00001.m4s',
    '/play/abcdefgh',
    '/play/x.m3u8?a=1',
  ]) {
    const t = parseTarget(url);
    assert.equal(t.bypass, true, url);
    assert.equal(t.playbackId, undefined, url);
  }
  assert.equal(parseTarget('/play/abcdefgh/v1/seg_00001.m4s?token=a%2Eb').bypass, false);
  // Two tokens: the origin refuses the list for a signed id; the edge must not check only one.
  assert.equal(parseTarget('/play/abcdefgh/v1/seg_00001.m4s?token=good&token=bad').bypass, true);
});

test('sizes and the configuration', () => {
  assert.equal(parseSize('10GB'), 10 * 1024 ** 3);
  assert.equal(parseSize('500MB'), 500 * 1024 ** 2);
  assert.equal(parseSize('64 MiB'), 64 * 1024 ** 2);
  assert.equal(parseSize('1.5G'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('12345'), 12345);
  assert.equal(parseSize('ten'), null);
  const { config, problems } = edgeConfig(
    { FRAMEHOUSE_EDGE_ORIGINS: 'http://a:8080, http://b:8080', FRAMEHOUSE_EDGE_CACHE_SIZE: '1GB' },
    { port: '9000' },
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(
    config.origins.map((o) => o.host),
    ['a:8080', 'b:8080'],
  );
  assert.equal(config.cacheSize, 1024 ** 3);
  assert.equal(config.apiKey, undefined);
  assert.match(
    edgeConfig(
      { FRAMEHOUSE_METRICS_ALLOWED_IPS: '10.0.0.0/8, nope' },
      { origin: ['http://o'] },
    ).problems.join(),
    /FRAMEHOUSE_METRICS_ALLOWED_IPS: "nope"/,
  );
  const bad = edgeConfig({}, { origin: ['ftp://x', 'http://y/path'], cacheSize: 'lots', port: 'eighty' });
  assert.equal(bad.problems.length, 4, bad.problems.join('\n'));
  assert.match(edgeConfig({}, {}).problems.join(), /at least one origin/);
});

test('freshness: CDN-Cache-Control first, then Cache-Control; private and no-store are not kept', () => {
  const day = DEFAULT_STALE_IF_ERROR_S * 1000;
  assert.deepEqual(freshnessOf({ 'cache-control': 'public, max-age=300' }), {
    ttlMs: 300_000,
    swrMs: 0,
    sieMs: day,
  });
  assert.deepEqual(
    freshnessOf({
      'cache-control': 'private, max-age=86400',
      'cdn-cache-control': 'public, max-age=31536000, immutable',
    }),
    { ttlMs: 31_536_000_000, swrMs: 0, sieMs: day },
  );
  assert.equal(freshnessOf({ 'cache-control': 'private, max-age=1' }), null);
  assert.equal(freshnessOf({ 'cache-control': 'private, max-age=1' }, true)?.ttlMs, 1000);
  assert.equal(freshnessOf({ 'cache-control': 'public, max-age=1', 'cdn-cache-control': 'no-store' }), null);
  assert.equal(freshnessOf({ 'cache-control': 'no-store' }), null);
  assert.equal(freshnessOf({ 'cache-control': 'public' }), null);
  assert.deepEqual(
    freshnessOf({ 'cache-control': 'max-age=10, s-maxage=60, stale-while-revalidate=5', age: '20' }),
    {
      ttlMs: 40_000,
      swrMs: 5000,
      sieMs: day,
    },
  );
  assert.equal(freshnessOf({ 'cache-control': 'max-age=10, must-revalidate' })?.sieMs, 0);
});

test('which events purge', () => {
  assert.deepEqual(purges({ type: 'asset.deleted', data: { playback_ids: ['a'] } }), ['a']);
  // Back from the trash: whatever was kept of its 404s goes.
  assert.deepEqual(purges({ type: 'asset.restored', data: { playback_ids: ['r'] } }), ['r']);
  assert.deepEqual(purges({ type: 'asset.updated', data: { changes: ['title'], playback_ids: ['a'] } }), []);
  assert.deepEqual(
    purges({ type: 'asset.updated', data: { changes: ['playback_policy'], playback_ids: ['a', 'b'] } }),
    ['a', 'b'],
  );
  assert.deepEqual(purges({ type: 'live_stream.disabled', data: { playback_ids: ['l'] } }), ['l']);
  // The master playlist lists subtitle tracks; download.mp4 may be another rung now (docs/cdn.md).
  for (const type of ['asset.track.ready', 'asset.track.deleted', 'asset.download.ready'])
    assert.deepEqual(purges({ type, data: { playback_ids: ['t'] } }), ['t'], type);
});

test('only connection, socket and timeout errors count against an origin', () => {
  for (const code of [
    'ECONNREFUSED',
    'ECONNRESET',
    'UND_ERR_SOCKET',
    'UND_ERR_HEADERS_TIMEOUT',
    'HPE_INVALID_CONSTANT',
  ])
    assert.equal(isOriginFailure(Object.assign(new Error(code), { code })), true, code);
  for (const code of ['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_ABORTED', undefined])
    assert.equal(isOriginFailure(Object.assign(new Error('x'), { code })), false, String(code));
});

test('forwarded request headers: no Expect, no hop-by-hop ones, none that Connection names', () => {
  const out = forwardedRequestHeaders(
    {
      host: 'edge.example',
      expect: '100-continue',
      connection: 'keep-alive, X-Secret-Hop',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'x-secret-hop': '1',
      'content-type': 'text/plain',
    },
    { address: '192.0.2.1', tls: false, trustForwarded: false },
  );
  for (const name of ['host', 'expect', 'connection', 'keep-alive', 'te', 'x-secret-hop'])
    assert.equal(out[name], undefined, name);
  assert.equal(out['content-type'], 'text/plain');
});

test('X-Forwarded-*: the edge is the first hop unless told to trust the one in front', () => {
  const sent = {
    host: 'edge.example',
    'x-forwarded-for': '10.0.0.1',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'https',
    forwarded: 'for=10.0.0.1',
    'x-real-ip': '10.0.0.1',
  };
  const first = forwardedRequestHeaders(sent, { address: '192.0.2.1', tls: false, trustForwarded: false });
  assert.equal(first['x-forwarded-for'], '192.0.2.1');
  assert.equal(first['x-forwarded-host'], 'edge.example');
  assert.equal(first['x-forwarded-proto'], 'http');
  assert.equal(first.forwarded, undefined);
  assert.equal(first['x-real-ip'], undefined);
  const tls = forwardedRequestHeaders(
    { host: 'edge.example' },
    { address: '::1', tls: true, trustForwarded: false },
  );
  assert.equal(tls['x-forwarded-proto'], 'https');
  const behindCdn = forwardedRequestHeaders(sent, { address: '192.0.2.1', tls: false, trustForwarded: true });
  assert.equal(behindCdn['x-forwarded-for'], '10.0.0.1, 192.0.2.1');
  assert.equal(behindCdn['x-forwarded-host'], 'evil.example');
  assert.equal(behindCdn['x-forwarded-proto'], 'https');
  assert.equal(
    edgeConfig({ FRAMEHOUSE_EDGE_ORIGINS: 'http://a:1', FRAMEHOUSE_EDGE_TRUST_FORWARDED: 'true' }, {}).config
      .trustForwarded,
    true,
  );
  assert.equal(edgeConfig({ FRAMEHOUSE_EDGE_ORIGINS: 'http://a:1' }, {}).config.trustForwarded, false);
});

test('a 200 without the signed marker takes its id out of signedIds', () => {
  const ids = new Set<string>();
  noteSigned(ids, 'abcdefgh', true);
  assert.ok(ids.has('abcdefgh'));
  noteSigned(ids, 'abcdefgh', false);
  assert.ok(!ids.has('abcdefgh'));
});

test('the purge cursor is written through a temporary file, renamed over the last one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fh-cursor-'));
  try {
    const file = join(dir, 'events.cursor');
    await writeCursor(file, '41');
    await writeCursor(file, '42');
    assert.equal(await readFile(file, 'utf8'), '42');
    assert.deepEqual(await readdir(dir), ['events.cursor']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('token check: polls with If-None-Match; an unknown kid refreshes at most once a second, even failing', async () => {
  const seen: Array<string | undefined> = [];
  let failing = false;
  const secret = Buffer.alloc(32, 7).toString('base64url');
  // The origin's side of GET /v1/playback-keys/verification, over real HTTP.
  const server = createServer((req, res) => {
    seen.push(req.headers['if-none-match']);
    if (failing) return void res.writeHead(500).end();
    if (req.headers['if-none-match'] === '"set1"') return void res.writeHead(304, { etag: '"set1"' }).end();
    res.writeHead(200, { 'content-type': 'application/json', etag: '"set1"' });
    res.end(JSON.stringify({ data: [{ kid: 'k1', secret, created_at: '2026-01-01T00:00:00Z' }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const pool = new OriginPool([new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)]);
  const tc = new TokenCheck(pool, 'key', () => {});
  try {
    await tc.refresh();
    await tc.refresh();
    assert.deepEqual(seen, [undefined, '"set1"']);
    assert.equal(tc.ready, true);
    const token = async (kid: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: PLAYBACK_ALG, kid, typ: 'JWT' })
        .setSubject('abcdefgh')
        .setAudience(PLAYBACK_AUDIENCE)
        .setExpirationTime('1h')
        .sign(new Uint8Array(Buffer.from(secret, 'base64url')));
    await tc.verify(await token('k1'), 'abcdefgh'); // kept through the 304
    await new Promise((r) => setTimeout(r, 1100));
    failing = true;
    const unknown = await token('k9');
    for (let i = 0; i < 5; i++) await assert.rejects(tc.verify(unknown, 'abcdefgh'));
    assert.equal(seen.length, 3, 'one refresh for five requests naming an unknown kid');
  } finally {
    await pool.close();
    server.close();
  }
});

test('concurrent answers from one object each carry their own Cache-Status and Age', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fh-range-'));
  // A small memory tier: the object is answered from its file, after an await (the open).
  const cache = new ObjectCache({ dir, cap: 1024 * 1024, memorySize: 8000 });
  const file = join(dir, 'body');
  await writeFile(file, Buffer.alloc(5000, 1));
  const o = new CachedObject(
    {
      v: 1,
      key: '/play/abcdefgh/a',
      headers: ['content-type', 'application/octet-stream'],
      etag: null,
      ranges: true,
      size: 5000,
      storedAt: Date.now(),
      age: 0,
      ttlMs: 60_000,
      swrMs: 0,
      sieMs: 0,
      signed: false,
      template: false,
      playbackId: 'abcdefgh',
    },
    null,
  );
  o.file = file;
  const waiting: Array<[IncomingMessage, ServerResponse]> = [];
  // Both answers start in the same tick: the second sets its values before the first writes.
  const server = createServer((req, res) => {
    waiting.push([req, res]);
    if (waiting.length < 2) return;
    for (const [i, [q, r]] of waiting.entries()) void answerObject(q, r, o, `status-${i}`, cache, undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const first = fetch(url);
    await new Promise((r) => setTimeout(r, 100));
    const second = fetch(url, { headers: { range: 'bytes=0-9' } });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.headers.get('cache-status'), 'status-0');
    assert.equal(b.headers.get('cache-status'), 'status-1');
    assert.equal((await a.arrayBuffer()).byteLength, 5000);
    assert.equal((await b.arrayBuffer()).byteLength, 10);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('an answer from a file the viewer leaves counts what its socket took, not what was read ahead', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fh-range-abort-'));
  const size = 32 * 1024 * 1024;
  const cache = new ObjectCache({ dir, cap: 64 * 1024 * 1024, memorySize: 8000 });
  const file = join(dir, 'body');
  await writeFile(file, Buffer.alloc(size, 2));
  const o = new CachedObject(
    {
      v: 1,
      key: '/play/abcdefgh/big.mp4',
      headers: ['content-type', 'video/mp4'],
      etag: null,
      ranges: true,
      size,
      storedAt: Date.now(),
      age: 0,
      ttlMs: 60_000,
      swrMs: 0,
      sieMs: 0,
      signed: false,
      template: false,
      playbackId: 'abcdefgh',
    },
    null,
  );
  o.file = file;
  let resolveAnswer: (v: { counted: number | false; socketBody: number }) => void = () => {};
  const answered = new Promise<{ counted: number | false; socketBody: number }>((r) => {
    resolveAnswer = r;
  });
  const server = createServer((req, res) => {
    const socket = req.socket;
    void answerObject(req, res, o, 'hit', cache, undefined).then((counted) => {
      const head = (res as ServerResponse & { _header?: string })._header?.length ?? 0;
      resolveAnswer({ counted, socketBody: socket.bytesWritten - head });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    let received = 0;
    await new Promise<void>((resolve) => {
      const req = httpRequest(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (res) => {
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= 1_000_000) {
            req.destroy();
            resolve();
          }
        });
      });
      req.end();
    });
    const { counted, socketBody } = await answered;
    assert.equal(typeof counted, 'number');
    assert.ok((counted as number) >= received, `${counted} counted, ${received} received`);
    assert.ok((counted as number) <= socketBody, `${counted} counted, ${socketBody} taken by the socket`);
    assert.ok((counted as number) < size);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
