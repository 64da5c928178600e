import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { FetchError, type FetchLimits, fetchGuarded } from './fetch-url.ts';

// Tests run on loopback only. 127.0.0.2 stands for "a public server" (the one address the
// limits allow besides public ones); 127.0.0.1 is the private address a URL must not reach.
const ALLOWED = '127.0.0.2';

interface Peer {
  server: Server;
  port: number;
  hits: string[];
}

async function peer(host: string): Promise<Peer> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.push(url.pathname);
    const hop = /^\/r\/(\d+)$/.exec(url.pathname);
    if (hop) {
      const left = Number(hop[1]);
      res.writeHead(302, { location: left > 1 ? `/r/${left - 1}` : '/ok' }).end();
    } else if (url.pathname === '/to') {
      res.writeHead(307, { location: url.searchParams.get('u') ?? '/' }).end();
    } else if (url.pathname === '/ok' || url.pathname === '/big') {
      // Chunked (no Content-Length): only counting tells the size.
      const total = Number(url.searchParams.get('bytes') ?? 300_000);
      res.writeHead(200, { 'content-type': 'video/mp4' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const more = () => {
        while (sent < total) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += piece.length;
          if (!res.write(piece)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    } else if (url.pathname === '/sized') {
      res.writeHead(200, { 'content-length': '50000000' });
      res.write(Buffer.alloc(1000));
      // …and never the rest: the client must refuse on the header alone.
    } else if (url.pathname === '/slow') {
      res.writeHead(200);
      const t = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(t));
    } else if (url.pathname === '/status') {
      res.writeHead(Number(url.searchParams.get('code'))).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return { server, port: (server.address() as { port: number }).port, hits };
}

const limits = (over: Partial<FetchLimits> = {}): FetchLimits => ({
  maxBytes: 10_000_000,
  timeoutMs: 10_000,
  maxRedirects: 5,
  allowPrivate: (address) => address === ALLOWED,
  ...over,
});

/** Counts the body's bytes; never keeps them. */
async function fetchCount(url: string, l: FetchLimits = limits()) {
  return fetchGuarded(url, l, async (body, meta) => {
    let size = 0;
    await pipeline(
      body,
      new Writable({
        write(chunk: Buffer, _e, done) {
          size += chunk.length;
          done();
        },
      }),
    );
    return { size, url: meta.url.href };
  });
}

async function refusedWith(code: string, p: Promise<unknown>, retryable = false): Promise<FetchError> {
  const e = await p.then(
    () => assert.fail('fetched'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof FetchError, String(e));
  assert.equal(e.code, code, e.message);
  assert.equal(e.retryable, retryable, e.message);
  return e;
}

describe('fetchGuarded: the webhook guard on every hop', () => {
  let site: Peer; // the "public" place
  let inside: Peer; // the private address behind it
  let base: string;

  before(async () => {
    site = await peer(ALLOWED);
    inside = await peer('127.0.0.1');
    base = `http://${ALLOWED}:${site.port}`;
  });
  after(async () => {
    for (const p of [site, inside]) await new Promise((r) => p.server.close(r));
  });

  test('an allowed place, through five redirects, streamed whole', async () => {
    const got = await fetchCount(`${base}/r/5`);
    assert.deepEqual(got, { size: 300_000, url: `${base}/ok` });
  });

  test('a sixth redirect is refused', async () => {
    const e = await refusedWith('FH_ERR_FETCH_FAILED', fetchCount(`${base}/r/6`));
    assert.match(e.message, /More than 5 redirects/);
  });

  test('loopback, private and link-local addresses are refused, literally or through a redirect', async () => {
    const before = inside.hits.length;
    const inner = `127.0.0.1:${inside.port}`;
    for (const url of [
      `http://${inner}/ok`,
      `http://localhost:${inside.port}/ok`,
      `http://[::1]:${inside.port}/ok`,
      `http://[::ffff:127.0.0.1]:${inside.port}/ok`,
      `http://2130706433:${inside.port}/ok`, // 127.0.0.1 as one number
      `http://0x7f.1:${inside.port}/ok`,
      'http://169.254.169.254/latest/meta-data/',
      'http://10.1.2.3/',
      'http://192.168.1.1/',
      'http://100.64.0.1/', // carrier-grade NAT
      'http://[fd00::1]/',
      'http://0.0.0.0/',
    ]) {
      await refusedWith('FH_ERR_ADDRESS_REFUSED', fetchCount(url));
      await refusedWith('FH_ERR_ADDRESS_REFUSED', fetchCount(`${base}/to?u=${encodeURIComponent(url)}`));
    }
    assert.equal(inside.hits.length, before, 'nothing reached the private address');
  });

  test('a redirect to another scheme is refused', async () => {
    for (const target of ['file:///etc/passwd', 'ftp://example.com/x', 'gopher://127.0.0.1/']) {
      const e = await refusedWith(
        'FH_ERR_FETCH_FAILED',
        fetchCount(`${base}/to?u=${encodeURIComponent(target)}`),
      );
      assert.match(e.message, /only http and https/);
    }
  });

  test('too large: by Content-Length before reading, or by counting a chunked body', async () => {
    await refusedWith('FH_ERR_FETCH_TOO_LARGE', fetchCount(`${base}/sized`));
    const e = await refusedWith(
      'FH_ERR_FETCH_TOO_LARGE',
      fetchCount(`${base}/big?bytes=3000000`, limits({ maxBytes: 1_000_000 })),
    );
    assert.match(e.message, /1000000 bytes/);
    // Exactly at the cap is fine.
    assert.equal(
      (await fetchCount(`${base}/ok?bytes=1000000`, limits({ maxBytes: 1_000_000 }))).size,
      1_000_000,
    );
  });

  test('the time cap covers the body', async () => {
    const started = Date.now();
    const e = await refusedWith(
      'FH_ERR_FETCH_FAILED',
      fetchCount(`${base}/slow`, limits({ timeoutMs: 700 })),
    );
    assert.match(e.message, /within 1 s/);
    assert.ok(Date.now() - started < 3000);
  });

  test('HTTP errors: a 404 is final, a 503 may pass', async () => {
    await refusedWith('FH_ERR_FETCH_FAILED', fetchCount(`${base}/status?code=404`));
    await refusedWith('FH_ERR_FETCH_FAILED', fetchCount(`${base}/status?code=503`), true);
    await refusedWith('FH_ERR_FETCH_FAILED', fetchCount(`http://127.0.0.2:1/ok`), true); // refused connection
  });

  test('a name with one private answer among public ones is refused before any connection', async () => {
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 as const },
      { address: '127.0.0.1', family: 4 as const },
    ];
    await refusedWith('FH_ERR_ADDRESS_REFUSED', fetchCount('http://rebind.test/ok', limits({ resolve })));
  });

  test('the address checked is the address connected to (resolved once per hop, pinned)', async () => {
    // A resolver that answers differently the second time, as a rebinding attacker's DNS would:
    // nothing listens on 127.0.0.3, so a second lookup at connect time would fail the fetch.
    const answers = [ALLOWED, '127.0.0.3'];
    let calls = 0;
    const resolve = async () => [{ address: answers[Math.min(calls++, 1)] as string, family: 4 as const }];
    const got = await fetchCount(`http://media.test:${site.port}/ok`, limits({ resolve }));
    assert.equal(got.size, 300_000);
    assert.equal(calls, 1);
  });

  test('a large body streams through without being held in memory', async (t) => {
    const total = 512 * 1024 * 1024;
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const got = await fetchCount(`${base}/big?bytes=${total}`, limits({ maxBytes: total }));
      assert.equal(got.size, total);
    } finally {
      clearInterval(timer);
    }
    t.diagnostic(`512 MiB fetched; RSS grew by ${Math.round((peak - rssBefore) / 1048576)} MiB at most`);
    assert.ok(peak - rssBefore < total / 4, `RSS grew by ${Math.round((peak - rssBefore) / 1048576)} MiB`);
  });
});
