/**
 * `npm run bench:edge`
 *
 * Issue 14's edge figures, in one run on this machine:
 * - cache hits of one 1080p segment through `framehouse edge` vs nginx `proxy_cache` in front of
 *   the same origin, `wrk -t2 -c32`, alternated, medians of 3 (goal ≥ 0.5×);
 * - origin requests for 100 concurrent misses of one object (goal 1), nginx (proxy_cache_lock)
 *   beside it;
 * - failed client requests while one of two origins is killed under 200 connections (goal 0;
 *   needs DATABASE_URL, as two `api` origins share PostgreSQL and an S3 bucket);
 * - the disk cache's largest size on disk while 40 objects go through a 20 MB cap;
 * - the edge's RSS idle and after the load.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { openTestDatabase, POSTGRES_URL } from '../src/db/test-databases.ts';
import { directoryBytes } from '../src/edge/disk-store.ts';
import { makeClip } from '../test/fixtures/media.ts';
import { countingProxy, spawnEdge } from '../test/helpers/edge.ts';
import { exited, spawnServe } from '../test/helpers/processes.ts';
import { startS3 } from '../test/helpers/s3.ts';
import { ensureClip } from './clip.ts';
import { fmt, markdownTable, textTable } from './table.ts';
import { freePort, median, procStatusKb } from './util.ts';

const log = (s: string) => process.stderr.write(`${s}\n`);
const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, '.bench');
await mkdir(benchDir, { recursive: true });
const work = await mkdtemp(join(benchDir, 'edge-'));
const KEY = 'fh_bench_edge_admin_key_0123456789';
const cleanups: Array<() => Promise<unknown> | unknown> = [];
const cleanup = async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  await rm(work, { recursive: true, force: true });
};

async function waitReady(base: string, id: string, headers: Record<string, string> = {}) {
  for (;;) {
    const a = (await (await fetch(`${base}/v1/assets/${id}`, { headers })).json()) as {
      data: { status: string; progress: number; playback_ids: { id: string }[] };
    };
    if (a.data.status === 'errored') throw new Error('the bench clip failed to process');
    if (a.data.status === 'ready' && a.data.progress === 1) return a.data;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function upload(base: string, file: string, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', await openAsBlob(file), 'clip.mp4');
  const res = await fetch(`${base}/v1/assets`, { method: 'POST', body: form, headers });
  if (res.status !== 202) throw new Error(`upload: ${res.status}`);
  const { id } = ((await res.json()) as { data: { id: string } }).data;
  return waitReady(base, id, headers);
}

function wrk(url: string): number {
  const out = execFileSync('wrk', ['-t2', '-c32', '-d6s', url], { encoding: 'utf8' });
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx answers from ${url}: ${out}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
}

try {
  // The origin: `framehouse serve`, a 12 s 1080p clip transcoded for real.
  const origin = await spawnServe({
    FRAMEHOUSE_DATA_DIR: join(work, 'origin'),
    FRAMEHOUSE_ADMIN_API_KEY: KEY,
    FRAMEHOUSE_LOG_LEVEL: 'warn',
  });
  cleanups.push(async () => {
    origin.child.kill('SIGKILL');
    await exited(origin.child);
  });
  log(`origin ${origin.url}; transcoding a 12 s 1080p clip…`);
  const asset = await upload(origin.url, await ensureClip(benchDir, 12), { authorization: `Bearer ${KEY}` });
  const pid = asset.playback_ids[0]?.id ?? '';
  const seg = `/play/${pid}/1080p/seg_00001.m4s`;
  const size = (await (await fetch(`${origin.url}${seg}`)).arrayBuffer()).byteLength;
  if (!size) throw new Error('no 1080p segment');

  // The edge and nginx, each with a counting proxy before the origin (origin requests seen from outside).
  const edgeOrigin = await countingProxy(origin.url);
  const nginxOrigin = await countingProxy(origin.url);
  cleanups.push(
    () => edgeOrigin.close(),
    () => nginxOrigin.close(),
  );
  const edge = await spawnEdge(
    [
      '--origin',
      edgeOrigin.url,
      '--cache-dir',
      join(work, 'edge-cache'),
      '--cache-size',
      '2GB',
      '--api-key',
      KEY,
    ],
    { FRAMEHOUSE_LOG_LEVEL: 'warn' },
  );
  cleanups.push(() => edge.stop('SIGKILL'));
  await new Promise((r) => setTimeout(r, 1500));
  const idleRssKb = procStatusKb(edge.child.pid ?? 0, 'VmRSS') ?? Number.NaN;

  const nginxPort = await freePort();
  const nginxConf = join(work, 'nginx.conf');
  await mkdir(join(work, 'nginx-cache'), { recursive: true });
  await writeFile(
    nginxConf,
    `user root; worker_processes 2; pid ${work}/nginx.pid; error_log ${work}/nginx.err; daemon on;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on;
  proxy_cache_path ${work}/nginx-cache levels=1:2 keys_zone=fh:10m max_size=2g inactive=1h use_temp_path=off;
  upstream origin { server ${new URL(nginxOrigin.url).host}; keepalive 32; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache fh;
      proxy_cache_key $uri$is_args$args;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 30s;
      proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
      add_header Cache-Status $upstream_cache_status;
    }
  }
}
`,
  );
  execFileSync('nginx', ['-c', nginxConf]);
  cleanups.push(() => spawnSync('nginx', ['-c', nginxConf, '-s', 'stop']));
  const nginxUrl = `http://127.0.0.1:${nginxPort}`;

  // Warm both, then alternate.
  for (const base of [edge.url, nginxUrl])
    for (let i = 0; i < 3; i++) await fetch(`${base}${seg}`).then((r) => r.arrayBuffer());
  const hitEdge = (await fetch(`${edge.url}${seg}`)).headers.get('cache-status');
  const hitNginx = (await fetch(`${nginxUrl}${seg}`)).headers.get('cache-status');
  log(`segment ${size} B; edge says "${hitEdge}", nginx says "${hitNginx}"`);
  const edgeRps: number[] = [];
  const nginxRps: number[] = [];
  for (let i = 0; i < 3; i++) {
    edgeRps.push(wrk(`${edge.url}${seg}`));
    nginxRps.push(wrk(`${nginxUrl}${seg}`));
    log(`run ${i + 1}: edge ${fmt(edgeRps[i] ?? 0, 0)} req/s, nginx ${fmt(nginxRps[i] ?? 0, 0)} req/s`);
  }
  const loadedRssKb = procStatusKb(edge.child.pid ?? 0, 'VmRSS') ?? Number.NaN;

  // 100 concurrent misses of one object (another segment, never asked before).
  const missPath = `/play/${pid}/1080p/seg_00002.m4s`;
  const burst = async (base: string) => {
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => fetch(`${base}${missPath}`).then(async (r) => r.status)),
    );
    if (answers.some((s) => s !== 200)) throw new Error(`misses answered ${answers.join(',')}`);
  };
  await burst(edge.url);
  await burst(nginxUrl);
  const edgeMissRequests = edgeOrigin.count(missPath);
  const nginxMissRequests = nginxOrigin.count(missPath);

  // The cap: 40 objects of a segment's size (query variants) through 20 MB, 8 at a time.
  const capDir = join(work, 'cap-cache');
  const cap = 20 * 1024 * 1024;
  const capped = await spawnEdge(['--origin', origin.url, '--cache-dir', capDir, '--cache-size', '20MB'], {
    FRAMEHOUSE_LOG_LEVEL: 'warn',
  });
  cleanups.push(() => capped.stop('SIGKILL'));
  let worst = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      worst = Math.max(worst, await directoryBytes(capDir).catch(() => 0));
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  for (let batch = 0; batch < 5; batch++) {
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        fetch(`${capped.url}${seg}?time=${batch * 8 + i}`).then((r) => r.arrayBuffer()),
      ),
    );
  }
  sampling = false;
  await sampler;
  await capped.stop();

  // Failover: two api origins on PostgreSQL + S3, one killed under 200 connections.
  let failover: { ok: number; failed: number } | null = null;
  if (POSTGRES_URL) {
    log('failover: 2 api + 1 worker on PostgreSQL + S3…');
    const db = await openTestDatabase('postgres');
    const s3 = await startS3();
    cleanups.push(
      () => db.close(),
      () => s3.stop(),
    );
    const start = async (role: 'api' | 'worker') => {
      const p = await spawnServe(
        {
          DATABASE_URL: db.url,
          STORAGE_URL: s3.url,
          FRAMEHOUSE_DATA_DIR: await mkdtemp(join(work, `${role}-`)),
          FRAMEHOUSE_LOG_LEVEL: role === 'worker' ? 'info' : 'warn',
        },
        role,
      );
      cleanups.push(async () => {
        p.child.kill('SIGKILL');
        await exited(p.child);
      });
      return p;
    };
    const [api1, api2] = [await start('api'), await start('api')];
    await start('worker');
    const small = await upload(
      api1.url,
      await makeClip(work, { name: 'f', width: 640, height: 360, seconds: 6 }),
    );
    const fpid = small.playback_ids[0]?.id ?? '';
    const both = await spawnEdge(
      ['--origin', api1.url, '--origin', api2.url, '--cache-dir', join(work, 'failover-cache')],
      { FRAMEHOUSE_LOG_LEVEL: 'warn' },
    );
    cleanups.push(() => both.stop('SIGKILL'));
    const dispatcher = new Agent({ connections: 200 });
    let ok = 0;
    let failed = 0;
    let stop = false;
    let n = 0;
    // Half the viewers ask for cached segments, half for new objects (each goes to an origin).
    const viewer = async (miss: boolean) => {
      while (!stop && failed < 10_000) {
        const path = `/play/${fpid}/360p/seg_0000${n % 2}.m4s${miss ? `?time=${n}` : ''}`;
        n++;
        try {
          const res = await request(`${both.url}${path}`, {
            dispatcher,
            headersTimeout: 20_000,
            bodyTimeout: 20_000,
          });
          await res.body.arrayBuffer();
          if (res.statusCode === 200) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    };
    const viewers = Array.from({ length: 200 }, (_, i) => viewer(i % 2 === 0));
    await new Promise((r) => setTimeout(r, 3000));
    api1.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 4000));
    stop = true;
    await Promise.all(viewers);
    await dispatcher.close();
    failover = { ok, failed };
  } else log('failover skipped: set DATABASE_URL=postgres://… (two api origins share PostgreSQL)');

  const e = median(edgeRps);
  const g = median(nginxRps);
  const table = {
    head: ['edge (this run)', 'framehouse edge', 'nginx proxy_cache', 'ratio', 'goal'],
    rows: [
      [
        `cache hits, one ${(size / 1024 / 1024).toFixed(1)} MB 1080p segment, \`wrk -c32\``,
        `${fmt(e, 0)} req/s`,
        `${fmt(g, 0)} req/s`,
        `**${fmt(e / g)}**`,
        '≥ 0.5',
      ],
      [
        'origin requests for 100 concurrent misses',
        String(edgeMissRequests),
        String(nginxMissRequests),
        '',
        '1',
      ],
      [
        'failed requests, one of two origins killed under 200 connections',
        failover ? `${failover.failed} of ${failover.ok + failover.failed}` : 'skipped (no DATABASE_URL)',
        '',
        '',
        '0',
      ],
      [
        'disk at most, 40 objects through a 20 MB cap',
        `${(worst / 1024 / 1024).toFixed(1)} MB`,
        '',
        '',
        `≤ 20 MB + one object (${(size / 1024 / 1024).toFixed(1)} MB)`,
      ],
      [
        'edge RSS idle / after the hit load',
        `${fmt(idleRssKb / 1024, 0)} MB / ${fmt(loadedRssKb / 1024, 0)} MB`,
        '',
        '',
        '',
      ],
    ],
  };
  console.log(textTable(table));
  console.log(
    `\nedge req/s ${edgeRps.map((x) => fmt(x, 0)).join(', ')}; nginx req/s ${nginxRps.map((x) => fmt(x, 0)).join(', ')}`,
  );
  console.log(`\n${markdownTable(table)}`);
  if (worst > cap + size + 8192) process.exitCode = 1;
} finally {
  await cleanup();
}
