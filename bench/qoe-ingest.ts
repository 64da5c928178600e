/**
 * `npm run bench:qoe-ingest`
 *
 * Viewer analytics, the ingest path (docs/qoe.md): one `framehouse serve` on SQLite as `npm start`
 * runs it (bin/framehouse.js, a fresh data folder, its defaults: one HTTP process per core, the
 * access log on), FRAMEHOUSE_TRUST_PROXY=true so each simulated viewer has an address of its own
 * (X-Forwarded-For). From a separate process, an open-loop load at a fixed rate of CMCD v2 event
 * reports, one per POST as hls.js sends them (batchSize 1): each viewer a session (sid) of its
 * own that starts (ps s, bc, ps p) and then sends mostly interval reports (`t`), a stall now and
 * then (ps r, ps p) and a bitrate change (bc); after 30 reports a viewer starts a new session.
 * Latency is measured from each request's scheduled time (open loop: a slow answer does not
 * slow the senders), so queueing anywhere counts. After a warm-up, the measured window; then the
 * same load against a bare node:http server that reads the body and answers 204, for reference.
 *
 *   node bench/qoe-ingest.ts [--rates 1000,1500] [--seconds 20] [--warmup 8] [--runs 3]
 *                            [--interval 4] [--http-processes N] [--cpu-prof DIR]
 *
 * `--interval`: seconds between two reports of one viewer (hls.js: 10 s, plus state changes; a
 * shorter one reaches a run's rate with fewer viewers, all of them mid-session within the
 * warm-up). Goal: ≥ 1,000 reports/s with p95 ≤ 20 ms.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, markdownTable, textTable } from './table.ts';
import {
  cpuSeconds,
  freePort,
  machineBusySeconds,
  median,
  processTree,
  procStatusKb,
  serverDefaultsEnv,
  waitForQuiet,
} from './util.ts';

const BIN = new URL('../bin/framehouse.js', import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;
const ADMIN_KEY = 'qoe-bench-admin-key-0123456789abcdef';

const { values: flags } = parseArgs({
  options: {
    rates: { type: 'string', default: '1000,1500' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    interval: { type: 'string', default: '4' },
    'http-processes': { type: 'string' },
    'cpu-prof': { type: 'string' },
    // The load generator (this file run again as a child): its target and its load.
    load: { type: 'string' },
    rate: { type: 'string' },
    cid: { type: 'string' },
    run: { type: 'string', default: '0' },
  },
});

interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  achieved: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** From the send, not the schedule. */
  sendP50: number;
  sendP95: number;
  sendP99: number;
  /** How far behind its schedule the generator itself fell (p99, ms): above a few ms it is the bottleneck. */
  lagP99: number;
}

// ---- The load generator (child process) ----

const PUBLIC_FIRST_OCTETS = [
  1, 2, 5, 8, 14, 27, 31, 36, 37, 41, 46, 49, 58, 61, 77, 78, 81, 85, 91, 95, 101, 103, 106, 110, 112, 114,
  116, 118, 121, 125, 175, 180, 182, 185, 188, 193, 194, 195, 200, 201, 210, 211, 212, 213, 217, 218, 220,
  222,
];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
];
const BITRATES = [928, 1628, 2928, 5128];
const SESSION_REPORTS = 30;

/** Viewer `i`'s address: spread over public /8s, so countries vary as they would. */
const addressOf = (i: number) =>
  `${PUBLIC_FIRST_OCTETS[i % PUBLIC_FIRST_OCTETS.length]}.${(i * 7) & 255}.${(i >> 3) & 255}.${1 + (i % 250)}`;

/**
 * The k-th report of a viewer's session as hls.js encodes it (keys sorted, the persisted ones
 * included): ps s, bc, ps p, then interval reports, a stall (ps r, ps p) every 10 and a bitrate
 * change (bc) every 15.
 */
function reportLine(sid: string, cid: string, k: number, br: number): string {
  const keys: Record<string, string> = {
    cid: `"${cid}"`,
    sf: 'h',
    sid: `"${sid}"`,
    sn: String(k),
    ts: String(Date.now()),
    v: '2',
  };
  if (k === 0) Object.assign(keys, { e: 'ps', sta: 's' });
  else if (k === 1) Object.assign(keys, { e: 'bc', sta: 's', br: `(${br})`, ot: 'v', mtp: '(25400)' });
  else {
    const stall = k % 10 === 5;
    const resume = k % 10 === 6;
    Object.assign(keys, {
      e: k === 2 || stall || resume ? 'ps' : k % 15 === 0 ? 'bc' : 't',
      sta: stall ? 'r' : 'p',
      br: `(${br})`,
      bl: `(${(k * 1700) % 30000})`,
      mtp: '(25400)',
      st: 'v',
    });
  }
  return `${Object.keys(keys)
    .sort()
    .map((key) => `${key}=${keys[key]}`)
    .join(',')}\n`;
}

async function generate(target: string): Promise<void> {
  const rate = Number(flags.rate);
  const seconds = Number(flags.seconds);
  const warmup = Number(flags.warmup);
  const interval = Number(flags.interval);
  const cid = flags.cid ?? 'none';
  const viewers = Math.max(1, Math.round(rate * interval));
  const url = new URL('/v1/qoe/cmcd', target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const state = Array.from({ length: viewers }, (_, i) => ({
    session: 0,
    k: 0,
    br: BITRATES[i % 4] as number,
  }));
  const sidOf = (i: number) => `bench-${flags.run}-${i}-${state[i]?.session}`;

  const histogram = new Uint32Array(60_001);
  // The same from the moment each request was handed to the socket: without the generator's own
  // delays (on a saturated machine it falls behind its schedule, and the first histogram counts that).
  const fromSend = new Uint32Array(60_001);
  const lags: number[] = [];
  let measured = 0;
  let ok = 0;
  let errors = 0;
  let sent = 0;
  let inFlight = 0;
  const statuses: Record<string, number> = {};
  const start = performance.now() + 50;
  const measureFrom = start + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  let firstAnswerInWindow = Number.POSITIVE_INFINITY;
  let lastAnswerInWindow = 0;

  const send = (n: number, due: number) => {
    const i = n % viewers;
    const v = state[i] as (typeof state)[number];
    if (v.k >= SESSION_REPORTS) {
      v.session++;
      v.k = 0;
    }
    if (v.k > 0 && v.k % 15 === 0) v.br = BITRATES[(BITRATES.indexOf(v.br) + 1) % 4] as number;
    const body = reportLine(sidOf(i), cid, v.k++, v.br);
    const inWindow = due >= measureFrom && due < end;
    const sentAt = performance.now();
    if (inWindow) lags.push(sentAt - due);
    sent++;
    inFlight++;
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/cmcd',
          'content-length': Buffer.byteLength(body),
          'x-forwarded-for': addressOf(i),
          'user-agent': USER_AGENTS[i % USER_AGENTS.length] as string,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          inFlight--;
          const now = performance.now();
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          if (!inWindow) return;
          measured++;
          if (res.statusCode === 204) ok++;
          else errors++;
          firstAnswerInWindow = Math.min(firstAnswerInWindow, now);
          lastAnswerInWindow = Math.max(lastAnswerInWindow, now);
          const ms = Math.min(60_000, Math.round(now - due));
          histogram[ms] = (histogram[ms] as number) + 1;
          const own = Math.min(60_000, Math.round(now - sentAt));
          fromSend[own] = (fromSend[own] as number) + 1;
        });
      },
    );
    req.on('error', () => {
      inFlight--;
      statuses.error = (statuses.error ?? 0) + 1;
      if (inWindow) errors++;
    });
    req.end(body);
  };

  await new Promise<void>((resolve) => {
    let n = 0;
    const tick = () => {
      const now = performance.now();
      // Every request due by now, each with the time it was due (open loop).
      while (start + (n * 1000) / rate <= now && start + (n * 1000) / rate < end) {
        send(n, start + (n * 1000) / rate);
        n++;
      }
      if (start + (n * 1000) / rate >= end) return resolve();
      setTimeout(tick, 1);
    };
    setTimeout(tick, 50);
  });
  // The answers still on their way (a minute at most).
  for (let i = 0; i < 600 && inFlight > 0; i++) await new Promise((r) => setTimeout(r, 100));
  agent.destroy();

  const percentile = (p: number, h = histogram) => {
    const target = Math.ceil((p / 100) * measured);
    let seen = 0;
    for (let ms = 0; ms < h.length; ms++) {
      seen += h[ms] as number;
      if (seen >= target) return ms;
    }
    return Number.NaN;
  };
  let max = 0;
  for (let ms = histogram.length - 1; ms >= 0; ms--)
    if (histogram[ms]) {
      max = ms;
      break;
    }
  lags.sort((a, b) => a - b);
  const result: LoadResult = {
    sent,
    ok,
    errors,
    statuses,
    // Answers over the window they came in (the measured requests' first to last answer).
    achieved: measured / (Math.max(1, lastAnswerInWindow - firstAnswerInWindow) / 1000),
    p50: percentile(50),
    p95: percentile(95),
    p99: percentile(99),
    max,
    sendP50: percentile(50, fromSend),
    sendP95: percentile(95, fromSend),
    sendP99: percentile(99, fromSend),
    lagP99: lags[Math.floor(lags.length * 0.99)] ?? Number.NaN,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ---- The bench (parent process) ----

async function startServe(): Promise<{ url: string; child: ChildProcess; dir: string; cid: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'qoe-bench-'));
  const port = await freePort();
  const args = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : [];
  const child = spawn(process.execPath, [...args, BIN, 'serve', '--host', '127.0.0.1'], {
    env: {
      ...serverDefaultsEnv(),
      PORT: String(port),
      FRAMEHOUSE_DATA_DIR: dir,
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_TRUST_PROXY: 'true',
      FRAMEHOUSE_RTMP_PORT: '0',
      FRAMEHOUSE_SRT_PORTS: 'off',
      ...(flags['http-processes'] ? { FRAMEHOUSE_HTTP_PROCESSES: flags['http-processes'] } : {}),
      // --cpu-prof reaches the HTTP siblings too (they are forked with this process's flags).
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error('serve exited early');
    if (i > 300) throw new Error('serve did not start');
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // The siblings start after the first process answers: give them a moment.
  await new Promise((r) => setTimeout(r, 3000));
  const created = await fetch(`${url}/v1/live-streams`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const cid = ((await created.json()) as { data: { playback_ids: { id: string }[] } }).data.playback_ids[0]
    ?.id as string;
  return { url, child, dir, cid };
}

/** The reference: node:http reading each body and answering 204, in a process of its own. */
async function startBare(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const code = `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(204); res.end(); }); }).listen(${port}, '127.0.0.1', () => console.log('ready'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return { url: `http://127.0.0.1:${port}`, child };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs the generator against `url`; samples the target's processes (RSS, CPU) meanwhile. */
async function load(url: string, rate: number, cid: string, run: number, pid: number) {
  const tree = () => processTree(pid);
  const rss = () => tree().reduce((s, p) => s + (procStatusKb(p, 'VmRSS') ?? 0), 0);
  const cpu = () => tree().reduce((s, p) => s + (cpuSeconds(p)?.own ?? 0), 0);
  const rssStart = rss();
  let rssPeak = rssStart;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rss());
  }, 250);
  // CPU over the measured window: the target's, the generator's, and the rest of the machine's
  // (other work on a shared machine: a busy neighbour shows here, and in the bare server's figures).
  const marks: { target: number; generator: number; machine: number }[] = [];
  const mark = () =>
    marks.push({
      target: cpu(),
      generator: cpuSeconds(child.pid as number)?.own ?? Number.NaN,
      machine: machineBusySeconds(),
    });
  const windowTimer = setTimeout(mark, Number(flags.warmup) * 1000);
  const endTimer = setTimeout(mark, (Number(flags.warmup) + Number(flags.seconds)) * 1000);
  const child = spawn(
    process.execPath,
    [
      SELF,
      '--load',
      url,
      '--rate',
      String(rate),
      '--cid',
      cid,
      '--run',
      String(run),
      '--seconds',
      String(flags.seconds),
      '--warmup',
      String(flags.warmup),
      '--interval',
      String(flags.interval),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  await new Promise((r) => child.once('exit', r));
  clearInterval(sampler);
  clearTimeout(windowTimer);
  clearTimeout(endTimer);
  const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult;
  const [from, to] = marks;
  const cores = (k: 'target' | 'generator' | 'machine') =>
    from && to ? (to[k] - from[k]) / Number(flags.seconds) : Number.NaN;
  return {
    ...result,
    rssStartMb: rssStart / 1024,
    rssPeakMb: rssPeak / 1024,
    rssEndMb: rss() / 1024,
    cpuCores: cores('target'),
    generatorCores: cores('generator'),
    otherCores: cores('machine') - cores('target') - cores('generator'),
  };
}

async function main(): Promise<void> {
  const rates = String(flags.rates).split(',').map(Number);
  const runs = Number(flags.runs);
  const serve = await startServe();
  const bare = await startBare();
  const idleMb =
    processTree(serve.child.pid as number).reduce((s, p) => s + (procStatusKb(p, 'VmRSS') ?? 0), 0) / 1024;
  const processes = processTree(serve.child.pid as number).length;
  console.error(`serve: ${processes} processes, ${fmt(idleMb, 0)} MB idle; bare node:http for reference`);
  const rows: string[][] = [];
  try {
    let run = 0;
    for (const rate of rates) {
      const ours: Awaited<ReturnType<typeof load>>[] = [];
      const theirs: Awaited<ReturnType<typeof load>>[] = [];
      for (let i = 0; i < runs; i++) {
        run++;
        // A shared machine: start each run when the others are quiet (up to three minutes’ wait).
        await waitForQuiet(0.3);
        const a = await load(serve.url, rate, serve.cid, run, serve.child.pid as number);
        ours.push(a);
        console.error(
          `${rate}/s run ${i + 1}, framehouse: ${fmt(a.achieved, 0)}/s, p50 ${a.p50} p95 ${a.p95} p99 ${a.p99} max ${a.max} ms (from send ${a.sendP50} / ${a.sendP95} / ${a.sendP99}), errors ${a.errors}, ${fmt(a.cpuCores)} cores (generator ${fmt(a.generatorCores)}, others ${fmt(a.otherCores)}), RSS ${fmt(a.rssPeakMb, 0)} MB, generator lag p99 ${fmt(a.lagP99, 1)} ms ${JSON.stringify(a.statuses)}`,
        );
        await waitForQuiet(0.3);
        const b = await load(bare.url, rate, 'bare', run, bare.child.pid as number);
        theirs.push(b);
        console.error(
          `${rate}/s run ${i + 1}, bare node:http: ${fmt(b.achieved, 0)}/s, p50 ${b.p50} p95 ${b.p95} p99 ${b.p99} ms (from send ${b.sendP50} / ${b.sendP95} / ${b.sendP99}), ${fmt(b.cpuCores)} cores (others ${fmt(b.otherCores)})`,
        );
      }
      type Run = (typeof ours)[number];
      const m = (xs: Run[], pick: (r: Run) => number) => median(xs.map(pick));
      const trio = (xs: Run[], a: keyof Run, b: keyof Run, c: keyof Run) =>
        `${m(xs, (r) => r[a] as number)} / ${m(xs, (r) => r[b] as number)} / ${m(xs, (r) => r[c] as number)}`;
      const p95 = m(ours, (r) => r.p95);
      const bareP95 = m(theirs, (r) => r.p95);
      const achieved = m(ours, (r) => r.achieved);
      rows.push([
        `${rate}/s`,
        fmt(achieved, 0),
        trio(ours, 'p50', 'p95', 'p99'),
        trio(ours, 'sendP50', 'sendP95', 'sendP99'),
        String(m(ours, (r) => r.errors)),
        fmt(m(ours, (r) => r.cpuCores)),
        `${fmt(
          m(ours, (r) => r.rssStartMb),
          0,
        )} / ${fmt(
          m(ours, (r) => r.rssPeakMb),
          0,
        )}`,
        trio(theirs, 'p50', 'p95', 'p99'),
        fmt(m(theirs, (r) => r.cpuCores)),
        bareP95 > 0 ? `${fmt(p95 / bareP95, 1)}×` : '–',
        fmt(m(ours, (r) => r.otherCores)),
        p95 <= 20 && achieved >= rate * 0.98 ? 'yes' : 'no',
      ]);
    }
  } finally {
    await Promise.all([stop(serve.child), stop(bare.child)]);
    rmSync(serve.dir, { recursive: true, force: true });
  }
  const table = {
    head: [
      'offered',
      'answered/s',
      'p50 / p95 / p99 (ms)',
      'from send (ms)',
      'errors',
      'server CPU (cores)',
      'server RSS start / peak (MB)',
      'bare node:http p50 / p95 / p99 (ms)',
      'bare CPU (cores)',
      'p95 ratio',
      'other work on the machine (cores)',
      'goal met (p95 ≤ 20 ms)',
    ],
    rows,
  };
  console.log(
    `\nQoE ingest: one CMCD report per POST, open loop, ${flags.seconds} s measured after ${flags.warmup} s, medians of ${runs} runs (serve on SQLite, ${processes} processes, ${fmt(idleMb, 0)} MB idle)\n`,
  );
  console.log(textTable(table));
  console.log(`\n${markdownTable(table)}`);
}

// Last: the constants above are initialised by now.
if (flags.load) await generate(flags.load);
else await main();
