import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assetRecords } from '../assets/asset-records.ts';
import type { Db } from '../db/database.ts';
import { syncDownloads } from '../downloads/downloads.service.ts';
import { recordEvent } from '../events/outbox.ts';
import { type LadderPlan, planLadder } from '../media/ladder.ts';
import { injectSphericalV1 } from '../media/spherical.ts';
import type { MediaInfo } from '../media/types.ts';
import { defineJob, type JobContext, PermanentJobError } from '../queue/jobs.ts';
import { AppError } from '../shared/errors.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { givenUpOnOurSide, markErrored, markGivenUp, markReady } from './asset-state.ts';
import { encodePass } from './encode-pass.ts';
import { measureBandwidth } from './hls-playlists.ts';
import { HlsPublisher, type PublishedRendition } from './hls-publisher.ts';
import { transcodeSpec } from './job-specs.ts';
import { chooseStrategy, passesFor, workPerMediaSecond } from './ladder-strategy.ts';
import { type Measured, masterFor } from './master-playlist.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { AUDIO_RENDITION } from './renditions.ts';
import { makeStoryboard } from './storyboard.ts';

const TRANSCODE_MAX_ATTEMPTS = transcodeSpec.maxAttempts ?? 3;
const PROGRESS_WRITE_INTERVAL_MS = 1000;

/**
 * Encodes the ladder as keyframe-aligned CMAF HLS, in one or two ffmpeg passes (see
 * ladder-strategy.ts), publishing segments while ffmpeg writes them. The asset turns `ready`
 * as soon as playing it cannot catch up with the encoder: every rung of the first pass has a
 * segment and the published media covers duration × (1 − speed), speed being ffmpeg's own
 * realtime factor. The master playlist is rewritten as each pass's rungs land.
 */
export const transcodeJob = (deps: PipelineDeps) =>
  defineJob<{ assetId: string }>(transcodeSpec.type, {
    ...transcodeSpec,
    // The worker died on the last attempt (killed, out of memory): the handler could not say so.
    onDead: ({ assetId }) => markGivenUp(deps.db, assetId),
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
  const asset = await assetRecords.get(deps.db, payload.assetId);
  if (!asset) {
    // Deleted while queued or during an earlier attempt: remove what that attempt left.
    await removeOutputs(deps.store, payload.assetId);
    await removeWorkDirs(deps.workDir, payload.assetId);
    return;
  }
  if (asset.status === 'errored' && !givenUpOnOurSide(asset)) return;
  if (givenUpOnOurSide(asset)) {
    // A redrive after we gave up: processing again, with the old failure cleared.
    await assetRecords.update(deps.db, asset.id, { status: 'processing', errors: '[]' });
  }
  if (!asset.media_info) throw new PermanentJobError('asset was never probed');
  const info = JSON.parse(asset.media_info) as MediaInfo;
  const plan = planLadder(info);
  // A folder per attempt: an ffmpeg orphaned by a killed worker can never write into the
  // folder of the attempt that replaced it. Earlier attempts' folders go first.
  await removeWorkDirs(deps.workDir, asset.id);
  const workDir = join(deps.workDir, `${asset.id}-a${attempt}`);
  await mkdir(workDir, { recursive: true });

  const predicted = deps.throughput.predictSpeed(workPerMediaSecond(plan, info));
  const strategy = chooseStrategy(deps.ladderStrategy, predicted);
  const passes = passesFor(plan, strategy);
  log.info({ strategy, predictedSpeed: predicted, passes: passes.map(renditionNames) }, 'encoding');

  const publisher = new HlsPublisher({
    store: deps.store,
    assetId: asset.id,
    workDir,
    renditions: renditionNames(plan),
    // 360° sources: stamp the spherical metadata into each video rung's init segment.
    transformInit: info.is360
      ? (init, name) => (name === AUDIO_RENDITION ? init : injectSphericalV1(init))
      : undefined,
  });
  const masterKey = mediaKeys.hls(asset.id, 'master.m3u8');
  await assetRecords.updateRenditions(deps.db, asset.id, { status: 'processing' });

  const progress = progressWriter(deps.db, asset.id);
  const passWork = passes.map((p) => workPerMediaSecond(p, info));
  const totalWork = passWork.reduce((a, b) => a + b, 0);
  // Some sources (raw elementary streams) state no duration: budget from the size instead, as if
  // the media were 2 Mbit/s. And a duration the file merely claims is believed only up to what
  // its size could hold at 8 kbit/s, so a hostile header cannot buy an endless time limit.
  const mediaSeconds = Math.min(
    Math.max(info.duration, info.sizeBytes / 250_000),
    info.sizeBytes / 1000 + 60,
  );
  const timeoutMs = 60_000 + mediaSeconds * deps.transcodeTimeoutFactor * 1000;

  const wasPlayable = asset.status === 'ready';
  let ready = wasPlayable;
  let workDone = 0;
  const measured: Measured = new Map();
  const landed: LadderPlan = { ...plan, video: [], audio: null };

  for (const [i, pass] of passes.entries()) {
    const names = renditionNames(pass);
    const ofPass = (all: PublishedRendition[]) => all.filter((r) => names.includes(r.name));
    let masterPublished = false;
    const { wallSeconds } = await deps.store.withLocalFile(asset.source_key, (input) =>
      encodePass({
        ffmpegPath: deps.ffmpegPath,
        input,
        workDir,
        plan: pass,
        info,
        preset: deps.x264Preset,
        segmentSeconds: deps.segmentSeconds,
        timeoutMs,
        signal,
        log,
        onTick: async (speed) => {
          // A retry of an asset people may already be watching: its published files stay as
          // they are until this attempt's are complete, rather than restart as partial playlists.
          if (wasPlayable) return;
          const published = ofPass(await publisher.sync());
          // Only the first pass makes the asset playable; later rungs join the master when complete.
          if (i > 0 || ready) return;
          if (!masterPublished && published.every((r) => r.segments.length > 0)) {
            await deps.store.put(masterKey, masterFor(pass, null));
            masterPublished = true;
          }
          if (masterPublished && safeToPlay(published, info.duration, speed)) {
            ready = true;
            await markReady(deps.db, asset.id);
            log.info({ publishedSeconds: minPublished(published), speed }, 'playable');
          }
        },
        onProgress: (seconds) => {
          const fraction = info.duration > 0 ? Math.min(1, seconds / info.duration) : 0;
          progress.report((0.99 * (workDone + (passWork[i] ?? 0) * fraction)) / totalWork);
        },
      }),
    );
    deps.throughput.observe(passWork[i] ?? 0, info.duration, wallSeconds);

    const published = ofPass(await publisher.sync());
    const unfinished = published.filter((r) => !r.ended || r.segments.length === 0).map((r) => r.name);
    if (unfinished.length) throw new Error(`ffmpeg ended without finishing ${unfinished.join(', ')}`);
    for (const r of published) measured.set(r.name, measureBandwidth(r.segments));
    landed.video = plan.video.filter((r) => measured.has(r.name));
    landed.audio = measured.has(AUDIO_RENDITION) ? plan.audio : null;
    await deps.store.put(masterKey, masterFor(landed, measured));
    await markRenditionsReady(deps.db, asset.id, names, measured);
    // An MP4 download waiting for these renditions can be made now.
    await deps.db.transaction().execute((trx) => syncDownloads(trx, deps.queue, asset.id));
    if (!ready) {
      await markReady(deps.db, asset.id);
      ready = true;
    }
    workDone += passWork[i] ?? 0;
  }
  await removeStale(deps.store, asset.id, new Set([...publisher.publishedKeys(), masterKey]));

  const stillThere = await finish(deps.db, asset.id, [...measured.keys()]);
  if (!stillThere) {
    await removeOutputs(deps.store, asset.id); // deleted while we worked
  } else {
    await makeImages(deps, asset.id, plan, info, workDir, signal, log);
    // The asset is ready before its images are made: deleted meanwhile, they would outlive it.
    if (!(await assetRecords.get(deps.db, asset.id))) await removeOutputs(deps.store, asset.id);
  }
  await rm(workDir, { recursive: true, force: true });
}

/** Every rung has a segment, and the published media stays ahead of a viewer starting now. */
export function safeToPlay(published: PublishedRendition[], duration: number, speed: number | null): boolean {
  if (published.length === 0 || published.some((r) => r.segments.length === 0)) return false;
  if (speed === null) return false;
  // 10% margin on the measured speed: ffmpeg's early readings run high.
  const needed = duration * (1 - speed * 0.9);
  return minPublished(published) >= needed;
}

const minPublished = (published: PublishedRendition[]) =>
  Math.min(...published.map((r) => r.publishedSeconds));

const renditionNames = (plan: LadderPlan) => [
  ...plan.video.map((r) => r.name),
  ...(plan.audio ? [AUDIO_RENDITION] : []),
];

/** The renditions of a finished pass, with the bandwidth their variant really needs. */
async function markRenditionsReady(
  db: Db,
  assetId: string,
  names: string[],
  measured: Measured,
): Promise<void> {
  const audio = measured.get(AUDIO_RENDITION);
  await db.transaction().execute(async (trx) => {
    for (const name of names) {
      const m = measured.get(name);
      if (!m) continue;
      // A variant's BANDWIDTH covers its video and the audio played with it.
      const withAudio =
        name === AUDIO_RENDITION || !audio
          ? m
          : { peak: m.peak + audio.peak, average: m.average + audio.average };
      await assetRecords.updateRenditions(
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
  });
}

async function finish(db: Db, assetId: string, renditions: string[]): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await assetRecords.update(trx, assetId, { progress: 1 }))) return false;
    await recordEvent(trx, 'asset.renditions.ready', assetId, { renditions });
    return true;
  });
}

/** Poster and storyboard: useful, not essential. A failure here is logged, not fatal. */
async function makeImages(
  deps: PipelineDeps,
  assetId: string,
  plan: LadderPlan,
  info: MediaInfo,
  workDir: string,
  signal: AbortSignal,
  log: JobContext<unknown>['log'],
): Promise<void> {
  const lowest = plan.video.at(-1);
  if (!lowest) return;
  const { name: rendition, width, height } = lowest;
  await makeStoryboard({
    deps,
    assetId,
    workDir,
    rendition,
    width,
    height,
    duration: info.duration,
    signal,
  }).catch((e) => log.warn({ err: e }, 'storyboard failed'));
  const asset = await assetRecords.get(deps.db, assetId);
  if (asset) await deps.thumbnails.ensure(asset, {}).catch((e) => log.warn({ err: e }, 'poster failed'));
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

/** Writes the asset's progress at most once a second: enough for a progress bar, cheap for the database. */
function progressWriter(db: Db, assetId: string) {
  let last = 0;
  return {
    report(fraction: number) {
      const now = Date.now();
      if (now - last < PROGRESS_WRITE_INTERVAL_MS) return;
      last = now;
      void assetRecords.update(db, assetId, { progress: Math.round(fraction * 1000) / 1000 }).catch(() => {});
    },
  };
}
