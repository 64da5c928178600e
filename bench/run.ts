/**
 * `npm run bench [-- --runs N | --quick | --server-log | --strategies auto,one-pass,lowest-first |
 *   --quiet-wait SECONDS | --max-others CORES | --retries N]`
 *
 * The issue's two targets, as ratios against raw ffmpeg measured in the same run, because on a
 * shared, noisy machine only a ratio of neighbouring measurements means anything:
 *   P1 = (t_all − t_upload_start) ÷ t_raw     wall time from the start of the upload until every
 *        rung is ready, over one raw ffmpeg command producing the same rungs     (target ≤ 1.08)
 *   P2 = (t_ready − t_upload_done) ÷ D        from the 202 answer until the asset is playable,
 *        over the clip's duration                                               (target ≤ 0.30)
 * plus the server's peak RSS, for each ladder strategy asked for (FRAMEHOUSE_LADDER_STRATEGY;
 * by default `auto`, the server's default, and `one-pass` beside it for reference). Each round runs
 * raw ffmpeg, then a fresh server per strategy, and one more raw run closes the last round; each P1
 * pairs a server run with the mean of the raw runs either side of its round, so a drift in the load
 * of a shared machine hits both sides alike, and the medians are the medians of those per-run
 * figures. A fresh server has measured nothing yet: what `auto` chose is printed.
 *
 * On a machine shared with other work, each measurement waits for a quiet moment and is taken
 * again when others took more than --max-others cores meanwhile; every run reports how busy the
 * machine was. Loaded runs flatter lowest-first: the server starts each ffmpeg in a session of its
 * own, and Linux's autogroup scheduling shares the CPU between sessions, so two passes get two
 * shares against the raw run's one.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureClip } from './clip.ts';
import { planSource, timeRawLadder } from './raw.ts';
import { type ServerRun, serverRun } from './server.ts';
import { fmt, markdownTable, mb, type Table, textTable } from './table.ts';
import { FFMPEG, median, waitForQuiet } from './util.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'server-log': { type: 'boolean', default: false },
    strategies: { type: 'string', default: 'auto,one-pass' },
    // Wait for a quiet moment before each measurement (a shared machine): seconds at most, 0 = never.
    'quiet-wait': { type: 'string', default: '180' },
    // …and measure again when others took more than this many cores meanwhile (up to `retries` times).
    'max-others': { type: 'string', default: '0.3' },
    retries: { type: 'string', default: '2' },
  },
});
const quick = flags.quick ?? false;
const runs = quick ? 1 : Number(flags.runs ?? 3);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs wants a positive integer, got ${flags.runs}`);
const clipSeconds = quick ? 5 : 20;

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

type Strategy = 'auto' | 'one-pass' | 'lowest-first';
const STRATEGIES = (flags.strategies ?? '').split(',').map((x) => x.trim()) as Strategy[];
for (const x of STRATEGIES)
  if (!['auto', 'one-pass', 'lowest-first'].includes(x)) throw new Error(`unknown strategy ${x}`);

type Raw = { wall: number; cpu: number; othersCpu: number };
interface Round {
  /** The raw run that opened this round, and the one after it (opening the next, or closing). */
  raw: Raw;
  rawAfter?: Raw;
  servers: Record<Strategy, ServerRun>;
}
const quietWaitMs = Number(flags['quiet-wait']) * 1000;
const maxOthers = Number(flags['max-others']);
const retries = Number(flags.retries);
/**
 * One measurement on a quiet moment of a shared machine: it waits for one (up to quiet-wait),
 * and measures again (up to `retries` times) when other processes took more than `max-others`
 * cores meanwhile. The last attempt counts whatever its load; every run reports its load.
 */
async function measured<T>(
  label: string,
  run: () => Promise<T>,
  wall: (x: T) => number,
  others: (x: T) => number,
) {
  for (let attempt = 0; ; attempt++) {
    if (quietWaitMs > 0) {
      const waited = await waitForQuiet(0.3, quietWaitMs);
      if (waited > 5) log(`(waited ${fmt(waited, 0)} s for the machine to quieten)`);
    }
    const x = await run();
    const load = others(x) / wall(x);
    if (load <= maxOthers || attempt >= retries) return x;
    log(`${label}: others took ${fmt(load)} cores meanwhile (${fmt(wall(x))} s); measuring again`);
  }
}
const rawRun = (label: string) =>
  measured(
    label,
    () => timeRawLadder(src, tmpRoot),
    (r) => r.wall,
    (r) => r.othersCpu,
  );

const rounds: Round[] = [];
for (let i = 1; i <= runs; i++) {
  const raw = await rawRun(`run ${i}/${runs}: raw`);
  log(`run ${i}/${runs}: raw ffmpeg ${fmt(raw.wall)} s`);
  const servers = {} as Record<Strategy, ServerRun>;
  // Both ways of encoding the ladder, each on a fresh server, right after the raw run.
  for (const strategy of STRATEGIES) {
    const logFile = flags['server-log'] ? `${benchDir}server-run${i}-${strategy}.log` : undefined;
    const v = await measured(
      `run ${i}/${runs}: ${strategy}`,
      () => serverRun({ clip, duration: D, tmpRoot, logFile, strategy }),
      (r) => (r.all - r.uploadStart) / 1000,
      (r) => r.othersCpu,
    );
    servers[strategy] = v;
    log(
      `run ${i}/${runs}: server (${strategy}${strategy === 'auto' ? ` → ${v.chosen}` : ''}) all rungs ` +
        `${fmt((v.all - v.uploadStart) / 1000)} s, playable ${fmt((v.ready - v.uploadDone) / 1000)} s after upload`,
    );
  }
  const previous = rounds.at(-1);
  if (previous) previous.rawAfter = raw;
  rounds.push({ raw, servers });
}
const closing = await rawRun('closing raw');
log(`closing raw ffmpeg ${fmt(closing.wall)} s`);
const last = rounds.at(-1);
if (last) last.rawAfter = closing;
const loadAfter = load();
await rm(tmpRoot, { recursive: true, force: true });

// ---- figures per run -------------------------------------------------------------------------
const s = (ms: number) => ms / 1000;
const figures = (raw: number, rawCpu: number, rawOthers: number, v: ServerRun) => {
  const all = s(v.all - v.uploadStart);
  const ready = s(v.ready - v.uploadDone);
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
    probe: s(v.processing - v.uploadDone),
    transcode: s(v.transcodeEnd - v.processing),
    after: s(v.all - v.transcodeEnd),
    rawCpu,
    rawOthers,
    others: v.othersCpu / all,
    cpuChildren: v.cpuChildren,
    cpuServer: v.cpuServer,
    cpuBench: v.cpuBench,
  };
};
type Per = ReturnType<typeof figures>;
const per = (strategy: Strategy): Per[] =>
  rounds.map(({ raw, rawAfter = raw, servers }) =>
    figures(
      (raw.wall + rawAfter.wall) / 2,
      (raw.cpu + rawAfter.cpu) / 2,
      (raw.othersCpu + rawAfter.othersCpu) / (raw.wall + rawAfter.wall),
      servers[strategy],
    ),
  );

const head = ['', ...rounds.map((_, i) => `run ${i + 1}`), 'median', 'target'];
const sec = (x: number) => fmt(x, 2);
const ratio = (x: number) => fmt(x, 3);
const mbs = (x: number) => mb(x);

/** A row: label, then each run, then the median of the runs, then the target. */
const rowOf =
  (ps: Per[]) =>
  (label: string, get: (p: Per) => number, show: (x: number) => string, target = ''): string[] => {
    const xs = ps.map(get);
    return [label, ...xs.map(show), show(median(xs)), target];
  };

const oneRaw = rowOf(per('one-pass'));
const main: Table = {
  head,
  rows: [
    oneRaw('raw ffmpeg, one pass, all rungs (s; mean of the runs before and after)', (p) => p.raw, sec),
    oneRaw('raw encode speed (× realtime)', (p) => D / p.raw, sec),
    // How busy the shared machine was: cores' worth of CPU that other processes took meanwhile.
    oneRaw(`others' load during raw ffmpeg (cores of ${availableParallelism()})`, (p) => p.rawOthers, sec),
    ...STRATEGIES.flatMap((strategy) => {
      const row = rowOf(per(strategy));
      return [
        row(`${strategy}: upload start → all rungs ready (s)`, (p) => p.all, sec),
        row(`${strategy}: **P1** = all rungs ÷ raw`, (p) => p.P1, ratio, '≤ 1.08'),
        row(`${strategy}: upload done → first playable (s)`, (p) => p.ready, sec),
        row(`${strategy}: **P2** = first playable ÷ clip (${fmt(D, 1)} s)`, (p) => p.P2, ratio, '≤ 0.30'),
        // The work, apart from the load of the machine: CPU seconds of its ffmpeg runs over raw's.
        row(`${strategy}: ffmpeg CPU ÷ raw ffmpeg CPU`, (p) => p.cpuChildren / p.rawCpu, ratio),
        row(`${strategy}: others' load meanwhile (cores)`, (p) => p.others, sec),
        row(`${strategy}: peak RSS, server process, VmHWM (MB)`, (p) => p.hwm, mbs),
        row(`${strategy}: peak RSS, server + ffmpeg, sampled (MB)`, (p) => p.tree, mbs),
      ];
    }),
  ],
};
// No targets here: these rows explain P1 and P2, they are not goals of their own.
const breakdowns: [Strategy, Table][] = STRATEGIES.map((strategy) => {
  const row = rowOf(per(strategy));
  return [
    strategy,
    {
      head: head.slice(0, -1),
      rows: [
        row('upload (POST until 202)', (p) => p.upload, sec),
        row('queue + hash + probe (until asset.processing)', (p) => p.probe, sec),
        row('transcode (until the final master playlist)', (p) => p.transcode, sec),
        row('  ÷ raw ffmpeg', (p) => p.transcode / p.raw, ratio),
        row('after the last rung (finish)', (p) => p.after, sec),
        row('CPU: raw ffmpeg', (p) => p.rawCpu, sec),
        row("CPU: server's ffmpeg/ffprobe children", (p) => p.cpuChildren, sec),
        row('CPU: server process (Node)', (p) => p.cpuServer, sec),
        row('CPU: this bench while the server ran', (p) => p.cpuBench, sec),
      ].map((r) => r.slice(0, -1)),
    },
  ];
});

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
const chosen = [...new Set(rounds.map((r) => r.servers.auto?.chosen).filter(Boolean))].join(', ');
const setup =
  `${fmt(D, 1)} s 1080p30 clip (testsrc2 + sine, H.264 8 Mb/s), ladder ${ladder}, x264 veryfast; ` +
  `${runs} run${runs > 1 ? 's' : ''}, raw ffmpeg and a fresh server per strategy (${STRATEGIES.join(', ')}) alternated, ` +
  `one worker${chosen ? ` (auto chose ${chosen})` : ''}; medians of per-run ratios`;

const out: string[] = [];
out.push('', `Framehouse benchmark — ${setup}`, `Machine: ${machine}`, '', textTable(main), '');
for (const [strategy, table] of breakdowns)
  out.push(`Where the server time goes, ${strategy} (s):`, textTable(table), '');
const md = [
  markdownTable(main),
  '',
  `*${setup}. Machine: ${machine}. P1 pairs each server run with the mean of the raw ffmpeg runs before and after its round.*`,
];
out.push('<!-- bench:begin (paste into README.md) -->', ...md, '<!-- bench:end -->', '');
const report = out.join('\n');
process.stdout.write(report);

await writeFile(`${benchDir}last-run.txt`, report);
await writeFile(
  `${benchDir}last-run.json`,
  JSON.stringify({ machine, setup, clipSeconds: D, rounds }, null, 2),
);
log(`(also written to ${benchDir}last-run.txt and last-run.json)`);
