import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { UsageEntry, UsageSink } from '../usage/usage-records.ts';
import { hourBucket } from '../usage/usage-records.ts';
import { DeliveryUsage, MAX_CLAIMS, vodSegmentSeconds } from './delivery-usage.ts';

const SIZE = 100_000;
/** A reporting edge's header value (its admin key's hash). */
const EDGE_HASH = 'a'.repeat(64);
const edges = new Set([EDGE_HASH]);
const body = Buffer.alloc(SIZE, 7);
const entries: UsageEntry[] = [];
const sink: UsageSink = { add: (e) => entries.push(e) };
let app: FastifyInstance;
let usage: DeliveryUsage;
let base: string;

before(async () => {
  app = Fastify();
  usage = new DeliveryUsage(sink, edges);
  app.get('/seg', async (req, reply) => {
    usage.meter(req, reply, 'user:u', 'asset', 'a1', 4);
    if (req.headers['if-none-match']) return reply.code(304).send();
    const range = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
    if (range) {
      const [start, end] = [Number(range[1]), Number(range[2])];
      return reply
        .code(206)
        .header('content-range', `bytes ${start}-${end}/${SIZE}`)
        .header('content-length', end - start + 1)
        .send(body.subarray(start, end + 1));
    }
    return reply.header('content-length', SIZE).send(body);
  });
  // A large answer streamed slowly (an MP4 download): the viewer leaves part-way.
  app.get('/slow', async (req, reply) => {
    usage.meter(req, reply, 'user:u', 'asset', 'a1', 100);
    const chunks = Array.from({ length: 200 }, () => Buffer.alloc(64 * 1024, 1));
    const stream = Readable.from(
      (async function* () {
        for (const c of chunks) {
          yield c;
          await new Promise((r) => setTimeout(r, 5));
        }
      })(),
    );
    return reply.header('content-length', 200 * 64 * 1024).send(stream);
  });
  app.get('/playlist', async (req, reply) => {
    usage.meter(req, reply, 'user:u', 'asset', 'a1');
    return reply.header('content-type', 'application/vnd.apple.mpegurl').send('#EXTM3U\n');
  });
  app.get('/missing', async (req, reply) => {
    usage.meter(req, reply, 'user:u', 'asset', 'a1');
    return reply.code(404).send({ error: 'no' });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
after(() => app.close());

const settle = async () => {
  await new Promise((r) => setTimeout(r, 50));
  usage.drain();
};
const sum = (metric: string) => entries.filter((e) => e.metric === metric).reduce((n, e) => n + e.value, 0);

test('whole answers count their length and seconds; ranges their share; 304, HEAD and errors nothing', async () => {
  entries.length = 0;
  const whole = await fetch(`${base}/seg`);
  assert.equal(whole.headers.get('x-framehouse-media-seconds'), '4');
  assert.equal((await whole.arrayBuffer()).byteLength, SIZE);
  const part = await fetch(`${base}/seg`, { headers: { range: 'bytes=0-24999' } });
  assert.equal((await part.arrayBuffer()).byteLength, 25_000);
  await (await fetch(`${base}/seg`, { headers: { 'if-none-match': '"x"' } })).arrayBuffer();
  await (await fetch(`${base}/seg`, { method: 'HEAD' })).arrayBuffer();
  await (await fetch(`${base}/missing`)).arrayBuffer();
  const playlist = await (await fetch(`${base}/playlist`)).text();
  await settle();
  assert.equal(sum('delivered_bytes'), SIZE + 25_000 + Buffer.byteLength(playlist));
  assert.equal(sum('delivered_seconds'), 4 + 1);
  assert.ok(entries.every((e) => e.owner === 'user:u' && e.subjectId === 'a1' && e.dimension === 'origin'));
});

test('fills of an edge that reports are not counted (the edge reports what it serves)', async () => {
  entries.length = 0;
  const res = await fetch(`${base}/seg`, { headers: { 'x-framehouse-edge': EDGE_HASH } });
  assert.equal(res.headers.get('x-framehouse-media-seconds'), '4');
  await res.arrayBuffer();
  await settle();
  assert.equal(entries.length, 0);
});

test('an edge whose key was unknown when its fill began is judged again at the drain', async () => {
  entries.length = 0;
  const newEdge = 'c'.repeat(64);
  await (await fetch(`${base}/seg`, { headers: { 'x-framehouse-edge': newEdge } })).arrayBuffer();
  edges.add(newEdge); // the reload the claim started has landed
  await settle();
  assert.equal(entries.length, 0);
});

test('a viewer who claims to be an edge is counted like any viewer', async () => {
  entries.length = 0;
  for (const claim of ['report', 'b'.repeat(64), '']) {
    await (await fetch(`${base}/seg`, { headers: { 'x-framehouse-edge': claim } })).arrayBuffer();
  }
  await settle();
  assert.equal(sum('delivered_bytes'), 3 * SIZE);
});

test('a claim not shaped like a key hash is a viewer at once; beyond MAX_CLAIMS claims, answers count at once', async () => {
  entries.length = 0;
  // Upper case: never a key hash (hex is stored in lower case), so never held for the drain.
  const upper = 'D'.repeat(64);
  await (await fetch(`${base}/seg`, { headers: { 'x-framehouse-edge': upper } })).arrayBuffer();
  await new Promise((r) => setTimeout(r, 50));
  edges.add(upper);
  try {
    const own = new DeliveryUsage(sink, edges);
    for (let i = 0; i < MAX_CLAIMS; i++)
      own.add('asset', 'a1', 'user:u', 1, 0, i.toString(16).padStart(64, '0'));
    const late = 'e'.repeat(64);
    own.add('asset', 'a1', 'user:u', 1000, 0, late);
    edges.add(late); // were it held, the drain would take it for an edge's fill
    own.drain();
    usage.drain();
    assert.equal(sum('delivered_bytes'), SIZE + MAX_CLAIMS + 1000);
  } finally {
    edges.delete(upper);
  }
});

test('tallies are dated in the hour their answer ended in, not the hour of the drain', () => {
  const dated: UsageEntry[] = [];
  const h0 = Date.UTC(2026, 0, 31, 23, 0, 0);
  let now = h0 + 59 * 60_000;
  const own = new DeliveryUsage({ add: (e) => dated.push(e) }, edges, () => now);
  own.add('asset', 'a1', 'user:u', 10, 1);
  own.add('live_stream', 's1', 'user:u', 5, 0, 'f'.repeat(64)); // a claim, judged at the drain
  now = h0 + 61 * 60_000; // the next hour, day and month
  own.add('asset', 'a1', 'user:u', 20, 2);
  own.drain();
  const bytes = dated
    .filter((e) => e.metric === 'delivered_bytes')
    .map((e) => `${e.subjectId} ${hourBucket(e.at ?? 0)} ${e.value}`)
    .sort();
  assert.deepEqual(bytes, [
    `a1 ${hourBucket(h0)} 10`,
    `a1 ${hourBucket(h0 + 3_600_000)} 20`,
    `s1 ${hourBucket(h0)} 5`,
  ]);
});

test('an aborted answer counts what was written, and its share of the seconds', async () => {
  entries.length = 0;
  let received = 0;
  await new Promise<void>((resolve) => {
    const req = request(`${base}/slow`, (res) => {
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
  await new Promise((r) => setTimeout(r, 300));
  usage.drain();
  const bytes = sum('delivered_bytes');
  const total = 200 * 64 * 1024;
  // At least what the viewer read; no more than was written before the close was seen.
  assert.ok(bytes >= received, `${bytes} counted, ${received} received`);
  assert.ok(bytes < total / 2, `${bytes} counted of ${total}`);
  assert.ok(Math.abs(sum('delivered_seconds') - (100 * bytes) / total) < 1e-9);
});

test('VOD segment seconds: the segment length, the last one the rest of the duration', () => {
  assert.equal(vodSegmentSeconds(0, 4, 10), 4);
  assert.equal(vodSegmentSeconds(1, 4, 10), 4);
  assert.ok(Math.abs(vodSegmentSeconds(2, 4, 10) - 2) < 1e-9);
  assert.equal(vodSegmentSeconds(3, 4, 10), 0);
  assert.equal(vodSegmentSeconds(5, 4, null), 4);
});
