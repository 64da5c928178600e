/**
 * `npm run bench [-- --runs N | --quick | --no-strategy-a | --server-log]`
 *
 * The two targets, as ratios against raw ffmpeg measured in the same run, because on a
 * shared, noisy machine only a ratio of neighbouring measurements means anything:
 *   P1 = (t_all − t_upload_start) ÷ t_raw     wall time from the start of the upload until every
 *        rung is ready, over one raw ffmpeg command producing the same rungs     (target ≤ 1.05)
 *   P2 = (t_ready − t_upload_done) ÷ D        from the 202 answer until the asset is playable,
 *        over the clip's duration                                               (target ≤ 0.30)
 * plus the server's peak RSS. Raw and server runs alternate (raw, server, raw, server…) so that
 * drift in the machine's load hits both alike; each P1 pairs a server run with the raw run just
 * before it, and the medians are the medians of those per-run figures.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureClip } from './clip.ts';
import { planSource, timeRawLadder, timeStrategyA } from './raw.ts';
import { type ServerRun, serverRun } from './server.ts';
import { fmt, markdownTable, mb, type Table, textTable } from './table.ts';
import { FFMPEG, median } from './util.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'no-strategy-a': { type: 'boolean', default: false },
    'server-log': { type: 'boolean', default: false },
  },
});
const quick = flags.quick ?? false;
const runs = quick ? 1 : Number(flags.runs ?? 3);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs wants a positive integer, got ${flags.runs}`);
const clipSeconds = quick ? 5 : 20;
const withStrategyA = !flags['no-strategy-a'];

const benchDir = fileURLToPath(new URL('../.bench/', import.meta.url));
const tmpRoot = `${benchDir}tmp`;
// Same filesystem as the clip for both sides: neither pays for a slower disk than the other.
await rm(tmpRoot, { recursive: true, force: true });
await mkdir(tmpRoot, { recursive: true });

const log = (s: string) => process.stderr.write(`${s}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadBefore = load();
const startedAt = new Date();

log(`clip: ${clipSeconds} s 1080p30 in ${benchDir}`);
const clip = await ensureClip(benchDir, clipSeconds);
const src = await planSource(clip);
const D = src.info.duration;
log(
  `ladder: ${src.plan.video.map((r) => r.name).join(' ')}${src.plan.audio ? ' + audio' : ''}; ${runs} run(s)`,
);

interface Round {
  raw: { wall: number; cpu: number };
  server: ServerRun;
  a: { lowest: number; rest: number } | null;
}
const rounds: Round[] = [];
for (let i = 1; i <= runs; i++) {
  const raw = await timeRawLadder(src, tmpRoot);
  log(`run ${i}/${runs}: raw ffmpeg ${fmt(raw.wall)} s`);
  const logFile = flags['server-log'] ? `${benchDir}server-run${i}.log` : undefined;
  const server = await serverRun({ clip, duration: D, tmpRoot, logFile });
  log(
    `run ${i}/${runs}: server all rungs ${fmt((server.all - server.uploadStart) / 1000)} s, ` +
      `playable ${fmt((server.ready - server.uploadDone) / 1000)} s after upload`,
  );
  const a = withStrategyA ? await timeStrategyA(src, tmpRoot) : null;
  if (a) log(`run ${i}/${runs}: strategy (a) ${fmt(a.lowest)} s + ${fmt(a.rest)} s`);
  rounds.push({ raw, server, a });
}
const loadAfter = load();
await rm(tmpRoot, { recursive: true, force: true });

// ---- figures per run -------------------------------------------------------------------------
const s = (ms: number) => ms / 1000;
const per = rounds.map(({ raw: { wall: raw, cpu: rawCpu }, server: v, a }) => {
  const all = s(v.all - v.uploadStart);
  const ready = s(v.ready - v.uploadDone);
  const probe = s(v.processing - v.uploadDone);
  return {
    raw,
    all,
    upload: s(v.uploadDone - v.uploadStart),
    ready,
    P1: all / raw,
    P2: ready / D,
    hwm: v.hwmKb,
    rss: v.maxRssKb,
    tree: v.maxTreeKb,
    probe,
    transcode: s(v.transcodeEnd - v.processing),
    after: s(v.all - v.transcodeEnd),
    rawCpu,
    cpuChildren: v.cpuChildren,
    cpuServer: v.cpuServer,
    cpuBench: v.cpuBench,
    a: a && {
      lowest: a.lowest,
      rest: a.rest,
      P1: (a.lowest + a.rest) / raw,
      P2: a.lowest / D,
      // What P2 would be with this server's own upload→probe time in front of the first pass.
      P2server: (probe + a.lowest) / D,
    },
  };
});
type Per = (typeof per)[number];

/** A row: label, then each run, then the median of the runs, then the target. */
const row = (label: string, get: (p: Per) => number, show: (x: number) => string, target = ''): string[] => {
  const xs = per.map(get);
  return [label, ...xs.map(show), show(median(xs)), target];
};
const head = ['', ...per.map((_, i) => `run ${i + 1}`), 'median', 'target'];
const sec = (x: number) => fmt(x, 2);
const ratio = (x: number) => fmt(x, 3);
const mbs = (x: number) => mb(x);

const main: Table = {
  head,
  rows: [
    row('raw ffmpeg, one pass, all rungs (s)', (p) => p.raw, sec),
    row('raw encode speed (× realtime)', (p) => D / p.raw, sec),
    row('server: upload start → all rungs ready (s)', (p) => p.all, sec),
    row('**P1** = all rungs ÷ raw', (p) => p.P1, ratio, '≤ 1.05'),
    row('server: upload done → first playable (s)', (p) => p.ready, sec),
    row(`**P2** = first playable ÷ clip (${fmt(D, 1)} s)`, (p) => p.P2, ratio, '≤ 0.30'),
    row('peak RSS, server process, VmHWM (MB)', (p) => p.hwm, mbs),
    row('peak RSS, server process, sampled (MB)', (p) => p.rss, mbs),
    row('peak RSS, server + ffmpeg, sampled (MB)', (p) => p.tree, mbs),
  ],
};
// No targets here: these rows explain P1 and P2, they are not goals of their own.
const breakdown: Table = {
  head: head.slice(0, -1),
  rows: [
    row('upload (POST until 202)', (p) => p.upload, sec),
    row('queue + hash + probe (until asset.processing)', (p) => p.probe, sec),
    row('transcode (until the final master playlist)', (p) => p.transcode, sec),
    row('  ÷ raw ffmpeg', (p) => p.transcode / p.raw, ratio),
    row('after ffmpeg (storyboard, poster, finish)', (p) => p.after, sec),
    row('total = upload start → all rungs ready', (p) => p.all, sec),
    row('CPU: raw ffmpeg', (p) => p.rawCpu, sec),
    row("CPU: server's ffmpeg/ffprobe children", (p) => p.cpuChildren, sec),
    row('CPU: server process (Node)', (p) => p.cpuServer, sec),
    row('CPU: this bench while the server ran', (p) => p.cpuBench, sec),
  ].map((r) => r.slice(0, -1)),
};
const hasA = per.every((p) => p.a);
const strategyA: Table = {
  head,
  rows: hasA
    ? [
        row('pass 1: lowest rung + audio (s)', (p) => p.a?.lowest ?? Number.NaN, sec),
        row('pass 2: other rungs, split (s)', (p) => p.a?.rest ?? Number.NaN, sec),
        row('P1(a) = (pass 1 + pass 2) ÷ raw', (p) => p.a?.P1 ?? Number.NaN, ratio, '≤ 1.05'),
        row('P2(a) = pass 1 ÷ clip', (p) => p.a?.P2 ?? Number.NaN, ratio, '≤ 0.30'),
        row('P2(a) + server upload→probe time', (p) => p.a?.P2server ?? Number.NaN, ratio, '≤ 0.30'),
      ]
    : [],
};

// ---- the machine -----------------------------------------------------------------------------
const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
};
const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
const nproc = sh('nproc', []) === '?' ? String(availableParallelism()) : sh('nproc', []);
const ffmpegVersion = /ffmpeg version (\S+)/.exec(sh(FFMPEG, ['-version']))?.[1] ?? '?';
const machine =
  `${cpu}, nproc ${nproc}, ffmpeg ${ffmpegVersion}, Node ${process.version}, ` +
  `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, load average ${loadBefore} before / ${loadAfter} after`;
const ladder = `${src.plan.video.map((r) => r.name).join(', ')}${src.plan.audio ? ' + AAC' : ''}`;
const setup =
  `${fmt(D, 1)} s 1080p30 clip (testsrc2 + sine, H.264 8 Mb/s), ladder ${ladder}, x264 veryfast; ` +
  `${runs} run${runs > 1 ? 's' : ''}, raw and server alternated, one worker; medians of per-run ratios`;

const out: string[] = [];
out.push('', `Framehouse benchmark — ${setup}`, `Machine: ${machine}`, '', textTable(main), '');
out.push('Where the server time goes (s):', textTable(breakdown), '');
if (hasA) {
  out.push(
    'Strategy (a) for comparison: lowest rung first, then the rest in one split pass (raw ffmpeg only):',
  );
  out.push(textTable(strategyA), '');
}
const md = [
  markdownTable(main),
  '',
  `*${setup}. Machine: ${machine}. P1 pairs each server run with the raw ffmpeg run just before it.*`,
];
if (hasA) {
  md.push('', 'Strategy (a) (lowest rung first, then the rest), measured with raw ffmpeg only:', '');
  md.push(markdownTable(strategyA));
}
out.push('<!-- bench:begin (paste into README.md) -->', ...md, '<!-- bench:end -->', '');
const report = out.join('\n');
process.stdout.write(report);

await writeFile(`${benchDir}last-run.txt`, report);
await writeFile(
  `${benchDir}last-run.json`,
  JSON.stringify({ machine, setup, clipSeconds: D, rounds }, null, 2),
);
log(`(also written to ${benchDir}last-run.txt and last-run.json)`);
