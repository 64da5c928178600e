/**
 * The viewer side of the glass-to-glass bench: hls.js in headless Debian Chromium on a bare page
 * routed on the server's own origin. Every frame the video shows (requestVideoFrameCallback) is
 * drawn, top sixth only, onto a small canvas, the clock blocks are read back and the capture
 * time decoded; what hls.js loads (parts, segments, playlists, with its own timings) and its
 * latency figures are kept beside them for the breakdown.
 */
import type { Browser, Page } from 'playwright-core';
import { clockReaderScript } from './live-clock.ts';

export interface ShownFrame {
  /** Date.now() in the page when the frame was presented (the rVFC callback). */
  shown: number;
  /** Decoded capture time and frame number; null when the blocks could not be read. */
  t: number | null;
  frame: number | null;
  /** The frame's media time (s), same timeline as hls.js's fragment/part starts. */
  mediaTime: number;
  height: number;
}
export interface HlsLoad {
  sn: number;
  /** Part index within the segment, -1 for a whole segment. */
  part: number;
  level: number;
  start: number;
  duration: number;
  /** Epoch ms the request started and the last byte arrived (hls.js's own stats). */
  requested: number;
  loaded: number;
  /** Media time (s) of its first video frame once buffered (hls.js's remuxed PTS), when known. */
  videoStart?: number;
}
export interface PlaylistLoad {
  requested: number;
  loaded: number;
  /** The newest part (or segment, part -1) the answer lists. */
  sn: number;
  part: number;
  url: string;
}
export interface HlsSample {
  at: number;
  latency: number;
  targetLatency: number | null;
  drift: number;
  bufferAhead: number;
  rate: number;
  level: number;
}
export interface PlayerData {
  frames: ShownFrame[];
  loads: HlsLoad[];
  playlists: PlaylistLoad[];
  samples: HlsSample[];
  playlist: {
    partHoldBack: number;
    holdBack: number;
    partTarget: number;
    targetDuration: number;
    canBlockReload: boolean;
  } | null;
  quality: { at: number; dropped: number; total: number }[];
  levels: { height: number; bitrate: number }[];
  errors: string[];
}

const CELL = 8;

export async function openPlayer(
  browser: Browser,
  origin: string,
  src: string,
  opts: { level: 'low' | 'top' | 'auto'; hlsConfig: Record<string, unknown> },
): Promise<Page> {
  const page = await browser.newPage();
  await page.route(`${origin}/live-bench-player.html`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><body></body>' }),
  );
  await page.goto(`${origin}/live-bench-player.html`);
  await page.addScriptTag({ path: 'node_modules/hls.js/dist/hls.min.js' });
  const script = `(() => {
    ${clockReaderScript(CELL)}
    const data = { frames: [], loads: [], playlists: [], samples: [], playlist: null, quality: [], levels: [], errors: [] };
    window.benchData = data;
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    document.body.append(video);
    const onFrame = (now, meta) => {
      const shown = Date.now();
      const h = video.videoHeight;
      const decoded = readClock(video);
      data.frames.push({ shown, t: decoded ? decoded.t : null, frame: decoded ? decoded.frame : null, mediaTime: meta.mediaTime, height: h });
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    const hls = new Hls(Object.assign({ lowLatencyMode: true }, ${JSON.stringify(opts.hlsConfig)}));
    window.hls = hls;
    const epoch = (t) => performance.timeOrigin + t;
    hls.on(Hls.Events.MANIFEST_PARSED, (_e, d) => {
      data.levels = d.levels.map((l) => ({ height: l.height, bitrate: l.bitrate }));
      const want = ${JSON.stringify(opts.level)};
      if (want !== 'auto') {
        const heights = d.levels.map((l) => l.height);
        const target = want === 'low' ? Math.min(...heights) : Math.max(...heights);
        const idx = heights.indexOf(target);
        hls.currentLevel = idx;
      }
    });
    hls.on(Hls.Events.LEVEL_LOADED, (_e, d) => {
      const x = d.details;
      const st = d.stats, parts = x.partList || [], lastPart = parts[parts.length - 1];
      data.playlists.push({ requested: epoch(st.loading.start), loaded: epoch(st.loading.end),
        sn: lastPart ? lastPart.fragment.sn : x.endSN, part: lastPart ? lastPart.index : -1,
        url: String((d.networkDetails && d.networkDetails.responseURL) || '').replace(/^.*index.m3u8/, '') });
      data.playlist = { partHoldBack: x.partHoldBack, holdBack: x.holdBack, partTarget: x.partTarget, targetDuration: x.targetduration, canBlockReload: x.canBlockReload };
    });
    hls.on(Hls.Events.FRAG_LOADED, (_e, d) => {
      const f = d.frag, p = d.part;
      const s = (p || f).stats;
      data.loads.push({ sn: f.sn, part: p ? p.index : -1, level: f.level, start: p ? p.start : f.start, duration: p ? p.duration : f.duration,
        requested: epoch(s.loading.start), loaded: epoch(s.loading.end) });
    });
    hls.on(Hls.Events.FRAG_BUFFERED, (_e, d) => {
      const f = d.frag, p = d.part;
      const es = (p || f).elementaryStreams;
      const v = es && es.video;
      if (!v || !Number.isFinite(v.startPTS)) return;
      for (let i = data.loads.length - 1; i >= 0 && i >= data.loads.length - 20; i--) {
        const l = data.loads[i];
        if (l.sn === f.sn && l.part === (p ? p.index : -1)) { l.videoStart = v.startPTS; break; }
      }
    });
    hls.on(Hls.Events.ERROR, (_e, d) => { if (data.errors.length < 50) data.errors.push((d.fatal ? 'FATAL ' : '') + d.details); });
    setInterval(() => {
      const b = video.buffered;
      const ahead = b.length ? b.end(b.length - 1) - video.currentTime : 0;
      data.samples.push({ at: Date.now(), latency: hls.latency, targetLatency: hls.targetLatency, drift: hls.drift, bufferAhead: ahead, rate: video.playbackRate, level: hls.currentLevel });
      const q = video.getVideoPlaybackQuality();
      data.quality.push({ at: Date.now(), dropped: q.droppedVideoFrames, total: q.totalVideoFrames });
    }, 500);
    hls.loadSource(${JSON.stringify(src)});
    hls.attachMedia(video);
    void video.play();
  })()`;
  await page.evaluate(script);
  return page;
}

export const playerData = (page: Page) => page.evaluate<PlayerData>('window.benchData');
/** Frames decoded so far (to wait for playback to start). */
export const decodedFrames = (page: Page) =>
  page.evaluate<number>('window.benchData.frames.filter((f) => f.t !== null).length');
