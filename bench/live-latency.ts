/**
 * `npm run bench:live [-- --modes low,standard --runs 2 --seconds 60 --warmup 10 --size 1280x720
 *   --preset veryfast --rungs 2 --level low|top|auto --hls-config '{"…":…}' --viewers 500
 *   --load-seconds 30 --no-latency --no-load --no-scale-out]`
 *
 * The issue's live measurements, side by side in one run:
 *
 * P5 glass-to-glass latency. A source whose frames carry their capture time in their pixels
 * (bench/live-clock.ts: blocks, not text), painted here in real time, encoded and published over
 * RTMP by ffmpeg like OBS (x264 zerolatency, 2 s keyframes, no B-frames, AAC), into a
 * `framehouse serve` spawned by this bench (its own process, so its CPU and the live ffmpeg it
 * starts are read from /proc apart from ours and the browser's), with the live ladder on
 * (FRAMEHOUSE_LIVE_MAX_RUNGS, default 2: the source copied as the top rung + one transcoded
 * rung). hls.js (`lowLatencyMode`) plays /play/{id}/master.m3u8 in headless Debian Chromium; for
 * every shown frame the capture time is read back from the pixels: latency = shown − captured,
 * both Date.now() on this one machine. By default the player is held on the LOWEST rung, the one
 * that goes through x264 on the server (--level top: the copied source; auto: hls.js chooses).
 *
 * Where the time goes, per part (segment in `standard`), from the same run: the part filling
 * (its first frame waits for its last), the publisher's encoder (FLV tags teed to our stdout),
 * the server (RTMP → ffmpeg → fragment → packager: until a blocking playlist request of ours
 * sees the part listed), the delivery to hls.js (its playlist reload + part request), and what
 * the player holds in its buffer before showing it.
 *
 * Playlist load: N viewers (500) holding blocking requests for the next part of one live
 * stream's media playlist for 30 s (bench/live-viewers.ts), against `framehouse serve` and, when
 * PostgreSQL answers, against `framehouse api` proxying to a `framehouse live` (one PostgreSQL
 * schema of our own and one shared local store). Reported: answers/s, delay after the part
 * landed, late answers, the server's event-loop delay (a probe preloaded into it) and CPU.
 *
 * Anchors (MediaMTX, OvenMediaEngine, Mux) are not runnable here: their figures are quoted from
 * the issue and labelled so. Other agents share this 2-core machine: the load average is printed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../test/helpers/browser.ts';
import { publishRtmp } from '../test/helpers/live.ts';
import { publishClock } from './live-clock.ts';
import { decodedFrames, type HlsLoad, openPlayer, type PlayerData, playerData } from './live-player.ts';
import {
  api,
  createLiveStream,
  type FhProcess,
  loopDelays,
  startFramehouse,
  waitActive,
  waitMaster,
} from './live-server.ts';
import { viewerLoad } from './live-viewers.ts';
import { fmt, type Table, textTable } from './table.ts';
import { cpuSeconds, machineBusySeconds, median, processTree } from './util.ts';

const { values: flags } = parseArgs({
  options: {
    modes: { type: 'string', default: 'low,standard' },
    runs: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '10' },
    size: { type: 'string', default: '1280x720' },
    preset: { type: 'string', default: 'veryfast' },
    bitrate: { type: 'string', default: '2500' },
    rungs: { type: 'string', default: '2' },
    level: { type: 'string', default: 'low' },
    'hls-config': { type: 'string', default: '{}' },
    viewers: { type: 'string', default: '500' },
    'load-seconds': { type: 'string', default: '30' },
    'late-ms': { type: 'string', default: '100' },
    'no-latency': { type: 'boolean', default: false },
    'no-load': { type: 'boolean', default: false },
    'no-scale-out': { type: 'boolean', default: false },
  },
});
const modes = (flags.modes ?? '').split(',').filter(Boolean) as ('low' | 'standard')[];
const runs = Number(flags.runs);
const seconds = Number(flags.seconds);
const warmup = Number(flags.warmup);
const [width, height] = (flags.size ?? '').split('x').map(Number) as [number, number];
const FPS = 30;
const level = flags.level as 'low' | 'top' | 'auto';
const hlsConfig = JSON.parse(flags['hls-config'] ?? '{}') as Record<string, unknown>;
/**
 * What our own live player (web/src/player/live-player.tsx) gives hls.js: in low latency a
 * playback rate up to 1.1 closes the gap to PART-HOLD-BACK (hls.js's default, 1, never catches
 * up from where it joined). The bench measures what viewers of our pages get; --hls-config overrides.
 */
const playerConfig = (mode: string): Record<string, unknown> => ({
  maxLiveSyncPlaybackRate: mode === 'low' ? 1.1 : 1,
  ...hlsConfig,
});

const log = (s: string) => process.stderr.write(`${s}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const pct = (xs: number[], p: number) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : Number.NaN;
};
const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)}` : '–');
const sec = (x: number) => fmt(x / 1000, 2);

/** CPU seconds of a process tree so far, per pid (children that come and go are counted while seen). */
function treeCpu(pid: number): Map<number, number> {
  return new Map(processTree(pid).map((p) => [p, cpuSeconds(p)?.own ?? 0]));
}
function cpuBetween(a: Map<number, number>, b: Map<number, number>): number {
  let s = 0;
  for (const [p, v] of b) s += v - (a.get(p) ?? 0);
  return s;
}

const loadBefore = load();
const startedAt = new Date();
const root = await mkdtemp(join(tmpdir(), 'fh-live-bench-'));

// ───────────────────────── P5: glass-to-glass latency ─────────────────────────

interface LatencyRun {
  mode: 'low' | 'standard';
  run: number;
  playedHeight: number;
  ladder: string;
  latencies: number[];
  shown: number;
  undecodable: number;
  missing: number;
  droppedByPlayer: number;
  hlsLatency: number;
  hlsTarget: number;
  bufferAhead: number;
  playlist: PlayerData['playlist'];
  serverCpu: number;
  publisherCpu: number;
  othersCpu: number;
  stages: Record<string, number[]>;
  errors: string[];
}

/** When our own blocking requests first saw each part (`msn:i`) or segment (`msn:-1`) listed. */
function watchPlaylist(url: string, lowLatency: boolean) {
  const listed = new Map<string, number>();
  const stop = new AbortController();
  const note = (body: string) => {
    const at = Date.now();
    // Listed parts and segments only: the preload hint names a part that does not exist yet.
    const listedLines = body
      .split('\n')
      .filter((l) => !l.startsWith('#EXT-X-PRELOAD-HINT'))
      .join('\n');
    for (const m of listedLines.matchAll(/(?:part_(\d+)_(\d+)|seg_(\d+))\.m4s/g)) {
      const key = m[3] !== undefined ? `${m[3]}:-1` : `${m[1]}:${m[2]}`;
      if (!listed.has(key)) listed.set(key, at);
    }
    // A segment closes when the first part of the next one is listed (its preload hint says so).
    return /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part_(\d+)_(\d+)\.m4s/.exec(body);
  };
  const done = (async () => {
    let next: RegExpExecArray | null = null;
    while (!stop.signal.aborted) {
      const u = new URL(url);
      if (lowLatency && next) {
        u.searchParams.set('_HLS_msn', next[1] as string);
        u.searchParams.set('_HLS_part', next[2] as string);
      }
      try {
        const res = await fetch(u, { signal: stop.signal });
        next = note(await res.text());
        if (!lowLatency || !next) await sleep(50);
      } catch {
        if (!stop.signal.aborted) await sleep(200);
      }
    }
  })();
  return {
    listed,
    async stop() {
      stop.abort();
      await done;
    },
  };
}

async function latencyRun(
  server: FhProcess,
  browser: Browser,
  mode: 'low' | 'standard',
  run: number,
): Promise<LatencyRun> {
  const stream = await createLiveStream(server.url, mode);
  const publisher = publishClock(`${stream.ingest.rtmp}/${stream.stream_key}`, {
    width,
    height,
    fps: FPS,
    bitrateKbps: Number(flags.bitrate),
    preset: flags.preset ?? 'veryfast',
  });
  let page: Awaited<ReturnType<typeof openPlayer>> | undefined;
  let watcher: ReturnType<typeof watchPlaylist> | undefined;
  try {
    const active = await waitActive(server.url, stream.id, 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}; publisher: ${publisher.log().slice(-1500)}`);
    });
    const pid = stream.playback_ids[0]?.id ?? '';
    const variants = await waitMaster(server.url, pid);
    // A viewer joins a broadcast that is under way: past the publisher's start-up burst (the
    // frames painted while ffmpeg connects go out late, in a rush), which a player joining
    // during it would keep as latency for good (hls.js does not speed up to catch up by default).
    await sleep(5000);
    const heights = variants.map((v) => v.height);
    const want = level === 'top' ? Math.max(...heights) : Math.min(...heights);
    const variant = variants.find((v) => v.height === want) ?? variants[0];
    watcher = watchPlaylist(`${server.url}/play/${pid}/${variant?.uri}`, mode === 'low');
    page = await openPlayer(browser, server.url, `${server.url}/play/${pid}/master.m3u8`, {
      level,
      hlsConfig: playerConfig(mode),
    });
    const t0 = Date.now();
    while ((await decodedFrames(page)) < 1) {
      if (Date.now() - t0 > 60_000) {
        const d = await playerData(page);
        throw new Error(
          `no decodable frame shown in 60 s (${d.frames.length} frames; ${d.errors.join(', ')})`,
        );
      }
      await sleep(250);
    }
    log(`  ${mode} run ${run}: playing after ${sec(Date.now() - t0)} s; warming up ${warmup} s`);
    await sleep(warmup * 1000);
    const from = Date.now();
    const srv0 = treeCpu(server.pid);
    const pub0 = cpuSeconds(publisher.child.pid as number)?.own ?? 0;
    const busy0 = machineBusySeconds();
    const own0 = treeCpu(process.pid);
    await sleep(seconds * 1000);
    const to = Date.now();
    const srvCpu = cpuBetween(srv0, treeCpu(server.pid));
    const pubCpu = (cpuSeconds(publisher.child.pid as number)?.own ?? 0) - pub0;
    const ownCpu = cpuBetween(own0, treeCpu(process.pid));
    const othersCpu = Math.max(0, machineBusySeconds() - busy0 - ownCpu);
    const data = await playerData(page);
    const wall = (to - from) / 1000;
    const inWindow = data.frames.filter((f) => f.shown >= from && f.shown < to);
    const decoded = inWindow.filter((f) => f.t !== null);
    const latencies = decoded.map((f) => f.shown - (f.t as number));
    const frameNos = decoded.map((f) => f.frame as number);
    const unique = new Set(frameNos);
    const span = frameNos.length ? Math.max(...frameNos) - Math.min(...frameNos) + 1 : 0;
    const q = data.quality.filter((x) => x.at >= from && x.at < to);
    const samples = data.samples.filter((s) => s.at >= from && s.at < to);
    const stages = breakdown(data, from, to, watcher.listed, publisher, mode);
    const ladder = (active.current?.renditions ?? []).map((r) => r.name).join('+');
    return {
      mode,
      run,
      playedHeight: median(inWindow.map((f) => f.height)),
      ladder,
      latencies,
      shown: inWindow.length,
      undecodable: inWindow.length - decoded.length,
      missing: span - unique.size,
      droppedByPlayer: q.length >= 2 ? (q.at(-1)?.dropped ?? 0) - (q[0]?.dropped ?? 0) : Number.NaN,
      hlsLatency: median(samples.map((s) => s.latency * 1000)),
      hlsTarget: median(samples.map((s) => (s.targetLatency ?? Number.NaN) * 1000)),
      bufferAhead: median(samples.map((s) => s.bufferAhead * 1000)),
      playlist: data.playlist,
      serverCpu: (srvCpu / wall) * 100,
      publisherCpu: (pubCpu / wall) * 100,
      othersCpu: (othersCpu / wall) * 100,
      stages,
      errors: data.errors,
    };
  } finally {
    await page?.close().catch(() => {});
    await watcher?.stop();
    await publisher.stop();
    await api(server.url, `/v1/live-streams/${stream.id}/complete`, { method: 'POST' }).catch(() => {});
  }
}

/**
 * Splits the latency of each part's first frame into stages. Media time → capture time is one
 * offset (frames are painted in real time), fitted as the median over the shown frames.
 */
function breakdown(
  data: PlayerData,
  from: number,
  to: number,
  listed: Map<string, number>,
  publisher: ReturnType<typeof publishClock>,
  mode: 'low' | 'standard',
): Record<string, number[]> {
  const frameMs = 1000 / FPS;
  const frames = data.frames.filter((f) => f.t !== null);
  const offset = median(frames.map((f) => (f.t as number) - f.mediaTime * 1000));
  const fitError = frames.map((f) => Math.abs((f.t as number) - f.mediaTime * 1000 - offset));
  const encode = publisher.encoded
    .map((at, n) => at - (publisher.captured[n] ?? Number.NaN))
    .filter((x, n) => Number.isFinite(x) && (publisher.captured[n] ?? 0) >= from - 5000);
  const encodeMs = median(encode);
  const stages: Record<string, number[]> = {
    'publisher encode (frame → FLV tag out)': encode,
    'part fills (first frame waits for the last)': [],
    'server: RTMP → ffmpeg → fragment → packager': [],
    'delivery: playlist reload + part request': [],
    '  of which: listed → hls.js has the playlist': [],
    '  of which: playlist → part loaded': [],
    'player buffer (loaded → shown)': [],
    'total (first frame of each part)': [],
    'media-time fit error': fitError,
  };
  const byKey = new Map<string, HlsLoad>();
  for (const l of data.loads) {
    if ((mode === 'low') !== l.part >= 0) continue;
    const key = `${l.sn}:${l.part}`;
    if (!byKey.has(key)) byKey.set(key, l);
  }
  for (const [key, l] of byKey) {
    // The part's first frame on the media timeline: hls.js's remuxed PTS when it said, else
    // the playlist start (which hls.js may place a little off the media timeline).
    const start = l.videoStart ?? l.start;
    const firstCap = offset + start * 1000;
    const lastCap = firstCap + l.duration * 1000 - frameMs;
    const first = frames.find((f) => f.mediaTime >= start - 0.005 && f.mediaTime < start + l.duration);
    if (!first || first.shown < from || first.shown >= to) continue;
    const at = listed.get(key);
    stages['part fills (first frame waits for the last)']?.push(lastCap - firstCap);
    if (at !== undefined) {
      stages['server: RTMP → ffmpeg → fragment → packager']?.push(at - lastCap - encodeMs);
      stages['delivery: playlist reload + part request']?.push(l.loaded - at);
      // The first playlist answer of hls.js's that listed this part (or a later one).
      const [sn, part] = key.split(':').map(Number) as [number, number];
      const pl = data.playlists.find(
        (p) => p.loaded >= at - 50 && (p.sn > sn || (p.sn === sn && (p.part >= part || part < 0))),
      );
      if (pl) {
        stages['  of which: listed → hls.js has the playlist']?.push(pl.loaded - at);
        stages['  of which: playlist → part loaded']?.push(l.loaded - pl.loaded);
      }
    }
    stages['player buffer (loaded → shown)']?.push(first.shown - l.loaded);
    stages['total (first frame of each part)']?.push(first.shown - firstCap);
  }
  return stages;
}

// ───────────────────────── playlist load ─────────────────────────

interface LoadRun {
  shape: string;
  result: Awaited<ReturnType<typeof viewerLoad>>;
  /** The lone viewer in its own process: its answer after the first of the 500, ms. */
  loneDelays: number[];
  loopP50: number;
  loopP99: number;
  loopMax: number;
  serverCpu: number;
}

async function playlistLoad(shape: string, ingest: FhProcess, front: FhProcess, others: FhProcess[]) {
  const stream = await createLiveStream(front.url, 'low');
  const rtmp = `rtmp://127.0.0.1:${ingest.rtmpPort}/live/${stream.stream_key}`;
  const publisher = publishRtmp(rtmp, { seconds: Number(flags['load-seconds']) + 60, size: '640x360' });
  try {
    await waitActive(front.url, stream.id, 30_000);
    const pid = stream.playback_ids[0]?.id ?? '';
    const variants = await waitMaster(front.url, pid);
    const top = variants.reduce((a, b) => (b.height > a.height ? b : a));
    await sleep(4000); // a couple of segments in the playlist, as a viewer arriving would find
    const procs = [front, ...others];
    const cpu0 = procs.map((p) => treeCpu(p.pid));
    const from = Date.now();
    const mediaUrl = `${front.url}/play/${pid}/${top.uri}`;
    const lone = new Promise<{ key: string; at: number }[]>((resolve) =>
      execFile(
        process.execPath,
        [new URL('./live-viewers.ts', import.meta.url).pathname, mediaUrl, String(flags['load-seconds'])],
        { maxBuffer: 1 << 24 },
        (err, stdout) => resolve(err ? [] : (JSON.parse(stdout) as { key: string; at: number }[])),
      ),
    );
    const result = await viewerLoad(mediaUrl, {
      viewers: Number(flags.viewers),
      seconds: Number(flags['load-seconds']),
      lateMs: Number(flags['late-ms']),
      skip: true,
    });
    const to = Date.now();
    const loneDelays = (await lone)
      .map((a) => a.at - (result.first.get(a.key) ?? Number.NaN))
      .filter(Number.isFinite);
    const wall = (to - from) / 1000;
    const cpu = procs.reduce((s, p, i) => s + cpuBetween(cpu0[i] as Map<number, number>, treeCpu(p.pid)), 0);
    const loops = loopDelays(front, from, to);
    return {
      shape,
      result,
      loneDelays,
      loopP50: median(loops.map((l) => l.p50)),
      loopP99: median(loops.map((l) => l.p99)),
      loopMax: Math.max(...loops.map((l) => l.max)),
      serverCpu: (cpu / wall) * 100,
    } satisfies LoadRun;
  } finally {
    await publisher.stop();
    await api(front.url, `/v1/live-streams/${stream.id}/complete`, { method: 'POST' }).catch(() => {});
  }
}

// ───────────────────────── run ─────────────────────────

log(`load average before: ${loadBefore}; scratch ${root}`);
const latencyRuns: LatencyRun[] = [];
const loadRuns: LoadRun[] = [];
let serve: FhProcess | undefined;
try {
  serve = await startFramehouse('serve', {
    dataDir: join(root, 'serve'),
    env: { FRAMEHOUSE_LIVE_MAX_RUNGS: flags.rungs ?? '2', FRAMEHOUSE_LIVE_MAX_STREAMS: '8' },
  });
  log(`framehouse serve (pid ${serve.pid}) on ${serve.url}, RTMP ${serve.rtmpPort}`);
  if (!flags['no-latency']) {
    const browser = await launchChromium();
    try {
      // Alternate the modes so a drift in the machine's load hits both alike.
      for (let r = 1; r <= runs; r++) {
        for (const mode of modes) {
          try {
            const x = await latencyRun(serve, browser, mode, r);
            latencyRuns.push(x);
            log(
              `  ${mode} run ${r}: ${x.playedHeight}p of ${x.ladder}: p50 ${ms(pct(x.latencies, 50))} p95 ${ms(pct(x.latencies, 95))} ms, hls.js ${ms(x.hlsLatency)} ms; load ${load()}`,
            );
          } catch (e) {
            log(`  ${mode} run ${r} failed: ${(e as Error).message}`);
          }
        }
      }
    } finally {
      await browser.close();
    }
  }
  if (!flags['no-load']) {
    try {
      loadRuns.push(await playlistLoad('framehouse serve (answers from its packager)', serve, serve, []));
    } catch (e) {
      log(`  load on serve failed: ${(e as Error).message}`);
    }
  }
} finally {
  await serve?.stop();
}

if (!flags['no-load'] && !flags['no-scale-out']) {
  // api + live on PostgreSQL (a schema of our own) and one shared local store.
  let db: Awaited<ReturnType<typeof import('../src/db/test-databases.ts').openTestDatabase>> | undefined;
  let live: FhProcess | undefined;
  let front: FhProcess | undefined;
  try {
    // The machine's PostgreSQL (the brief's) unless DATABASE_URL names another; read at import.
    process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/test';
    const { openTestDatabase, POSTGRES_URL } = await import('../src/db/test-databases.ts');
    if (!POSTGRES_URL) throw new Error('DATABASE_URL is not a PostgreSQL URL');
    db = await openTestDatabase('postgres');
    const shared = {
      DATABASE_URL: db.url,
      STORAGE_URL: `file:${join(root, 'objects')}`,
      FRAMEHOUSE_LIVE_MAX_RUNGS: flags.rungs ?? '2',
    };
    live = await startFramehouse('live', { dataDir: join(root, 'live'), env: shared });
    front = await startFramehouse('api', { dataDir: join(root, 'api'), env: shared });
    log(`framehouse live (pid ${live.pid}) + api (pid ${front.pid}) on PostgreSQL`);
    loadRuns.push(await playlistLoad('framehouse api → proxy → framehouse live', live, front, [live]));
  } catch (e) {
    log(`  load through api → live skipped or failed: ${(e as Error).message}`);
  } finally {
    await front?.stop();
    await live?.stop();
    await db?.close();
  }
}
await rm(root, { recursive: true, force: true });

// ───────────────────────── report ─────────────────────────

const out: string[] = [];
out.push(
  `live bench ${startedAt.toISOString()}; load average before ${loadBefore}, after ${load()} (2 cores)`,
);
out.push(
  `source ${width}x${height} ${FPS} fps, x264 ${flags.preset} zerolatency 2 s GOP ${flags.bitrate} kb/s + AAC over RTMP; live ladder FRAMEHOUSE_LIVE_MAX_RUNGS=${flags.rungs}; player level ${level}; ${seconds} s measured after ${warmup} s warm-up; hls.js config (low) ${JSON.stringify({ lowLatencyMode: true, ...playerConfig('low') })}`,
);
if (latencyRuns.length) {
  out.push('', 'P5 glass-to-glass latency (per run; shown − captured, from the pixels)');
  const t: Table = {
    head: [
      'mode',
      'run',
      'played',
      'p50 ms',
      'p95 ms',
      'max ms',
      'hls.js latency',
      'target',
      'buffer ahead',
      'shown',
      'undecodable',
      'src frames never shown',
      'dropped (player)',
      'server CPU %',
      'publisher CPU %',
      'others CPU %',
    ],
    rows: latencyRuns.map((x) => [
      x.mode,
      String(x.run),
      `${x.playedHeight}p of ${x.ladder}`,
      ms(pct(x.latencies, 50)),
      ms(pct(x.latencies, 95)),
      ms(Math.max(...x.latencies)),
      ms(x.hlsLatency),
      ms(x.hlsTarget),
      ms(x.bufferAhead),
      String(x.shown),
      String(x.undecodable),
      String(x.missing),
      String(x.droppedByPlayer),
      fmt(x.serverCpu, 0),
      fmt(x.publisherCpu, 0),
      fmt(x.othersCpu, 0),
    ]),
  };
  out.push(textTable(t));

  out.push(
    '',
    'P5 side by side (ours: median of the runs; anchors: QUOTED from the issue, not measured here)',
  );
  const rows: string[][] = [];
  for (const mode of modes) {
    const xs = latencyRuns.filter((x) => x.mode === mode);
    if (!xs.length) continue;
    const p95 = median(xs.map((x) => pct(x.latencies, 95)));
    rows.push([
      `Framehouse ${mode} (ladder on, measured, ${xs.length} run(s))`,
      sec(median(xs.map((x) => pct(x.latencies, 50)))),
      sec(p95),
      fmt(median(xs.map((x) => x.serverCpu)), 0),
      mode === 'low' ? (p95 <= 2000 ? 'MET (p95 ≤ 2 s)' : 'NOT MET (p95 > 2 s)') : '',
    ]);
  }
  rows.push(['MediaMTX LL-HLS, no transcoding (quoted)', '1–2', '', '', '']);
  rows.push(['OvenMediaEngine LL-HLS with ABR (quoted)', '2–5', '', '', '']);
  rows.push(['AWS IVS (quoted)', '< 5', '', '', '']);
  rows.push(['Mux Live low latency (quoted)', '≥ 5', '', '', '']);
  rows.push(['Mux Live standard (quoted)', '25–30', '', '', '']);
  out.push(textTable({ head: ['', 'p50 s', 'p95 s', 'CPU % of a core per stream', 'goal'], rows }));

  out.push('', 'Where the time goes (ms, p50 / p95 over the parts — segments in standard — of all runs)');
  const stageRows: string[][] = [];
  for (const mode of modes) {
    const xs = latencyRuns.filter((x) => x.mode === mode);
    if (!xs.length) continue;
    const names = Object.keys(xs[0]?.stages ?? {});
    for (const name of names) {
      const all = xs.flatMap((x) => x.stages[name] ?? []);
      stageRows.push([`${mode}: ${name}`, ms(pct(all, 50)), ms(pct(all, 95)), String(all.length)]);
    }
    const pl = xs[0]?.playlist;
    if (pl)
      stageRows.push([
        `${mode}: playlist PART-HOLD-BACK / HOLD-BACK / PART-TARGET / TARGETDURATION (s)`,
        `${fmt(pl.partHoldBack, 3)} / ${fmt(pl.holdBack, 1)}`,
        `${fmt(pl.partTarget, 3)} / ${pl.targetDuration}`,
        '',
      ]);
    const errs = [...new Set(xs.flatMap((x) => x.errors))];
    if (errs.length) stageRows.push([`${mode}: hls.js errors`, errs.join(', ').slice(0, 60), '', '']);
  }
  out.push(textTable({ head: ['stage', 'p50', 'p95', 'n'], rows: stageRows }));
}
if (loadRuns.length) {
  out.push(
    '',
    `Playlist load: ${flags.viewers} viewers holding blocking requests (_HLS_msn/_HLS_part/_HLS_skip) on one live stream (640x360 source, ladder on), ${flags['load-seconds']} s`,
  );
  out.push(
    textTable({
      head: [
        'shape',
        'answers/s',
        'parts',
        'delay after landing p50/p95 ms',
        'lone viewer p50/p95 ms',
        `late (> ${flags['late-ms']} ms or not 200)`,
        'errors',
        'server loop delay p50/p99/max ms',
        'server CPU %',
        'client loop p99 ms',
      ],
      rows: loadRuns.map((x) => [
        x.shape,
        fmt(x.result.answersPerSecond, 0),
        String(x.result.parts),
        `${ms(pct(x.result.delays, 50))}/${ms(pct(x.result.delays, 95))}`,
        `${ms(pct(x.loneDelays, 50))}/${ms(pct(x.loneDelays, 95))}`,
        `${x.result.late} of ${x.result.answers}${Object.keys(x.result.non200).length ? ` ${JSON.stringify(x.result.non200)}` : ''}`,
        String(x.result.errors),
        `${fmt(x.loopP50, 1)}/${fmt(x.loopP99, 1)}/${fmt(x.loopMax, 1)}`,
        fmt(x.serverCpu, 0),
        fmt(x.result.clientLoopP99, 1),
      ]),
    }),
  );
}
process.stdout.write(`${out.join('\n')}\n`);
