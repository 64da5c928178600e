import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { EdgeUsage, MAX_PENDING_IDS } from './edge-usage.ts';
import { OriginPool } from './origin-pool.ts';

interface Posted {
  id: string;
  edge: string;
  entries: { playback_id: string; bytes: number; seconds: number }[];
}

/** The origin's side of POST /v1/usage/edge-reports, over real HTTP: refuses while `failing`. */
async function reportsOrigin() {
  const posted: Posted[] = [];
  const auths: (string | undefined)[] = [];
  const state = { failing: false };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      auths.push(req.headers.authorization);
      if (state.failing) return void res.writeHead(503).end();
      posted.push(JSON.parse(body) as Posted);
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"data":{"accepted":1,"unknown":0}}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const pool = new OriginPool([new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)]);
  return {
    posted,
    auths,
    state,
    pool,
    close: async () => {
      await pool.close();
      await new Promise((r) => server.close(r));
    },
  };
}

const quiet = { info() {}, warn() {} };

test('edge reports: per playback id, with the API key; a refused report is sent again with its id, first', async () => {
  const origin = await reportsOrigin();
  try {
    const usage = new EdgeUsage({
      pool: origin.pool,
      apiKey: 'k3y',
      everyMs: 60_000,
      log: quiet,
      edgeName: 'e1',
    });
    usage.add('pid1', 100, 2);
    usage.add('pid1', 50, 1);
    usage.add('pid2', 7, 0);
    origin.state.failing = true;
    await usage.report();
    assert.equal(usage.pendingReports, 1);
    usage.add('pid1', 1, 0);
    origin.state.failing = false;
    await usage.stop();
    assert.equal(usage.pendingReports, 0);
    assert.equal(origin.posted.length, 2);
    const [first, second] = origin.posted;
    assert.deepEqual(first?.entries, [
      { playback_id: 'pid1', bytes: 150, seconds: 3 },
      { playback_id: 'pid2', bytes: 7, seconds: 0 },
    ]);
    assert.equal(first?.edge, 'e1');
    assert.deepEqual(second?.entries, [{ playback_id: 'pid1', bytes: 1, seconds: 0 }]);
    assert.notEqual(first?.id, second?.id);
    assert.ok(origin.auths.every((a) => a === 'Bearer k3y'));
    // Nothing counted since: nothing sent.
    await usage.report();
    assert.equal(origin.posted.length, 2);
  } finally {
    await origin.close();
  }
});

test('edge reports: while the origin refuses, at most MAX_PENDING_IDS playback ids wait (the oldest reports go)', async () => {
  const origin = await reportsOrigin();
  try {
    const warnings: string[] = [];
    const usage = new EdgeUsage({
      pool: origin.pool,
      apiKey: 'k',
      everyMs: 60_000,
      log: { info() {}, warn: (_o, m) => warnings.push(m) },
    });
    origin.state.failing = true;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MAX_PENDING_IDS / 2; i++) usage.add(`r${round}-${i}`, 1, 0);
      await usage.report();
    }
    assert.equal(usage.pendingReports, 2);
    assert.ok(warnings.some((w) => w.includes('dropped')));
    origin.state.failing = false;
    await usage.report();
    assert.deepEqual(
      origin.posted.map((p) => p.entries[0]?.playback_id),
      ['r1-0', 'r2-0'],
    );
  } finally {
    await origin.close();
  }
});
