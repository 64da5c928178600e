import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assetsRepo } from '../assets/assets.repo.ts';
import type { Db } from '../db/database.ts';
import { mediaKeys } from '../delivery/media-keys.ts';
import { recordEvent } from '../events/outbox.ts';
import { buildTranscodeArgs } from '../media/ffmpeg-args.ts';
import { type LadderPlan, planLadder } from '../media/ladder.ts';
import { ffmpegFilters, runFfmpeg } from '../media/run-ffmpeg.ts';
import { injectSphericalV1 } from '../media/spherical.ts';
import type { MediaInfo } from '../media/types.ts';
import { defineJob, type JobContext, PermanentJobError } from '../queue/jobs.ts';
import { AppError } from '../shared/errors.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { markErrored, markReady } from './asset-state.ts';
import { buildMasterPlaylist, measureBandwidth } from './hls-playlists.ts';
import { HlsPublisher, type PublishedRendition } from './hls-publisher.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { AUDIO_RENDITION } from './renditions.ts';
import { makeStoryboard } from './storyboard.ts';

export const TRANSCODE_MAX_ATTEMPTS = 3;
const PUBLISH_INTERVAL_MS = 300;
const PROGRESS_WRITE_INTERVAL_MS = 1000;

/**
 * One ffmpeg pass encodes every rung (keyframe-aligned CMAF HLS). While it runs, finished
 * segments are published and the asset turns `ready` as soon as playing it cannot catch up with
 * the encoder: once every rung has a segment and the published media covers
 * duration × (1 − speed), where speed is ffmpeg's own realtime factor. Faster than realtime
 * (the usual case) that is the first segment; slower, playback start waits just long enough.
 * This is way (b) of ARCHITECTURE.md with its fallback built into the same rule.
 */
export const transcodeJob = (deps: PipelineDeps) =>
  defineJob<{ assetId: string }>('transcode', {
    maxAttempts: TRANSCODE_MAX_ATTEMPTS,
    async handler(ctx) {
      try {
        await transcode(deps, ctx);
      } catch (e) {
        // The last attempt (or a time-out, which another attempt would repeat) ends the asset
        // as errored, with its partial outputs removed; earlier failures are retried.
        const permanent =
          e instanceof PermanentJobError || (e instanceof AppError && e.code === 'FH_ERR_MEDIA_TIMEOUT');
        if ((ctx.attempt >= TRANSCODE_MAX_ATTEMPTS || permanent) && !ctx.signal.aborted) {
          await markErrored(deps.db, ctx.payload.assetId, e);
          await removeOutputs(deps.store, ctx.payload.assetId);
          await removeWorkDirs(deps.workDir, ctx.payload.assetId);
          throw e instanceof PermanentJobError ? e : new PermanentJobError((e as Error).message);
        }
        throw e;
      }
    },
  });

async function transcode(
  deps: PipelineDeps,
  { payload, signal, log, attempt }: JobContext<{ assetId: string }>,
): Promise<void> {
  const asset = await assetsRepo.get(deps.db, payload.assetId);
  if (!asset || asset.status === 'errored') return;
  if (!asset.media_info) throw new PermanentJobError('asset was never probed');
  const info = JSON.parse(asset.media_info) as MediaInfo;
  const plan = planLadder(info);
  // A folder per attempt: an ffmpeg orphaned by a killed worker can never write into the
  // folder of the attempt that replaced it. Earlier attempts' folders go first.
  await removeWorkDirs(deps.workDir, asset.id);
  const workDir = join(deps.workDir, `${asset.id}-a${attempt}`);
  await mkdir(workDir, { recursive: true });

  const names = [...plan.video.map((r) => r.name), ...(plan.audio ? [AUDIO_RENDITION] : [])];
  const publisher = new HlsPublisher({
    store: deps.store,
    assetId: asset.id,
    workDir,
    renditions: names,
    // 360° sources: stamp the spherical metadata into each video rung's init segment.
    transformInit: info.is360
      ? (init, name) => (name === AUDIO_RENDITION ? init : injectSphericalV1(init))
      : undefined,
  });
  await assetsRepo.updateRenditions(deps.db, asset.id, { status: 'processing' });

  const live = {
    speed: null as number | null,
    outTime: 0,
    masterPublished: false,
    ready: asset.status === 'ready',
  };
  const publishTick = async () => {
    const published = await publisher.sync();
    if (!live.masterPublished && published.every((r) => r.segments.length > 0)) {
      await deps.store.put(mediaKeys.hls(asset.id, 'master.m3u8'), masterFor(plan, null));
      live.masterPublished = true;
    }
    if (live.masterPublished && !live.ready && safeToPlay(published, info.duration, live.speed)) {
      live.ready = true;
      await markReady(deps.db, asset.id);
      log.info({ publishedSeconds: minPublished(published), speed: live.speed }, 'playable');
    }
  };
  const publishing = publishLoop(publishTick, signal, log);
  const progress = progressWriter(deps.db, asset.id);

  // Some sources (raw elementary streams) state no duration: budget from the size instead,
  // as if the media were 2 Mbit/s.
  const mediaSeconds = Math.max(info.duration, info.sizeBytes / 250_000);
  const timeoutMs = 60_000 + mediaSeconds * deps.transcodeTimeoutFactor * 1000;
  try {
    await deps.store.withLocalFile(asset.source_key, async (input) =>
      runFfmpeg(
        deps.ffmpegPath,
        buildTranscodeArgs({
          input,
          outDir: workDir,
          plan,
          info,
          preset: deps.x264Preset,
          segmentSeconds: deps.segmentSeconds,
          // HDR (PQ/HLG) phone clips look washed out on SDR screens unless tone-mapped.
          tonemap: info.video?.hdr ? await hasZscale(deps.ffmpegPath) : false,
        }),
        {
          signal,
          timeoutMs,
          onProgress: (p) => {
            live.outTime = p.outTimeSeconds;
            if (p.speed !== null && p.outTimeSeconds > 1) live.speed = p.speed;
            progress.report(info.duration > 0 ? Math.min(0.99, p.outTimeSeconds / info.duration) : 0);
          },
        },
      ),
    );
  } catch (e) {
    // ffmpeg ends its playlists even when killed: publish nothing more from this attempt.
    await publishing.stop();
    throw e;
  }
  await publishing.stop();
  const published = await publisher.sync();
  const unfinished = published.filter((r) => !r.ended || r.segments.length === 0).map((r) => r.name);
  if (unfinished.length) throw new Error(`ffmpeg ended without finishing ${unfinished.join(', ')}`);

  const measured = measuredBandwidths(published);
  await deps.store.put(mediaKeys.hls(asset.id, 'master.m3u8'), masterFor(plan, measured));
  await removeStale(
    deps.store,
    asset.id,
    new Set([...publisher.publishedKeys(), mediaKeys.hls(asset.id, 'master.m3u8')]),
  );

  // Poster and storyboard: useful, not essential. A failure here is logged, not fatal.
  const lowest = plan.video.at(-1);
  if (lowest) {
    const { name: rendition, width, height } = lowest;
    await makeStoryboard({
      deps,
      assetId: asset.id,
      workDir,
      rendition,
      width,
      height,
      duration: info.duration,
      signal,
    }).catch((e) => log.warn({ err: e }, 'storyboard failed'));
    const fresh = await assetsRepo.get(deps.db, asset.id);
    if (fresh) await deps.thumbnails.ensure(fresh, {}).catch((e) => log.warn({ err: e }, 'poster failed'));
  }

  const stillThere = await finish(deps.db, asset.id, measured);
  if (!stillThere) await removeOutputs(deps.store, asset.id); // deleted while we worked
  await rm(workDir, { recursive: true, force: true });
}

/** Every rung has a segment, and the published media stays ahead of a viewer starting now. */
export function safeToPlay(published: PublishedRendition[], duration: number, speed: number | null): boolean {
  if (published.some((r) => r.segments.length === 0)) return false;
  if (speed === null) return false;
  // 10% margin on the measured speed: ffmpeg's early readings run high.
  const needed = duration * (1 - speed * 0.9);
  return minPublished(published) >= needed;
}

const minPublished = (published: PublishedRendition[]) =>
  Math.min(...published.map((r) => r.publishedSeconds));

type Measured = Map<string, { peak: number; average: number }>;

function measuredBandwidths(published: PublishedRendition[]): Measured {
  return new Map(published.map((r) => [r.name, measureBandwidth(r.segments)]));
}

/** The master playlist from the plan's estimates, or from measured segment sizes once known. */
function masterFor(plan: LadderPlan, measured: Measured | null): string {
  const audioMeasured = measured?.get(AUDIO_RENDITION);
  const audio = plan.audio
    ? {
        name: AUDIO_RENDITION,
        codecs: plan.audio.codecs,
        channels: plan.audio.channels,
        bandwidth: audioMeasured?.peak ?? plan.audio.bitrate * 1.1,
        averageBandwidth: audioMeasured?.average,
      }
    : null;
  const video = plan.video.map((r) => {
    const m = measured?.get(r.name);
    return {
      name: r.name,
      width: r.width,
      height: r.height,
      fps: r.fps,
      codecs: r.codecs,
      bandwidth: m?.peak ?? r.maxrate * 1.1,
      averageBandwidth: m?.average,
    };
  });
  return buildMasterPlaylist(video, audio);
}

async function finish(db: Db, assetId: string, measured: Measured): Promise<boolean> {
  const audio = measured.get(AUDIO_RENDITION);
  return db.transaction().execute(async (trx) => {
    const asset = await assetsRepo.get(trx, assetId);
    if (!asset) return false;
    for (const [name, m] of measured) {
      // A variant's BANDWIDTH covers its video and the audio played with it.
      const withAudio =
        name === AUDIO_RENDITION || !audio
          ? m
          : { peak: m.peak + audio.peak, average: m.average + audio.average };
      await assetsRepo.updateRenditions(
        trx,
        assetId,
        {
          status: 'ready',
          bandwidth: Math.round(withAudio.peak),
          average_bandwidth: Math.round(withAudio.average),
        },
        name,
      );
    }
    await assetsRepo.update(trx, assetId, { progress: 1 });
    if (asset.status !== 'ready') {
      await assetsRepo.update(trx, assetId, { status: 'ready' });
      await recordEvent(trx, 'asset.ready', assetId, { duration: asset.duration });
    }
    await recordEvent(trx, 'asset.renditions.ready', assetId, { renditions: [...measured.keys()] });
    return true;
  });
}

let zscale: Promise<boolean> | undefined;
/** Whether this ffmpeg has the zscale filter (libzimg) the HDR → SDR tone mapping needs; asked once. */
function hasZscale(ffmpegPath: string): Promise<boolean> {
  zscale ??= ffmpegFilters(ffmpegPath).then((f) => f.has('zscale'));
  return zscale;
}

async function removeWorkDirs(root: string, assetId: string): Promise<void> {
  const entries = await readdir(root).catch((): string[] => []);
  await Promise.all(
    entries
      .filter((e) => e.startsWith(`${assetId}-a`))
      .map((e) => rm(join(root, e), { recursive: true, force: true })),
  );
}

async function removeOutputs(store: ObjectStore, assetId: string): Promise<void> {
  await store.deletePrefix(mediaKeys.hlsPrefix(assetId));
  await store.deletePrefix(mediaKeys.imagesPrefix(assetId));
}

/** Anything under the asset's HLS folder that this attempt did not write is a leftover: remove it. */
async function removeStale(store: ObjectStore, assetId: string, keep: Set<string>): Promise<void> {
  for (const key of await store.list(mediaKeys.hlsPrefix(assetId))) {
    if (!keep.has(key)) await store.delete(key);
  }
}

/** Runs `tick` every PUBLISH_INTERVAL_MS, one at a time, until stopped. */
function publishLoop(
  tick: () => Promise<void>,
  signal: AbortSignal,
  log: { warn: (o: object, m?: string) => void },
) {
  let stopped = false;
  const done = (async () => {
    while (!stopped && !signal.aborted) {
      try {
        await tick();
      } catch (e) {
        log.warn({ err: e }, 'publishing segments failed; will retry');
      }
      await sleep(PUBLISH_INTERVAL_MS);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** Writes the asset's progress at most once a second: enough for a progress bar, cheap for the database. */
function progressWriter(db: Db, assetId: string) {
  let last = 0;
  return {
    report(fraction: number) {
      const now = Date.now();
      if (now - last < PROGRESS_WRITE_INTERVAL_MS) return;
      last = now;
      void assetsRepo.update(db, assetId, { progress: Math.round(fraction * 1000) / 1000 }).catch(() => {});
    },
  };
}
