import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { EdgeUsage, MAX_PENDING_IDS, REPORT_MAX_ENTRIES } from './edge-usage.ts';
import { OriginPool } from './origin-pool.ts';

interface Posted {
  id: string;
  edge: string;
  hour: string;
  entries: { playback_id: string; bytes: number; seconds: number }[];
}

/** The origin's side of POST /v1/usage/edge-reports, over real HTTP: refuses while `failing`. */
async function reportsOrigin() {
  const posted: Posted[] = [];
  const auths: (string | undefined)[] = [];
  /** `failing`: 503 to every report; `refuse`: this status to reports with more entries than `refuseOver`. */
  const state = { failing: false, refuse: 0, refuseOver: Number.POSITIVE_INFINITY };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      auths.push(req.headers.authorization);
      if (state.failing) return void res.writeHead(503).end();
      const report = JSON.parse(body) as Posted;
      if (state.refuse && report.entries.length > state.refuseOver)
        return void res.writeHead(state.refuse).end();
      posted.push(report);
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
    // Two rounds left, each in reports of REPORT_MAX_ENTRIES.
    assert.equal(usage.pendingReports, 2 * Math.ceil(MAX_PENDING_IDS / 2 / REPORT_MAX_ENTRIES));
    assert.ok(warnings.some((w) => w.includes('dropped')));
    origin.state.failing = false;
    await usage.report();
    const sent = origin.posted.flatMap((p) => p.entries.map((e) => e.playback_id));
    assert.equal(sent.length, MAX_PENDING_IDS);
    assert.ok(sent.every((id) => !id.startsWith('r0-')));
    assert.equal(new Set(sent).size, sent.length);
  } finally {
    await origin.close();
  }
});

test('edge reports: more ids than one report takes go as several (each its own id); 400 and 413 are dropped, not retried', async () => {
  const origin = await reportsOrigin();
  try {
    const warnings: string[] = [];
    const usage = new EdgeUsage({
      pool: origin.pool,
      apiKey: 'k',
      everyMs: 60_000,
      log: { info() {}, warn: (_o, m) => warnings.push(m) },
    });
    const ids = 12_001; // more than the origin's 10,000 a report
    for (let i = 0; i < ids; i++) usage.add(`p${i}`, 1, 0);
    await usage.report();
    assert.equal(usage.pendingReports, 0);
    assert.equal(origin.posted.length, Math.ceil(ids / REPORT_MAX_ENTRIES));
    assert.ok(origin.posted.every((p) => p.entries.length <= REPORT_MAX_ENTRIES));
    assert.equal(new Set(origin.posted.map((p) => p.id)).size, origin.posted.length);
    assert.equal(
      origin.posted.reduce((n, p) => n + p.entries.length, 0),
      ids,
    );

    // The origin refuses a report's body: sending it again cannot help.
    for (const status of [400, 413]) {
      origin.posted.length = 0;
      origin.state.refuse = status;
      origin.state.refuseOver = 1;
      usage.add('big1', 1, 0);
      usage.add('big2', 1, 0);
      await usage.report();
      assert.equal(usage.pendingReports, 0, `${status}: dropped`);
      assert.ok(warnings.some((w) => w.includes('refused')));
      usage.add('small', 5, 0);
      await usage.report();
      assert.deepEqual(
        origin.posted.map((p) => p.entries.map((e) => e.playback_id)),
        [['small']],
      );
    }
  } finally {
    await origin.close();
  }
});

test('edge reports: one per hour the counts were made in, naming the hour', async () => {
  const origin = await reportsOrigin();
  try {
    const h0 = Date.UTC(2026, 11, 31, 23, 0, 0);
    let now = h0 + 59 * 60_000;
    const usage = new EdgeUsage({
      pool: origin.pool,
      apiKey: 'k',
      everyMs: 60_000,
      log: quiet,
      now: () => now,
    });
    usage.add('pid1', 10, 1);
    now = h0 + 61 * 60_000; // the next hour, day, month and year
    usage.add('pid1', 20, 2);
    usage.add('pid2', 5, 0);
    await usage.report();
    assert.deepEqual(
      origin.posted.map((p) => [p.hour, p.entries]),
      [
        [new Date(h0).toISOString(), [{ playback_id: 'pid1', bytes: 10, seconds: 1 }]],
        [
          new Date(h0 + 3_600_000).toISOString(),
          [
            { playback_id: 'pid1', bytes: 20, seconds: 2 },
            { playback_id: 'pid2', bytes: 5, seconds: 0 },
          ],
        ],
      ],
    );
  } finally {
    await origin.close();
  }
});
