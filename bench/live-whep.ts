/**
 * `npm run bench:whep [-- --seconds 40 --warmup 5 --size 1280x720 --bitrate 2500 --preset veryfast
 *   --rungs 2 --viewers 1,20 --cpu-seconds 20]`
 *
 * Glass-to-glass latency of WebRTC playback (WHEP), measured as the LL-HLS bench measures it
 * (bench/live-latency.ts): a publisher whose frames carry their capture time as black/white
 * blocks (bench/live-clock.ts), encoded and published over RTMP by ffmpeg like OBS into a
 * `framehouse serve` spawned here (its own process tree, so its CPU is read from /proc apart
 * from ours and the browser's). Headless Debian Chromium does the WHEP exchange with
 * RTCPeerConnection; every frame it presents (requestVideoFrameCallback) is drawn onto a canvas
 * and the capture time read back from the pixels: latency = shown − captured, both Date.now() on
 * this one machine. The WebRTC picture is the ladder's best encoded rung (x264 zerolatency, no
 * B-frames) as it leaves the live ffmpeg; `--rungs 2` with a 720p source gives 720p copied (HLS
 * only) + 360p encoded (HLS and WebRTC).
 *
 * CPU per viewer: the server's CPU (its whole process tree: node, its HTTP siblings, the live
 * ffmpeg) over `--cpu-seconds` with each viewer count of `--viewers`, all viewers in the same
 * Chromium (the extra ones without a <video>: their decoding is Chromium's cost, not the server's).
 * The difference between counts, divided by the viewers added, is what one more viewer costs.
 * Other agents share this 2-core machine: the load average is printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/browser.ts';
import { clockReaderScript, publishClock } from './live-clock.ts';
import { api, createLiveStream, startFramehouse, waitActive } from './live-server.ts';
import { fmt, textTable } from './table.ts';
import { cpuSeconds, machineBusySeconds, processTree } from './util.ts';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '5' },
    size: { type: 'string', default: '1280x720' },
    bitrate: { type: 'string', default: '2500' },
    preset: { type: 'string', default: 'veryfast' },
    rungs: { type: 'string', default: '2' },
    viewers: { type: 'string', default: '1,20' },
    'cpu-seconds': { type: 'string', default: '20' },
  },
});
const seconds = Number(flags.seconds);
const warmup = Number(flags.warmup);
const [width, height] = (flags.size ?? '').split('x').map(Number) as [number, number];
const FPS = 30;
const viewerCounts = (flags.viewers ?? '1')
  .split(',')
  .map(Number)
  .filter((n) => n >= 1);
const cpuWindow = Number(flags['cpu-seconds']);
const CELL = 8;

const log = (s: string) => process.stderr.write(`${s}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const pct = (xs: number[], p: number) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : Number.NaN;
};
const treeCpu = (pid: number) => new Map(processTree(pid).map((p) => [p, cpuSeconds(p)?.own ?? 0]));
const cpuBetween = (a: Map<number, number>, b: Map<number, number>) => {
  let s = 0;
  for (const [p, v] of b) s += v - (a.get(p) ?? 0);
  return s;
};

/** In the page: WHEP viewers; viewer 0 shows its video, and every presented frame's clock is read. */
const PAGE_SCRIPT = `(() => {
  ${clockReaderScript(CELL)}
  const data = { frames: [], viewers: [] };
  window.benchData = data;
  window.addViewer = async (url, measure) => {
    const pc = new RTCPeerConnection();
    const viewer = { pc, location: null };
    data.viewers.push(viewer);
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    if (measure) {
      const video = document.createElement('video');
      video.muted = true; video.autoplay = true; video.playsInline = true;
      document.body.append(video);
      const stream = new MediaStream();
      pc.ontrack = (e) => { stream.addTrack(e.track); video.srcObject = stream; video.play().catch(() => {}); };
      const onFrame = (now, meta) => {
        const shown = Date.now();
        const h = video.videoHeight;
        const decoded = readClock(video);
        data.frames.push({ shown, t: decoded ? decoded.t : null, frame: decoded ? decoded.frame : null, height: h });
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
    await pc.setLocalDescription();
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      setTimeout(resolve, 2000);
    });
    if (measure) data.offerSentAt = Date.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
    const text = await res.text();
    if (measure) data.answeredAt = Date.now();
    if (res.status !== 201) return res.status + ' ' + text;
    viewer.location = res.headers.get('location');
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
    return 'ok';
  };
  window.viewerStats = async () => {
    const out = [];
    for (const v of data.viewers) {
      let frames = 0, audio = 0;
      for (const s of (await v.pc.getStats()).values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded || 0;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') audio = s.packetsReceived || 0;
      }
      out.push({ state: v.pc.connectionState, frames, audio });
    }
    return out;
  };
})()`;

interface Frame {
  shown: number;
  t: number | null;
  frame: number | null;
  height: number;
}

const loadBefore = load();
const root = await mkdtemp(join(tmpdir(), 'fh-whep-bench-'));
const maxViewers = Math.max(...viewerCounts);
const server = await startFramehouse('serve', {
  dataDir: join(root, 'data'),
  env: { FRAMEHOUSE_LIVE_MAX_RUNGS: flags.rungs ?? '2', FRAMEHOUSE_WHEP_MAX_VIEWERS: String(maxViewers + 5) },
});
const browser = await launchChromium();
const publishers: ReturnType<typeof publishClock>[] = [];
try {
  const stream = await createLiveStream(server.url, 'low');
  const publisher = publishClock(`${stream.ingest.rtmp}/${stream.stream_key}`, {
    width,
    height,
    fps: FPS,
    bitrateKbps: Number(flags.bitrate),
    preset: flags.preset ?? 'veryfast',
  });
  publishers.push(publisher);
  const active = await waitActive(server.url, stream.id, 30_000);
  const ladder = (active.current?.renditions ?? []).map((r) => r.name).join('+');
  // Past the publisher's start-up burst, as the LL-HLS bench does.
  await sleep(5000);
  const whepUrl = `${server.url}/play/${stream.playback_ids[0]?.id}/whep`;
  const page: Page = await browser.newPage();
  await page.route(`${server.url}/whep-bench.html`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><body></body>' }),
  );
  await page.goto(`${server.url}/whep-bench.html`);
  await page.evaluate(PAGE_SCRIPT);
  const t0 = Date.now();
  const first = await page.evaluate<string>(`window.addViewer(${JSON.stringify(whepUrl)}, true)`);
  if (first !== 'ok') throw new Error(`WHEP offer refused: ${first}`);
  const frames = () => page.evaluate<Frame[]>('window.benchData.frames');
  while (!(await frames()).some((f) => f.t !== null)) {
    if (Date.now() - t0 > 30_000) throw new Error('no decodable frame in 30 s');
    await sleep(100);
  }
  const sent = await page.evaluate<{ offerSentAt: number; answeredAt: number }>('window.benchData');
  const firstShown = (await frames()).find((f) => f.t !== null)?.shown ?? Number.NaN;
  const firstFrameMs = firstShown - sent.offerSentAt;
  const startup = `first decodable frame ${Math.round(firstFrameMs)} ms after the offer was POSTed (answer after ${sent.answeredAt - sent.offerSentAt} ms; ICE gathering before it ${sent.offerSentAt - t0} ms)`;
  log(`ladder ${ladder}; ${startup}; warming up ${warmup} s`);
  await sleep(warmup * 1000);

  // Latency with one viewer.
  const from = Date.now();
  const busy0 = machineBusySeconds();
  const srv0 = treeCpu(server.pid);
  await sleep(seconds * 1000);
  const to = Date.now();
  const wall = (to - from) / 1000;
  const serverCpuLatency = (cpuBetween(srv0, treeCpu(server.pid)) / wall) * 100;
  const machineCpu = ((machineBusySeconds() - busy0) / wall) * 100;
  const inWindow = (await frames()).filter((f) => f.shown >= from && f.shown < to);
  const decoded = inWindow.filter((f) => f.t !== null);
  const latencies = decoded.map((f) => f.shown - (f.t as number));
  const frameNos = decoded.map((f) => f.frame as number);
  const span = frameNos.length ? Math.max(...frameNos) - Math.min(...frameNos) + 1 : 0;
  const missing = span - new Set(frameNos).size;

  // CPU per viewer count.
  const cpuRows: { viewers: number; serverCpu: number; connected: number; framing: number }[] = [];
  let viewers = 1;
  for (const count of viewerCounts) {
    while (viewers < count) {
      const r = await page.evaluate<string>(`window.addViewer(${JSON.stringify(whepUrl)}, false)`);
      if (r !== 'ok') throw new Error(`viewer ${viewers + 1} refused: ${r}`);
      viewers++;
    }
    await sleep(4000); // connected, and past each one's first keyframe
    const before = await page.evaluate<{ frames: number }[]>('window.viewerStats()');
    const c0 = treeCpu(server.pid);
    const w0 = Date.now();
    await sleep(cpuWindow * 1000);
    const cpu = (cpuBetween(c0, treeCpu(server.pid)) / ((Date.now() - w0) / 1000)) * 100;
    const stats = await page.evaluate<{ state: string; frames: number }[]>('window.viewerStats()');
    const connected = stats.filter((s) => s.state === 'connected').length;
    // Frames each viewer decoded over the window, per second (the slowest viewer).
    const rates = stats.map((s, i) => (s.frames - (before[i]?.frames ?? 0)) / cpuWindow);
    cpuRows.push({ viewers: count, serverCpu: cpu, connected, framing: Math.min(...rates) });
    log(`  ${count} viewers: server ${cpu.toFixed(1)}% of a core; ${connected} connected`);
  }

  const base = cpuRows[0];
  const out: string[] = [];
  out.push(`# WebRTC (WHEP) playback — ${new Date().toISOString()}`);
  out.push(
    `source ${width}x${height}@${FPS} ${flags.bitrate} kbit/s (${flags.preset}), ladder ${ladder}; load before ${loadBefore}, after ${load()}`,
  );
  out.push('');
  out.push(
    textTable({
      head: [
        'glass-to-glass',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
        'frames',
        'unreadable',
        'missing',
        'height',
      ],
      rows: [
        [
          `WHEP, ${seconds} s`,
          fmt(pct(latencies, 50), 0),
          fmt(pct(latencies, 95), 0),
          fmt(pct(latencies, 99), 0),
          fmt(Math.max(...latencies), 0),
          String(inWindow.length),
          String(inWindow.length - decoded.length),
          String(missing),
          String(decoded[0]?.height ?? '–'),
        ],
      ],
    }),
  );
  out.push(
    `${startup}; server tree ${serverCpuLatency.toFixed(1)}% of a core, whole machine ${machineCpu.toFixed(0)}% (of 200) during the latency run`,
  );
  out.push('');
  out.push(
    textTable({
      head: ['viewers', 'server CPU % of a core', 'per added viewer %', 'connected', 'slowest viewer fps'],
      rows: cpuRows.map((r) => [
        String(r.viewers),
        fmt(r.serverCpu, 1),
        base && r !== base ? fmt((r.serverCpu - base.serverCpu) / (r.viewers - base.viewers), 2) : '–',
        String(r.connected),
        fmt(r.framing, 1),
      ]),
    }),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  await page.close();
  await api(server.url, `/v1/live-streams/${stream.id}/complete`, { method: 'POST' }).catch(() => {});
} finally {
  for (const p of publishers) await p.stop();
  await browser.close();
  await server.stop();
  await rm(root, { recursive: true, force: true });
}
