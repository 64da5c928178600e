/**
 * Parsing ffmpeg's `-progress` output (key=value lines, each block ending in `progress=…`) and
 * turning it into a speed that reacts: ffmpeg's own `speed=` is media time over wall time since
 * it started, an average that a live stream running for an hour would take many minutes to move.
 */

/** Longest line we keep while waiting for its end: a hostile stream cannot grow it. */
const MAX_LINE = 4096;

export function progressBlocks(
  onBlock: (b: {
    outTimeSeconds: number | null;
    fps: number | null;
    speed: number | null;
    end: boolean;
  }) => void,
): (chunk: Buffer | string) => void {
  let partial = '';
  let outTime: number | null = null;
  let fps: number | null = null;
  let speed: number | null = null;
  return (chunk) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = (lines.pop() ?? '').slice(-MAX_LINE);
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      if (key === 'out_time_us' || (key === 'out_time_ms' && outTime === null)) {
        // out_time_ms is microseconds too (an old naming bug in ffmpeg)
        const us = Number(value);
        if (Number.isFinite(us) && us >= 0) outTime = us / 1e6;
      } else if (key === 'fps') {
        const x = Number.parseFloat(value);
        fps = Number.isFinite(x) ? x : null;
      } else if (key === 'speed') {
        const x = Number.parseFloat(value); // "1.02x" or "N/A"
        speed = Number.isFinite(x) ? x : null;
      } else if (key === 'progress') {
        onBlock({ outTimeSeconds: outTime, fps, speed, end: value === 'end' });
        outTime = null;
      }
    }
  };
}

/** Speed over a sliding window of (wall ms, media s) points. */
export class WindowedSpeed {
  private readonly points: { wallMs: number; media: number }[] = [];
  private readonly windowMs: number;
  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  add(wallMs: number, media: number): number | null {
    this.points.push({ wallMs, media });
    while (
      this.points.length > 2 &&
      wallMs - (this.points[1] as { wallMs: number }).wallMs >= this.windowMs
    ) {
      this.points.shift();
    }
    if (this.points.length > 1000) this.points.splice(0, this.points.length - 1000);
    const first = this.points[0] as { wallMs: number; media: number };
    const dt = (wallMs - first.wallMs) / 1000;
    if (dt < this.windowMs / 2000) return null;
    return (media - first.media) / dt;
  }

  reset(): void {
    this.points.length = 0;
  }
}
