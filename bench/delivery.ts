/**
 * `npm run bench:delivery`
 *
 * Issue 14, Part 1: how fast the playback origin serves a cached 1080p segment, against nginx
 * serving the same bytes from a file (2 workers, sendfile: the reference of
 * /work/shared/measure/p4-delivery, which this measures the same way). A fresh `framehouse
 * serve` (or BENCH_URL's), a 12 s 1080p clip uploaded and its whole ladder waited for; then the
 * first segment of the first variant of the master playlist, `wrk -t2 -c32 -d6s`, Framehouse and
 * nginx alternated (A B A B A B) so a drift in the machine's load hits both alike, medians of 3.
 * Two more rows the same way: a byte range of that segment (the first MiB), and the segment as
 * signed playback (with its token; nginx, which cannot check tokens, serves the plain file).
 * Then the server's RSS idle (before any load) and after it, and its peak (VmHWM).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BENCH_DIR,
  log,
  measureClip,
  originMemoryMb,
  originTreeMemoryMb,
  startOrigin,
  uploadAndWait,
} from './origin.ts';
import { fmt, markdownTable, type Table, textTable } from './table.ts';
import { freePort, median } from './util.ts';
import { type WrkResult, wrk } from './wrk.ts';

const ROUNDS = 3;
const SECONDS = 6;
const RANGE = 'bytes=0-1048575';

const origin = await startOrigin();
const tmp = await mkdtemp(join(BENCH_DIR, 'delivery-'));
let nginx: ChildProcess | undefined;
try {
  log('a 12 s 1080p clip: uploading, waiting for the whole ladder…');
  const asset = await uploadAndWait(origin, await measureClip(1920, 1080, 12));
  await sleep(2000);
  const idleMb = originMemoryMb(origin, 'VmRSS');

  // The first variant of the master playlist, its first media segment (as p4-delivery picks it).
  const masterUrl = new URL(asset.hls, origin.base);
  const firstUri = (text: string) =>
    text
      .split('\n')
      .find((l) => l.trim() && !l.startsWith('#'))
      ?.trim() ?? '';
  const variantUrl = new URL(firstUri(await (await fetch(masterUrl)).text()), masterUrl);
  const segmentUrl = new URL(firstUri(await (await fetch(variantUrl)).text()), variantUrl);
  const res = await fetch(segmentUrl);
  if (!res.ok) throw new Error(`the segment answered ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  log(`segment ${segmentUrl.pathname}: ${(bytes.length / 1e6).toFixed(2)} MB`);

  // nginx serving the same bytes from a file, configured as p4-delivery configures it.
  const www = join(tmp, 'www');
  await mkdir(www);
  await writeFile(join(www, 'seg.m4s'), bytes);
  // Run as root, nginx's workers are `nobody`: they must be able to read the file.
  for (const [p, mode] of [
    [tmp, 0o755],
    [www, 0o755],
    [join(www, 'seg.m4s'), 0o644],
  ] as const)
    await chmod(p, mode);
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
    (k) => `${k}_temp_path ${join(tmp, `tmp-${k}`)};`,
  );
  await writeFile(
    join(tmp, 'nginx.conf'),
    `daemon off; worker_processes 2; pid ${join(tmp, 'nginx.pid')}; error_log ${join(tmp, 'nginx.err')};
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; ${temp.join(' ')}
  server { listen 127.0.0.1:${port}; root ${www}; } }
`,
  );
  // Debian puts nginx in /usr/sbin, which is not on an unprivileged user's PATH.
  const bin = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  nginx = spawn(bin, ['-p', tmp, '-c', join(tmp, 'nginx.conf'), '-e', join(tmp, 'nginx.err')], {
    stdio: 'ignore',
  });
  const nginxUrl = `http://127.0.0.1:${port}/seg.m4s`;
  for (let i = 0; ; i++) {
    const r = await fetch(nginxUrl).catch(() => undefined);
    if (r?.ok && Buffer.from(await r.arrayBuffer()).equals(bytes)) break;
    if (i > 50 || nginx.exitCode !== null) throw new Error('nginx does not serve the segment');
    await sleep(100);
  }

  /** A B A B A B: Framehouse, then nginx, each round; medians. Checks the answers first. */
  const pair = async (label: string, ours: string, headers: Record<string, string> = {}) => {
    for (const url of [ours, nginxUrl]) {
      const r = await fetch(url, { headers });
      const body = Buffer.from(await r.arrayBuffer());
      const want = headers.range ? bytes.subarray(0, 1048576) : bytes;
      if (!r.ok || !body.equals(want))
        throw new Error(`${label}: ${url} answered ${r.status}, not the bytes`);
    }
    const a: WrkResult[] = [];
    const b: WrkResult[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      a.push(await wrk(ours, { seconds: SECONDS, headers }));
      b.push(await wrk(nginxUrl, { seconds: SECONDS, headers }));
      log(
        `${label}, round ${i + 1}: Framehouse ${fmt(a.at(-1)?.rps ?? 0, 0)} req/s, nginx ${fmt(b.at(-1)?.rps ?? 0, 0)} req/s`,
      );
    }
    const bad = [...a, ...b].filter((r) => r.non2xx > 0);
    if (bad.length) throw new Error(`${label}: answers that were not 2xx during the load`);
    const errors = [...a, ...b].reduce((s, r) => s + r.socketErrors, 0);
    if (errors) log(`${label}: ${errors} socket errors (wrk)`);
    const [x, y] = [median(a.map((r) => r.rps)), median(b.map((r) => r.rps))];
    return {
      x,
      y,
      ratio: x / y,
      runs: `${a.map((r) => fmt(r.rps, 0)).join(' ')} / ${b.map((r) => fmt(r.rps, 0)).join(' ')}`,
    };
  };

  const whole = await pair('segment', segmentUrl.href);
  const range = await pair('range', segmentUrl.href, { range: RANGE });

  // Signed playback of the same segment: the policy turned to signed, one token for the load.
  const auth = { authorization: `Bearer ${origin.key}`, 'content-type': 'application/json' };
  await fetch(`${origin.base}/v1/assets/${asset.id}`, {
    method: 'PATCH',
    headers: auth,
    body: JSON.stringify({ playback_policy: 'signed' }),
  });
  const minted = (await (
    await fetch(`${origin.base}/v1/playback-tokens`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ playback_id: asset.playbackId, expires_in: 3600 }),
    })
  ).json()) as { data: { token: string } };
  const signedUrl = `${segmentUrl.href}?token=${minted.data.token}`;
  const signed = await pair('signed', signedUrl);

  const afterMb = originMemoryMb(origin, 'VmRSS');
  const peakMb = originMemoryMb(origin, 'VmHWM');
  const afterAll = originTreeMemoryMb(origin, 'VmRSS');
  const mb = (x: number) => (Number.isFinite(x) ? `${fmt(x, 0)} MB` : '–');
  const size = `${(bytes.length / 1e6).toFixed(1)} MB`;
  const rps = (x: number) => `${fmt(x, 0)} req/s`;
  const table: Table = {
    head: ['path', 'Framehouse', 'reference', 'ratio', 'goal'],
    rows: [
      [
        `a cached ${size} 1080p segment, \`wrk -c32\``,
        rps(whole.x),
        `nginx ${rps(whole.y)}, same file`,
        fmt(whole.ratio),
        '≥ 0.5',
      ],
      [`the same, \`Range: ${RANGE}\``, rps(range.x), `nginx ${rps(range.y)}`, fmt(range.ratio), '—'],
      [
        'the same, signed playback (token checked)',
        rps(signed.x),
        `nginx ${rps(signed.y)} (no token)`,
        fmt(signed.ratio),
        '—',
      ],
      [
        'RSS of `serve`, idle / after that load (peak)',
        `${mb(idleMb)} / ${mb(afterMb)} (${mb(peakMb)})`,
        '—',
        '—',
        '≤ 150 MB idle',
      ],
      [`RSS of all ${afterAll.processes} HTTP processes after that load`, mb(afterAll.mb), '—', '—', '—'],
    ],
  };
  log(`runs (Framehouse / nginx req/s): segment ${whole.runs}; range ${range.runs}; signed ${signed.runs}`);
  process.stdout.write(
    `\nDelivery, medians of ${ROUNDS} alternated runs of wrk -t2 -c32 -d${SECONDS}s\n\n${textTable(table)}\n\n${markdownTable(table)}\n`,
  );
} finally {
  if (nginx && nginx.exitCode === null) {
    const gone = new Promise((r) => nginx?.once('exit', r));
    nginx.kill('SIGTERM');
    await gone;
  }
  await origin.stop();
  await rm(tmp, { recursive: true, force: true });
}
