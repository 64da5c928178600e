/**
 * Moving a playing video onto another stream without a visible stall: a second, invisible video
 * element (same size, so hls.js picks the same qualities) loads the new stream a little ahead of
 * the current position; once it can play there, the visible one plays up to that moment, and the
 * two are exchanged on that frame. What the viewer sees is at most a frame or two held.
 */

/** Seconds ahead of the current position the prepared element waits; doubled after each miss. */
const LEAD_SECONDS = 2;
const ATTEMPTS = 4;
/** Buffered ahead of the meeting point before the exchange, so the new one does not stall next. */
const READY_AHEAD_SECONDS = 1.5;
/** A stream that cannot play a moment within this long is not going to: the old one plays on. */
const GIVE_UP_MS = 20_000;

export interface HandoffOptions {
  from: HTMLVideoElement;
  to: HTMLVideoElement;
  /** Load the new stream into `to`, starting at `position` (seconds). */
  load: (position: number) => void;
  /** Seek the new stream to `position` (a later one, after a miss). */
  seek: (position: number) => void;
  /** The exchange: make `to` the visible, active element. Called once, on the meeting frame. */
  swap: () => void;
  signal: AbortSignal;
}

/** Resolves once `to` plays in place of `from`; throws when it could not be prepared in time. */
export async function handoff(o: HandoffOptions): Promise<void> {
  const { from, to } = o;
  to.muted = true;
  let lead = LEAD_SECONDS;
  let meet = from.currentTime + lead;
  o.load(meet);
  for (let attempt = 1; ; attempt++) {
    await canPlayAt(to, meet, from, o.signal);
    if (from.paused) {
      // Paused: exchange at once, at the paused frame.
      o.seek(from.currentTime);
      await canPlayAt(to, from.currentTime, null, o.signal);
      exchange(o);
      return;
    }
    if (from.currentTime < meet - 0.02) break;
    // i18n-ignore: a reason for the console only (ladder-watch.ts logs it; the player plays on)
    if (attempt >= ATTEMPTS) throw new Error('the new stream was not ready in time');
    lead *= 2;
    meet = from.currentTime + lead;
    o.seek(meet);
  }
  await reach(from, meet, o.signal);
  exchange(o);
}

function exchange(o: HandoffOptions): void {
  const { from, to } = o;
  to.volume = from.volume;
  to.playbackRate = from.playbackRate;
  if (!from.paused) void to.play().catch(() => {});
  o.swap();
  to.muted = from.muted;
  from.pause();
}

/**
 * Waits until `video` shows the frame at `time` with READY_AHEAD_SECONDS buffered after it; gives
 * up early (resolves) when `race` has already passed `time`, so the caller can try further on.
 */
async function canPlayAt(
  video: HTMLVideoElement,
  time: number,
  race: HTMLVideoElement | null,
  signal: AbortSignal,
): Promise<void> {
  const ready = () => {
    if (video.readyState < HTMLMediaElement.HAVE_FUTURE_DATA || Math.abs(video.currentTime - time) > 0.25)
      return false;
    const b = video.buffered;
    for (let i = 0; i < b.length; i++) {
      if (b.start(i) <= time + 0.05 && b.end(i) >= Math.min(time + READY_AHEAD_SECONDS, video.duration - 0.1))
        return true;
    }
    return false;
  };
  const deadline = performance.now() + GIVE_UP_MS;
  while (!ready()) {
    if (signal.aborted) throw new Error('aborted');
    // i18n-ignore: a reason for the console only (ladder-watch.ts logs it; the player plays on)
    if (performance.now() > deadline) throw new Error('the new stream did not load');
    if (race && race.currentTime >= time - 0.02) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves on the first frame of `video` at or past `time` (per frame where the browser tells). */
function reach(video: HTMLVideoElement, time: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const frame = 1 / 60;
    const check = (t: number) => t >= time - frame;
    if (video.requestVideoFrameCallback) {
      const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
        if (signal.aborted) reject(new Error('aborted'));
        // The frame after this one would overshoot: exchange now.
        else if (check(meta.mediaTime + frame) || video.paused) resolve();
        else video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    } else {
      const timer = setInterval(() => {
        if (signal.aborted || check(video.currentTime) || video.paused) {
          clearInterval(timer);
          if (signal.aborted) reject(new Error('aborted'));
          else resolve();
        }
      }, 10);
    }
  });
}
