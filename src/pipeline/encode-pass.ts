import { buildTranscodeArgs } from '../media/ffmpeg-args.ts';
import type { LadderPlan } from '../media/ladder.ts';
import { ffmpegFilters, runFfmpeg } from '../media/run-ffmpeg.ts';
import type { MediaInfo } from '../media/types.ts';
import { SpeedMeter } from './ready-rule.ts';

export interface PassOptions {
  ffmpegPath: string;
  input: string;
  workDir: string;
  plan: LadderPlan;
  info: MediaInfo;
  preset: string;
  segmentSeconds: number;
  /** This pass only feeds small rungs from a clean source: decode without the loop filter. */
  skipLoopFilter: boolean;
  /**
   * A small pass beside a big one: one thread throughout (the big one fills the other cores).
   * `niceness`: the big one beside a small one yields to it, so the small one keeps its pace.
   */
  singleThreaded: boolean;
  niceness: number;
  timeoutMs: number;
  signal: AbortSignal;
  /** Media seconds written so far, after each progress reading of ffmpeg. */
  onProgress: (outTimeSeconds: number) => void;
}

/**
 * One ffmpeg run over some rungs of the ladder. `meter` follows its pace from ffmpeg's progress
 * output while it runs; publishing is the caller's (one loop for every pass of a job).
 */
export function encodePass(o: PassOptions): { meter: SpeedMeter; done: Promise<{ wallSeconds: number }> } {
  const started = performance.now();
  const meter = new SpeedMeter(started);
  const done = (async () => {
    const args = buildTranscodeArgs({
      input: o.input,
      outDir: o.workDir,
      plan: o.plan,
      info: o.info,
      preset: o.preset,
      segmentSeconds: o.segmentSeconds,
      skipLoopFilter: o.skipLoopFilter,
      singleThreaded: o.singleThreaded,
      // HDR (PQ/HLG) phone clips look washed out on SDR screens unless tone-mapped.
      tonemap: o.info.video?.hdr ? await hasZscale(o.ffmpegPath) : false,
    });
    await runFfmpeg(o.ffmpegPath, args, {
      signal: o.signal,
      timeoutMs: o.timeoutMs,
      niceness: o.niceness,
      onProgress: (p) => {
        meter.add(p.outTimeSeconds);
        o.onProgress(p.outTimeSeconds);
      },
    });
    return { wallSeconds: (performance.now() - started) / 1000 };
  })();
  return { meter, done };
}

let zscale: Promise<boolean> | undefined;
/** Whether this ffmpeg has the zscale filter (libzimg) the HDR → SDR tone mapping needs; asked once. */
function hasZscale(ffmpegPath: string): Promise<boolean> {
  zscale ??= ffmpegFilters(ffmpegPath).then((f) => f.has('zscale'));
  return zscale;
}
