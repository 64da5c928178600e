import type { HlsConfig } from 'hls.js';

/**
 * How our players report playback (docs/qoe.md): hls.js's own CMCD v2 event reporter to
 * `/v1/qoe/cmcd`, plus a small JSON beacon for what CMCD does not carry (picture and player
 * size, dropped frames). Nothing is reported for a viewer who sends Do-Not-Track or Global
 * Privacy Control, turned statistics off, or opens an embed with `?analytics=0`; nor when the
 * server says it does not collect. Part of the player page: kept small.
 */

type CmcdConfig = NonNullable<HlsConfig['cmcd']>;
type Requester = NonNullable<CmcdConfig['loader']>;

const CMCD_TARGET = '/v1/qoe/cmcd';
const BEACON_TARGET = '/v1/qoe/beacon';
const INTERVAL_S = 10;
const SETTING = 'framehouse.analytics';
const OK = { status: 204 };

/** The viewer's setting (switched on the viewer pages); storage may be refused in an iframe. */
export function statisticsOn(): boolean {
  try {
    return localStorage.getItem(SETTING) !== 'off';
  } catch {
    return true;
  }
}

export function setStatisticsOn(on: boolean): void {
  try {
    if (on) localStorage.removeItem(SETTING);
    else localStorage.setItem(SETTING, 'off');
  } catch {
    // not stored: this page stops reporting all the same (read again before each report)
  }
}

/** Do-Not-Track or Global Privacy Control: the browser speaks for the viewer; no switch overrides it. */
export function browserRefuses(): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  return nav.doNotTrack === '1' || nav.globalPrivacyControl === true;
}

const viewerRefuses = () =>
  browserRefuses() || !statisticsOn() || new URLSearchParams(location.search).get('analytics') === '0';

/** Whether this server collects (`/v1/instance` `qoe`; a server that does not say, does). */
let collecting: boolean | undefined;
let asked: Promise<void> | undefined;
const askServer = () =>
  (asked ??= fetch('/v1/instance')
    .then((r) => r.json() as Promise<{ data?: { qoe?: boolean } }>)
    .then(
      (b) => {
        collecting = b.data?.qoe !== false;
      },
      () => {
        collecting = false;
      },
    ));

/** `/play/{playback_id}/…` → the playback id, CMCD's content id. */
export const playbackIdOf = (path: string) => /\/play\/([^/?]+)\//.exec(path)?.[1] ?? '';

/** Over `sendBeacon` when it takes it (it survives the page closing), else a keepalive fetch. */
async function post(url: string, body: string, type: string, beacon: boolean): Promise<number> {
  try {
    if (beacon && navigator.sendBeacon?.(url, new Blob([body], { type }))) return 204;
  } catch {
    // a type the browser will not beacon: fetch below
  }
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body, keepalive: true });
  return res.status;
}

export interface QoeSession {
  /** hls.js's `cmcd` setting for one hls.js of this session; it reports only while `active()`. */
  cmcd(active: () => boolean): CmcdConfig | undefined;
  /** The viewer pressed play before the stream could start: the wait counts from now. */
  playRequested(): void;
  /** The player goes away (a page closing or navigating elsewhere): the last beacon, unless `quiet`. */
  stop(quiet?: boolean): void;
}

const OFF: QoeSession = { cmcd: () => undefined, playRequested() {}, stop() {} };

/**
 * One view: one session id across every hls.js the player makes for it (a richer ladder taking
 * over gets a fresh hls.js on another element, see handoff.ts: same view). `root` holds the
 * player's video elements; `video` is the one shown.
 */
export function startQoe(
  playbackId: string,
  root: HTMLElement,
  video: () => HTMLVideoElement | null,
): QoeSession {
  if (!playbackId || viewerRefuses()) return OFF;
  void askServer();
  const sid = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  // performance.now() of the play request (0: none yet). A page that is opened and never played
  // is no view: nothing is sent before it.
  let requestedAt = 0;
  let started = false;
  let playingAt = 0;
  // When the first frame was shown: the compositor's time, where the browser tells
  // (requestVideoFrameCallback), which can be a frame before or after `playing` is dispatched.
  let shownAt: number | null = null;
  let frameShown: () => void = () => {};
  const shown = new Promise<void>((r) => {
    frameShown = r;
  });
  const request = () => {
    if (requestedAt) return;
    requestedAt = performance.now();
    video()?.requestVideoFrameCallback?.((now, frame) => {
      shownAt ??= frame.presentationTime ?? now;
      frameShown();
    });
  };
  // Media start delay, play request → first frame, sent once (CMCD `msd`) with the first report
  // after the first frame: it also covers a press on play before hls.js was even loaded, which
  // hls.js's own `s` state cannot see.
  let msdDue = true;
  const msd = async () => {
    // Not shown yet (a frame after `playing`): wait for it a little; a hidden tab shows none.
    if (shownAt === null) await Promise.race([shown, new Promise((r) => setTimeout(r, 500))]);
    const first = shownAt ?? (playingAt || null);
    // A frame composited a moment before the press (the paused picture) is no wait at all; no
    // frame and no `playing` yet: nothing to say (the server refuses a negative or missing delay).
    return first === null ? null : Math.max(0, Math.round(first - requestedAt));
  };
  let stopped = false;
  const reporting = () => {
    // Switched off mid-view: nothing more of this view, even if switched on again.
    if (!stopped && (!statisticsOn() || collecting === false)) stopped = true;
    return !stopped && requestedAt > 0;
  };

  // The page said it is closing: what follows in the closing (visibilitychange) is not news.
  let left = false;
  const beacon = (exit = false) => {
    const v = video();
    if (!v || left || !reporting()) return;
    left = exit;
    const q = v.getVideoPlaybackQuality?.();
    const px = devicePixelRatio || 1;
    const body = JSON.stringify({
      sid,
      cid: playbackId,
      ts: Date.now(),
      ...(v.videoWidth
        ? {
            video_width: v.videoWidth,
            video_height: v.videoHeight,
            player_width: Math.round(v.clientWidth * px),
            player_height: Math.round(v.clientHeight * px),
          }
        : {}),
      ...(q ? { dropped_frames: q.droppedVideoFrames, total_frames: q.totalVideoFrames } : {}),
      ...(exit ? { exit: true } : {}),
    });
    post(BEACON_TARGET, body, 'text/plain', true).catch(() => {});
  };
  // Picture or player size changed (a new rendition, fullscreen): the upscale factor may have.
  let pending: ReturnType<typeof setTimeout> | undefined;
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(() => started && beacon(), 1000);
  };

  // Captured on the player's root: these run before hls.js's own listeners on the element, so
  // the play request and the first frame are known when hls.js reports `s` and `p`.
  const listeners: Record<string, (e: Event) => void> = {
    play: request,
    playing: (e) => {
      if (started || e.target !== video()) return;
      started = true;
      playingAt = performance.now();
      beacon();
    },
    resize: soon,
  };
  for (const [type, fn] of Object.entries(listeners)) root.addEventListener(type, fn, true);
  const sized = new ResizeObserver(soon);
  sized.observe(root);
  const every = setInterval(() => !video()?.paused && beacon(), INTERVAL_S * 1000);
  const onHidden = () => document.visibilityState === 'hidden' && beacon();
  const onPageHide = () => beacon(true);
  // Back from the back/forward cache: the same view goes on.
  const onPageShow = (e: PageTransitionEvent) => {
    if (e.persisted) left = false;
  };
  document.addEventListener('visibilitychange', onHidden);
  addEventListener('pagehide', onPageHide);
  addEventListener('pageshow', onPageShow);

  const requester =
    (active: () => boolean): Requester =>
    async ({ url, body }) => {
      if (!active() || !reporting()) return OK;
      // A fresh hls.js taking over announces itself as preloading and starting; the viewer saw
      // no restart, so after the first frame those states are not the view's.
      const lines = String(body)
        .split('\n')
        .filter((l) => l && !(started && /(^|,)e=ps(,|$)/.test(l) && /(^|,)sta=[ds](,|$)/.test(l)));
      if (!lines.length) return OK;
      const delay = msdDue && started ? await msd() : null;
      const withMsd = delay !== null;
      if (withMsd) lines[0] += `,msd=${delay}`;
      await askServer();
      // Off on this server: 410 makes hls.js's reporter drop the target for good.
      if (!collecting) return { status: 410 };
      const status = await post(
        url,
        `${lines.join('\n')}\n`,
        'application/cmcd',
        document.visibilityState === 'hidden',
      ).catch(() => 0);
      const undelivered = status === 0 || status === 429 || status >= 500;
      // Not delivered: `msd` goes with the next report.
      if (withMsd && !undelivered) msdDue = false;
      // An undelivered report is dropped, not handed back: hls.js would queue it and send the whole
      // backlog again with every later event, and a struggling server would see the players
      // competing with their own segment requests for connections. Playback comes first.
      return undelivered ? OK : { status };
    };

  return {
    cmcd: (active) => ({
      version: 2,
      sessionId: sid,
      contentId: playbackId,
      // Media requests stay untouched: one cache key per segment.
      includeKeys: [],
      eventTargets: [
        { url: CMCD_TARGET, events: ['ps', 'e', 'bc', 't', 'pr'], interval: INTERVAL_S, batchSize: 1 },
      ],
      loader: requester(active),
    }),
    playRequested: request,
    stop(quiet = false) {
      if (!quiet) beacon(true);
      stopped = true;
      for (const [type, fn] of Object.entries(listeners)) root.removeEventListener(type, fn, true);
      sized.disconnect();
      clearInterval(every);
      clearTimeout(pending);
      document.removeEventListener('visibilitychange', onHidden);
      removeEventListener('pagehide', onPageHide);
      removeEventListener('pageshow', onPageShow);
    },
  };
}
