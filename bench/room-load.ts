/**
 * Live room load: N viewers holding the room's event stream (default 2,000, from one load
 * generator on plain node:http), 20 chat messages/s and 200 reactions/s for --seconds (default
 * 120), against one `framehouse serve` process on SQLite, then two `framehouse api` processes on
 * PostgreSQL (when DATABASE_URL points at one). Prints, per setup: delivery latency (message sent
 * → received, on every client), messages lost (every client must get every accepted message:
 * all are counted), reactions delivered, the server's RSS (start/peak/end) and event-loop delay.
 *
 *   node bench/room-load.ts [--seconds 120] [--viewers 2000] [--messages 20] [--reactions 200]
 *                           [--backend sqlite|postgres|both] [--cpu-prof DIR]
 *
 * Senders and viewers connect from many loopback addresses (127.0.0.x), as a crowd would: the
 * chat limits new guests per address.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, type IncomingMessage, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort, procStatusKb, serverDefaultsEnv } from './util.ts';

const BIN = new URL('../bin/framehouse.js', import.meta.url).pathname;
const PROBE = new URL('./event-loop-probe.ts', import.meta.url).pathname;
const ADMIN_KEY = 'room-bench-admin-key-0123456789abcdef';
const SENDERS = 100;

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    viewers: { type: 'string', default: '2000' },
    messages: { type: 'string', default: '20' },
    reactions: { type: 'string', default: '200' },
    backend: { type: 'string', default: 'both' },
    'cpu-prof': { type: 'string' },
  },
});
const SECONDS = Number(flags.seconds);
const VIEWERS = Number(flags.viewers);
const MESSAGE_RATE = Number(flags.messages);
const REACTION_RATE = Number(flags.reactions);

interface Server {
  urls: string[];
  pids: number[];
  loopFiles: string[];
  stop(): Promise<void>;
}

async function spawnServer(
  role: 'serve' | 'api',
  env: NodeJS.ProcessEnv,
  dir: string,
  index: number,
): Promise<{ child: ChildProcess; url: string; loopFile: string }> {
  const port = await freePort();
  const loopFile = join(dir, `loop-${index}.jsonl`);
  const args = ['--import', PROBE];
  if (flags['cpu-prof']) args.push('--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`);
  const child = spawn(process.execPath, [...args, BIN, role, '--host', '127.0.0.1'], {
    env: {
      ...env,
      PORT: String(port),
      FH_BENCH_LOOP_FILE: loopFile,
      FRAMEHOUSE_ADMIN_API_KEY: ADMIN_KEY,
      FRAMEHOUSE_LOG_LEVEL: 'warn',
      FRAMEHOUSE_ACCESS_LOG: 'errors',
      FRAMEHOUSE_RTMP_PORT: '0',
      FRAMEHOUSE_SRT_PORTS: 'off',
      FRAMEHOUSE_HTTP_PROCESSES: '1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${role} exited early`);
    const ok = await fetch(`${url}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return { child, url, loopFile };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${role} did not start`);
}

async function startSqlite(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'room-bench-'));
  const env = { ...serverDefaultsEnv(), FRAMEHOUSE_DATA_DIR: dir };
  const s = await spawnServer('serve', env, dir, 0);
  return {
    urls: [s.url],
    pids: [s.child.pid as number],
    loopFiles: [s.loopFile],
    async stop() {
      await stopChild(s.child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startPostgres(url: string): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'room-bench-'));
  const schema = `room_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const sep = url.includes('?') ? '&' : '?';
  const dbUrl = `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const env = { ...serverDefaultsEnv(), FRAMEHOUSE_DATA_DIR: dir, DATABASE_URL: dbUrl };
  // One after the other: the first migrates.
  const a = await spawnServer('api', env, dir, 0);
  const b = await spawnServer('api', env, dir, 1);
  return {
    urls: [a.url, b.url],
    pids: [a.child.pid as number, b.child.pid as number],
    loopFiles: [a.loopFile, b.loopFile],
    async stop() {
      await Promise.all([stopChild(a.child), stopChild(b.child)]);
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
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

/** A JSON request on an agent (a sender's own address), answered with its status and body. */
function call(
  url: string,
  method: string,
  body: unknown,
  opts: { agent?: Agent; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      {
        method,
        ...(opts.agent ? { agent: opts.agent } : {}),
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const loopback = (i: number) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

/** Latency histogram, 1 ms buckets up to a minute. */
const histogram = new Uint32Array(60_001);
let samples = 0;
function percentile(p: number): number {
  const target = Math.ceil((p / 100) * samples);
  let seen = 0;
  for (let ms = 0; ms < histogram.length; ms++) {
    seen += histogram[ms] as number;
    if (seen >= target) return ms;
  }
  return Number.NaN;
}

/** One viewer's event stream: which messages it got, reactions counted. */
class Viewer {
  got: Uint8Array;
  reactions = 0;
  snapshot = false;
  closed = false;
  res: IncomingMessage | null = null;
  #rest = '';

  constructor(total: number) {
    this.got = new Uint8Array(total);
  }

  open(url: string, localAddress: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(url, { agent: false, localAddress }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`events answered ${res.statusCode}`));
        this.res = res;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.#parse(chunk));
        res.on('close', () => {
          this.closed = true;
        });
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
  }

  #parse(chunk: string): void {
    const now = Date.now();
    const text = this.#rest + chunk;
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n\n', start);
      if (end < 0) break;
      const block = text.slice(start, end);
      start = end + 2;
      if (block.startsWith('event: message')) {
        const m = /"text":"bench (\d+) (\d+)"/.exec(block);
        if (m) {
          const seq = Number(m[1]);
          if (seq < this.got.length && !this.got[seq]) {
            this.got[seq] = 1;
            const ms = Math.min(60_000, Math.max(0, now - Number(m[2])));
            histogram[ms] = (histogram[ms] as number) + 1;
            samples++;
          }
        }
      } else if (block.startsWith('event: reactions')) {
        for (const m of block.matchAll(/":(\d+)/g)) this.reactions += Number(m[1]);
      } else if (block.startsWith('event: snapshot')) this.snapshot = true;
    }
    this.#rest = text.slice(start);
  }
}

interface Result {
  setup: string;
  viewers: number;
  sent: number;
  accepted: number;
  lost: number;
  p50: number;
  p99: number;
  max: number;
  reactionsSent: number;
  reactionsPerViewer: number;
  rssStart: number;
  rssPeak: number;
  rssEnd: number;
  loopP99: number;
  loopMax: number;
  connectSeconds: number;
}

async function run(setup: string, server: Server): Promise<Result> {
  histogram.fill(0);
  samples = 0;
  const [base] = server.urls as [string];
  const auth = { authorization: `Bearer ${ADMIN_KEY}` };
  const created = await call(`${base}/v1/live-streams`, 'POST', {}, { headers: auth });
  const stream = JSON.parse(created.body).data as { id: string; playback_ids: { id: string }[] };
  const playbackId = stream.playback_ids[0]?.id as string;
  const roomUrl = (i: number) => `${server.urls[i % server.urls.length]}/v1/rooms/${playbackId}`;

  const rss = () => server.pids.reduce((sum, pid) => sum + (procStatusKb(pid, 'VmRSS') ?? 0), 0);
  const rssStart = rss();
  let rssPeak = rssStart;
  const rssTimer = setInterval(() => {
    rssPeak = Math.max(rssPeak, rss());
  }, 250);

  // Senders: guests from addresses of their own, each on a keep-alive connection.
  const senders: { agent: Agent; token: string; url: string }[] = [];
  for (let i = 0; i < SENDERS; i++) {
    const agent = new Agent({ keepAlive: true, maxSockets: 2, localAddress: loopback(5000 + i) } as never);
    const url = roomUrl(i);
    const joined = await call(`${url}/viewers`, 'POST', { nickname: `sender ${i}` }, { agent });
    if (joined.status !== 201) throw new Error(`join answered ${joined.status}: ${joined.body}`);
    senders.push({
      agent,
      url,
      token: (JSON.parse(joined.body).data as { viewer_token: string }).viewer_token,
    });
  }

  const total = Math.ceil(SECONDS * MESSAGE_RATE) + 10;
  const viewers: Viewer[] = [];
  const c0 = Date.now();
  for (let i = 0; i < VIEWERS; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(VIEWERS, i + 100); j++) {
      const v = new Viewer(total);
      viewers.push(v);
      batch.push(v.open(`${roomUrl(j)}/events`, loopback(j)));
    }
    await Promise.all(batch);
  }
  for (let i = 0; i < 600 && viewers.some((v) => !v.snapshot); i++)
    await new Promise((r) => setTimeout(r, 100));
  const connectSeconds = (Date.now() - c0) / 1000;
  const missingSnapshot = viewers.filter((v) => !v.snapshot).length;
  if (missingSnapshot) console.error(`${missingSnapshot} viewers got no snapshot`);
  const loopFrom = Date.now();

  // Load: messages at MESSAGE_RATE from the senders in turn, reactions at REACTION_RATE.
  const reactionAgents = server.urls.map(() => new Agent({ keepAlive: true, maxSockets: 16 }));
  let seq = 0;
  let accepted = 0;
  let refused = 0;
  let reactionsSent = 0;
  const acceptedSeqs: number[] = [];
  const pending: Promise<unknown>[] = [];
  const started = Date.now();
  const tickMs = 50;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (Date.now() - started) / 1000;
      if (elapsed >= SECONDS) {
        clearInterval(timer);
        resolve();
        return;
      }
      const dueMessages = Math.floor(elapsed * MESSAGE_RATE) - seq + 1;
      for (let k = 0; k < dueMessages && seq < total; k++) {
        const n = seq++;
        const sender = senders[n % SENDERS] as (typeof senders)[number];
        pending.push(
          call(
            `${sender.url}/messages`,
            'POST',
            { text: `bench ${n} ${Date.now()}` },
            {
              agent: sender.agent,
              headers: { 'framehouse-viewer': sender.token },
            },
          ).then(
            (r) => {
              if (r.status === 201) {
                accepted++;
                acceptedSeqs.push(n);
              } else refused++;
            },
            () => refused++,
          ),
        );
      }
      const dueReactions = Math.floor(elapsed * REACTION_RATE) - reactionsSent;
      for (let k = 0; k < dueReactions; k++) {
        const i = reactionsSent++;
        const url = roomUrl(i);
        pending.push(
          call(
            `${url}/reactions`,
            'POST',
            { kind: 'heart', count: 1 },
            {
              agent: reactionAgents[i % reactionAgents.length] as Agent,
            },
          ).catch(() => {}),
        );
      }
    }, tickMs);
  });
  await Promise.all(pending);
  // What is in flight arrives within a poll or two: a few seconds is plenty.
  await new Promise((r) => setTimeout(r, 3000));
  const loopTo = Date.now();

  let lost = 0;
  for (const v of viewers) for (const n of acceptedSeqs) if (!v.got[n]) lost++;
  const closedEarly = viewers.filter((v) => v.closed).length;
  if (closedEarly) console.error(`${closedEarly} viewers' streams closed during the run`);
  const reactionsPerViewer = viewers.reduce((s, v) => s + v.reactions, 0) / viewers.length;
  const p50 = percentile(50);
  const p99 = percentile(99);
  let max = 0;
  for (let ms = histogram.length - 1; ms >= 0; ms--)
    if (histogram[ms]) {
      max = ms;
      break;
    }
  for (const v of viewers) v.res?.destroy();
  for (const s of senders) s.agent.destroy();
  for (const a of reactionAgents) a.destroy();
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(rssTimer);
  const rssEnd = rss();

  const loop = server.loopFiles.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { at: number; p99: number; max: number })
      .filter((l) => l.at >= loopFrom && l.at <= loopTo),
  );
  if (refused) console.error(`${refused} messages refused`);
  return {
    setup,
    viewers: VIEWERS,
    sent: seq,
    accepted,
    lost,
    p50,
    p99,
    max,
    reactionsSent,
    reactionsPerViewer,
    rssStart,
    rssPeak,
    rssEnd,
    loopP99: loop.length
      ? (loop.map((l) => l.p99).sort((a, b) => a - b)[Math.floor(loop.length * 0.99)] ?? 0)
      : Number.NaN,
    loopMax: loop.reduce((m, l) => Math.max(m, l.max), 0),
    connectSeconds,
  };
}

function print(results: Result[]): void {
  const mb = (kb: number) => `${(kb / 1024).toFixed(0)}`;
  console.log(
    `\nLive room load: ${VIEWERS} viewers, ${MESSAGE_RATE} messages/s, ${REACTION_RATE} reactions/s, ${SECONDS} s\n`,
  );
  console.log(
    '| setup | viewers connected in | messages accepted | lost (viewer × message) | latency p50 / p99 / max (ms) | reactions sent | reactions received per viewer | server RSS start / peak / end (MB) | event-loop delay p99 of 1 s windows / max (ms) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results)
    console.log(
      `| ${r.setup} | ${r.connectSeconds.toFixed(1)} s | ${r.accepted} / ${r.sent} | ${r.lost} | ${r.p50} / ${r.p99} / ${r.max} | ${r.reactionsSent} | ${r.reactionsPerViewer.toFixed(0)} | ${mb(r.rssStart)} / ${mb(r.rssPeak)} / ${mb(r.rssEnd)} | ${r.loopP99} / ${r.loopMax} |`,
    );
}

const results: Result[] = [];
if (flags.backend === 'sqlite' || flags.backend === 'both') {
  const server = await startSqlite();
  try {
    results.push(await run('1 × serve, SQLite', server));
  } finally {
    await server.stop();
  }
}
const pgUrl = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '')
  ? process.env.DATABASE_URL
  : undefined;
if (flags.backend === 'postgres' || (flags.backend === 'both' && pgUrl)) {
  if (!pgUrl) throw new Error('DATABASE_URL=postgres://… is needed for the PostgreSQL run');
  const server = await startPostgres(pgUrl);
  try {
    results.push(await run('2 × api, PostgreSQL', server));
  } finally {
    await server.stop();
  }
}
print(results);
