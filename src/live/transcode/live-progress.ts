/**
 * A speed that reacts, from ffmpeg's `-progress` blocks (parsed by media/run-ffmpeg.ts's
 * progressBlocks): ffmpeg's own `speed=` is media time over wall time since it started, an
 * average that a live stream running for an hour would take many minutes to move.
 */

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
