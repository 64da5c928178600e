/**
 * `npm run bench:api`
 *
 * Issue 14, Part 1: the API under load, measured as /work/shared/measure/p6-api measures it. A
 * fresh `framehouse serve` (or BENCH_URL's) with the rate limit raised out of the way
 * (FRAMEHOUSE_RATE_LIMIT_PER_MINUTE=1000000: this measures the API, not the limiter), one
 * 640×360 4 s clip uploaded and its ladder waited for; the server's idle RSS; then
 * `GET /v1/assets/{id}` with the admin API key, `wrk -t2 -c32 -d10s --latency`, 3 runs, medians
 * of req/s, p50 and p99; the same for `GET /v1/assets?limit=20`; the peak RSS (VmHWM) last.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  log,
  measureClip,
  originMemoryMb,
  originTreeMemoryMb,
  startOrigin,
  uploadAndWait,
} from './origin.ts';
import { fmt, markdownTable, type Table, textTable } from './table.ts';
import { median } from './util.ts';
import { type WrkResult, wrk } from './wrk.ts';

const RUNS = 3;
const SECONDS = 10;

const origin = await startOrigin({ FRAMEHOUSE_RATE_LIMIT_PER_MINUTE: '1000000' });
try {
  log('a 640×360 4 s clip: uploading, waiting for the ladder…');
  const asset = await uploadAndWait(origin, await measureClip(640, 360, 4));
  await sleep(2000);
  const idleMb = originMemoryMb(origin, 'VmRSS');
  const idleAll = originTreeMemoryMb(origin, 'VmRSS');
  const headers = { authorization: `Bearer ${origin.key}` };

  const measure = async (label: string, path: string) => {
    const check = await fetch(`${origin.base}${path}`, { headers });
    if (check.status !== 200) throw new Error(`${path} answered ${check.status}`);
    const runs: WrkResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await wrk(`${origin.base}${path}`, { seconds: SECONDS, latency: true, headers }));
      const r = runs.at(-1) as WrkResult;
      log(`${label}, run ${i + 1}: ${fmt(r.rps, 0)} req/s, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms`);
      if (r.non2xx > 0) throw new Error(`${label}: ${r.non2xx} answers were not 2xx (rate limited?)`);
    }
    return {
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
    };
  };
  const one = await measure('GET /v1/assets/{id}', `/v1/assets/${asset.id}`);
  const list = await measure('GET /v1/assets?limit=20', '/v1/assets?limit=20');
  const peakMb = originMemoryMb(origin, 'VmHWM');

  const mb = (x: number) => (Number.isFinite(x) ? `${fmt(x, 0)} MB` : '–');
  const row = (label: string, r: typeof one, goal: string) => [
    label,
    `${fmt(r.rps, 0)} req/s`,
    `${fmt(r.p50)} ms`,
    `${fmt(r.p99)} ms`,
    goal,
  ];
  const table: Table = {
    head: ['path', 'throughput', 'p50', 'p99', 'goal'],
    rows: [
      row('`GET /v1/assets/{id}` with an API key, `wrk -c32`', one, '≥ 5,000 req/s, p99 ≤ 20 ms'),
      row('`GET /v1/assets?limit=20`, the same', list, '—'),
      ['RSS of `serve`, idle / peak (VmHWM)', `${mb(idleMb)} / ${mb(peakMb)}`, '', '', '≤ 150 MB idle'],
      [`RSS idle of all ${idleAll.processes} HTTP processes of \`serve\``, mb(idleAll.mb), '', '', '—'],
    ],
  };
  process.stdout.write(
    `\nAPI, medians of ${RUNS} runs of wrk -t2 -c32 -d${SECONDS}s --latency\n\n${textTable(table)}\n\n${markdownTable(table)}\n`,
  );
} finally {
  await origin.stop();
}
