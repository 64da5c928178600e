import { setTimeout as sleep } from 'node:timers/promises';
import type { LadderPlan } from '../media/ladder.ts';
import type { MediaInfo } from '../media/types.ts';
import type { JobLogger } from '../queue/jobs.ts';
import { isStorageFull } from '../shared/errors.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { encodePass } from './encode-pass.ts';
import { measureBandwidth } from './hls-playlists.ts';
import type { HlsPublisher, PublishedRendition } from './hls-publisher.ts';
import { decodesFast, workPerMediaSecond } from './ladder-strategy.ts';
import { type Measured, masterFor } from './master-playlist.ts';
import { type SpeedMeter, safeToStart } from './ready-rule.ts';
import { AUDIO_RENDITION } from './renditions.ts';

const PUBLISH_INTERVAL_MS = 300;
/**
 * The big pass yields the CPU to the small one beside it, which makes the asset playable: where
 * the scheduler shares the CPU per thread, its many encoder threads would otherwise starve the
 * small pass's one. It takes all the CPU once the small pass is done, so the total is the same.
 */
const BIG_PASS_NICENESS = 10;

export interface EncodeLadderOptions {
  store: ObjectStore;
  publisher: HlsPublisher;
  masterKey: string;
  ffmpegPath: string;
  preset: string;
  segmentSeconds: number;
  input: string;
  workDir: string;
  plan: LadderPlan;
  info: MediaInfo;
  /** The ffmpeg runs, each over some rungs (ladder-strategy.ts passesFor). */
  passes: LadderPlan[];
  /**
   * Publish each pass only once it is complete: a retry of an asset people may already be
   * watching keeps its published files as they are rather than restart as partial playlists.
   */
  holdBack: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  log: JobLogger;
  /** Share of the ladder's work done, 0…1. */
  onProgress: (fraction: number) => void;
  /** The first pass's rungs are in the master playlist: the asset can be played. Called once. */
  onPlayable: () => Promise<void>;
  /** A pass finished: its renditions are complete and published, with their measured bandwidth. */
  onPassDone: (renditions: string[], measured: Measured) => Promise<void>;
}

interface Run {
  plan: LadderPlan;
  names: string[];
  work: number;
  fraction: number;
  meter: SpeedMeter | null;
  /** In the master playlist: complete, or far enough ahead of a viewer starting now. */
  listed: boolean;
  finished: boolean;
}

/**
 * Encodes the passes of a ladder at the same time, publishing segments while ffmpeg writes them.
 * The lowest rung's pass is cheap and makes the asset playable within seconds; the big pass does
 * not wait for it: it yields the CPU to it while both run (the small one on one thread) and has
 * every core once it is done. A pass's rungs join the master playlist
 * as soon as a viewer starting then cannot catch up with its encoder at the pace it is measured to
 * go (ready-rule.ts), or when it is complete; the first pass's rungs (the lowest one and the
 * audio) come first. Returns every rendition's measured bandwidth and the wall time taken.
 */
export async function encodeLadder(
  o: EncodeLadderOptions,
): Promise<{ measured: Measured; wallSeconds: number }> {
  const { publisher, info } = o;
  const measured: Measured = new Map();
  const runs: Run[] = o.passes.map((plan) => ({
    plan,
    names: renditionNames(plan),
    work: workPerMediaSecond(plan, info),
    fraction: 0,
    meter: null,
    listed: false,
    finished: false,
  }));
  const totalWork = runs.reduce((a, r) => a + r.work, 0);
  let playable = false;
  let failed = false;

  const writeMaster = async () => {
    if (!runs[0]?.listed) return;
    const names = new Set(runs.filter((r) => r.listed).flatMap((r) => r.names));
    const listed: LadderPlan = {
      ...o.plan,
      video: o.plan.video.filter((r) => names.has(r.name)),
      audio: names.has(AUDIO_RENDITION) ? o.plan.audio : null,
    };
    const state = {
      encoding: runs.some((r) => r.listed && !r.finished),
      moreRungs: runs.some((r) => !r.listed),
    };
    await o.store.put(o.masterKey, masterFor(listed, measured, state));
    if (!playable) {
      playable = true;
      o.log.info(
        { publishedSeconds: minPublished(publisher.renditions()), speed: runs[0].meter?.speed },
        'playable',
      );
      await o.onPlayable();
    }
  };

  // The publisher's state is not shared between callers: one thing at a time.
  const serial = serialize();
  const tick = () =>
    serial(async () => {
      // After a failure a stopped ffmpeg may have closed its playlists early: publish no more.
      if (o.holdBack || failed) return;
      const published = await publisher.sync();
      let changed = false;
      for (const [i, run] of runs.entries()) {
        if (run.listed || !run.meter || (i > 0 && !runs[0]?.listed)) continue;
        const mine = published.filter((r) => run.names.includes(r.name));
        if (mine.some((r) => r.segments.length === 0)) continue;
        const safe = safeToStart({
          duration: info.duration,
          published: minPublished(mine),
          encoded: run.meter.encoded,
          speed: run.meter.speed,
          segmentSeconds: o.segmentSeconds,
        });
        if (!safe) continue;
        run.listed = true;
        changed = true;
        o.log.info(
          { renditions: run.names, publishedSeconds: minPublished(mine), speed: run.meter.speed },
          'listed while encoding',
        );
      }
      if (changed) await writeMaster();
    });
  const finishPass = (run: Run) =>
    serial(async () => {
      const only = new Set(run.names);
      const published = (await publisher.sync(only)).filter((r) => only.has(r.name));
      const unfinished = published.filter((r) => !r.ended || r.segments.length === 0).map((r) => r.name);
      if (unfinished.length) throw new Error(`ffmpeg ended without finishing ${unfinished.join(', ')}`);
      for (const r of published) measured.set(r.name, measureBandwidth(r.segments));
      run.listed = true;
      run.finished = true;
      await o.onPassDone(run.names, measured);
      await writeMaster();
    });

  const started = performance.now();
  const stopPasses = new AbortController();
  const stop = () => stopPasses.abort(o.signal.reason);
  o.signal.addEventListener('abort', stop, { once: true });
  let firstFailure: unknown = null;
  let encoding = true;
  const loop = (async () => {
    while (encoding && !o.signal.aborted) {
      await tick().catch((e) =>
        o.log.warn(
          { err: e, ...(isStorageFull(e) ? { code: 'FH_ERR_STORAGE_FULL' } : {}) },
          'publishing segments failed; will retry',
        ),
      );
      await sleep(PUBLISH_INTERVAL_MS);
    }
  })();
  try {
    const results = await Promise.allSettled(
      runs.map(async (run) => {
        try {
          const pass = encodePass({
            ffmpegPath: o.ffmpegPath,
            input: o.input,
            workDir: o.workDir,
            plan: run.plan,
            info,
            preset: o.preset,
            segmentSeconds: o.segmentSeconds,
            skipLoopFilter: decodesFast(run.plan, o.plan, info),
            // Two passes: the small first one (the early path) on one core, the big one yielding to it.
            singleThreaded: runs.length > 1 && run === runs[0],
            niceness: runs.length > 1 && run !== runs[0] ? BIG_PASS_NICENESS : 0,
            timeoutMs: o.timeoutMs,
            signal: stopPasses.signal,
            onProgress: (seconds) => {
              run.fraction = info.duration > 0 ? Math.min(1, seconds / info.duration) : 0;
              o.onProgress(runs.reduce((sum, r) => sum + r.work * r.fraction, 0) / totalWork);
            },
          });
          run.meter = pass.meter;
          await pass.done;
          await finishPass(run);
        } catch (e) {
          // One pass failing stops the others: the attempt is lost either way.
          failed = true;
          firstFailure ??= e;
          stopPasses.abort();
          throw e;
        }
      }),
    );
    if (results.some((r) => r.status === 'rejected')) throw firstFailure;
  } finally {
    encoding = false;
    o.signal.removeEventListener('abort', stop);
    await loop;
  }
  return { measured, wallSeconds: (performance.now() - started) / 1000 };
}

/** Runs calls one after another, in the order made. */
function serialize() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = last.then(fn, fn);
    last = next.catch(() => {});
    return next;
  };
}

export const renditionNames = (plan: LadderPlan) => [
  ...plan.video.map((r) => r.name),
  ...(plan.audio ? [AUDIO_RENDITION] : []),
];

const minPublished = (published: PublishedRendition[]) =>
  Math.min(...published.map((r) => r.publishedSeconds));
