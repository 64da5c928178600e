import { setTimeout as sleep } from 'node:timers/promises';
import { buildTranscodeArgs } from '../media/ffmpeg-args.ts';
import type { LadderPlan } from '../media/ladder.ts';
import { ffmpegFilters, runFfmpeg } from '../media/run-ffmpeg.ts';
import type { MediaInfo } from '../media/types.ts';
import type { JobLogger } from '../queue/jobs.ts';

const PUBLISH_INTERVAL_MS = 300;

export interface PassOptions {
  ffmpegPath: string;
  input: string;
  workDir: string;
  plan: LadderPlan;
  info: MediaInfo;
  preset: string;
  segmentSeconds: number;
  timeoutMs: number;
  signal: AbortSignal;
  log: JobLogger;
  /** Called every few hundred milliseconds while ffmpeg runs, one call at a time. */
  onTick: (speed: number | null) => Promise<void>;
  /** Media seconds written so far. */
  onProgress: (outTimeSeconds: number) => void;
}

/**
 * One ffmpeg run over some rungs of the ladder, with a publishing loop beside it. Nothing is
 * ticked after ffmpeg exits (a stopped ffmpeg may have ended its playlists early): the caller
 * publishes the final state itself, only when the pass succeeded.
 */
export async function encodePass(o: PassOptions): Promise<{ wallSeconds: number }> {
  const started = performance.now();
  let speed: number | null = null;
  let stopped = false;
  const loop = (async () => {
    while (!stopped && !o.signal.aborted) {
      try {
        await o.onTick(speed);
      } catch (e) {
        o.log.warn({ err: e }, 'publishing segments failed; will retry');
      }
      await sleep(PUBLISH_INTERVAL_MS);
    }
  })();
  try {
    const args = buildTranscodeArgs({
      input: o.input,
      outDir: o.workDir,
      plan: o.plan,
      info: o.info,
      preset: o.preset,
      segmentSeconds: o.segmentSeconds,
      // HDR (PQ/HLG) phone clips look washed out on SDR screens unless tone-mapped.
      tonemap: o.info.video?.hdr ? await hasZscale(o.ffmpegPath) : false,
    });
    await runFfmpeg(o.ffmpegPath, args, {
      signal: o.signal,
      timeoutMs: o.timeoutMs,
      onProgress: (p) => {
        // ffmpeg's first readings are noisy: trust the speed after a second of media.
        if (p.speed !== null && p.outTimeSeconds > 1) speed = p.speed;
        o.onProgress(p.outTimeSeconds);
      },
    });
  } finally {
    stopped = true;
    await loop;
  }
  return { wallSeconds: (performance.now() - started) / 1000 };
}

let zscale: Promise<boolean> | undefined;
/** Whether this ffmpeg has the zscale filter (libzimg) the HDR → SDR tone mapping needs; asked once. */
function hasZscale(ffmpegPath: string): Promise<boolean> {
  zscale ??= ffmpegFilters(ffmpegPath).then((f) => f.has('zscale'));
  return zscale;
}
