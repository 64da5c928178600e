/**
 * `node bench/live-ladder.ts [--seconds 20] [--sizes 1280x720,1920x1080] [--presets veryfast,superfast,ultrafast] [--rungs 1,2,3] [--copy]`
 *
 * What a live ladder costs on this machine: a 30 fps H.264/AAC FLV source published in real time
 * (`ffmpeg -re`) into LiveTranscoder's stdin, for each source size × x264 preset × number of
 * encoded rungs (testsrc2 with light camera-like noise; and, with --copy, the source as a copied top rung above them). Reported: ffmpeg's
 * CPU (% of one core, from /proc; 200% = both cores of a 2-core box), the speed over the last
 * seconds (1.00 = keeping up), whether 'lagging' fired, how long after its first frame entered
 * stdin each fragment left (p50/p95, ms: fragment length + encode + mux), and the gaps between
 * fragment arrivals. The machine's load average is printed, as other work skews every figure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { LivePreset } from '../src/live/transcode/live-ffmpeg-args.ts';
import { planLiveLadder } from '../src/live/transcode/live-ladder.ts';
import { LiveTranscoder } from '../src/live/transcode/live-transcoder.ts';
import {
  collectBoxes,
  fragmentLatencies,
  makeSource,
  realtimePublisher,
} from '../test/helpers/live-media.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    sizes: { type: 'string', default: '1280x720,1920x1080' },
    presets: { type: 'string', default: 'veryfast,superfast,ultrafast' },
    rungs: { type: 'string', default: '1,2,3' },
    copy: { type: 'boolean', default: false },
    dir: { type: 'string', default: '/tmp/framehouse-live-bench' },
  },
});
const seconds = Number(values.seconds);
const ffmpeg = process.env.FFMPEG_PATH ?? 'ffmpeg';
await mkdir(values.dir, { recursive: true });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : Number.NaN;
};

function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, after pid and comm
  } catch {
    return null;
  }
}

console.log(
  `load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  'source     preset     rungs                      cpu%   speed  lag  latency p50/p95 ms  gap p50/p95 ms',
);
for (const size of values.sizes.split(',')) {
  const [w, h] = size.split('x').map(Number) as [number, number];
  const file = `${values.dir}/camera_${size}_${seconds}s.flv`;
  if (!existsSync(file)) {
    await makeSource(ffmpeg, file, {
      size,
      fps: 30,
      seconds: seconds + 2,
      gop: 60,
      format: 'flv',
      cameraNoise: true,
    });
  }
  for (const preset of values.presets.split(',') as LivePreset[]) {
    for (const n of values.rungs.split(',').map(Number)) {
      const source = {
        width: w,
        height: h,
        fps: 30,
        videoBitrate: 1_500_000,
        keyframeIntervalMs: values.copy ? 2000 : null,
        hasAudio: true,
        videoCodec: 'h264',
        audioCodec: 'aac',
      };
      const rungs = planLiveLadder(source, { maxRungs: values.copy ? n + 1 : n, segmentSeconds: 2 });
      const t = new LiveTranscoder({
        ffmpegPath: ffmpeg,
        rungs,
        inputFormat: 'flv',
        log: pino({ level: 'silent' }),
        preset,
        sourceKeyframeIntervalMs: 2000,
      });
      const collectors = [...t.outputs.values()].map((s) => collectBoxes(s));
      const speeds: number[] = [];
      let lagged = false;
      t.on('progress', (p) => {
        if (p.speed !== null && p.outTimeSeconds > 5) speeds.push(p.speed);
      });
      t.on('lagging', () => {
        lagged = true;
      });
      const pub = realtimePublisher(ffmpeg, file, 'flv', seconds);
      let inputStart = 0;
      pub.stdout?.once('data', () => {
        inputStart = Date.now();
      });
      const started = Date.now();
      t.start(pub.stdout as NonNullable<typeof pub.stdout>);
      // biome-ignore lint/complexity/useLiteralKeys: the private child, for its pid only
      const pid = (t as unknown as { child: { pid: number } })['child'].pid;
      let ticks = 0;
      const poll = setInterval(() => {
        ticks = cpuTicks(pid) ?? ticks;
      }, 200);
      await new Promise((r) => t.once('exit', r));
      clearInterval(poll);
      const wall = (Date.now() - started) / 1000;
      await Promise.all(collectors.map((c) => c.done.catch(() => {})));
      const top = collectors[0] as (typeof collectors)[number];
      const lat = fragmentLatencies(top.boxes, inputStart).slice(3); // past the start-up probe
      const moofs = top.boxes.filter((b) => b.type === 'moof');
      const gaps = moofs.slice(4).map((b, i) => b.at - (moofs[i + 3] as { at: number }).at);
      const cpu = ((ticks / 100) * 100) / wall;
      const names = rungs.map((r) => `${r.name}${r.copy ? '(copy)' : ''}`).join(',');
      console.log(
        `${size.padEnd(10)} ${preset.padEnd(10)} ${names.padEnd(26)} ${cpu.toFixed(0).padStart(4)}  ${pct(speeds, 50).toFixed(2).padStart(5)}  ${lagged ? 'YES' : 'no '}  ${pct(lat, 50).toFixed(0).padStart(6)}/${pct(lat, 95).toFixed(0).padEnd(10)} ${pct(gaps, 50).toFixed(0).padStart(5)}/${pct(gaps, 95).toFixed(0)}`,
      );
    }
  }
}
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
