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
import { billedOwner, resolutionClass, type UsageSink } from '../usage/usage-records.ts';
import { givenUpOnOurSide, markErrored, markGivenUp, markReady } from './asset-state.ts';
import { encodeLadder, renditionNames } from './encode-ladder.ts';
import { HlsPublisher } from './hls-publisher.ts';
import { transcodeSpec } from './job-specs.ts';
import { chooseStrategy, passesFor, workPerMediaSecond } from './ladder-strategy.ts';
import type { Measured } from './master-playlist.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { AUDIO_RENDITION } from './renditions.ts';
import { makeStoryboard } from './storyboard.ts';

const TRANSCODE_MAX_ATTEMPTS = transcodeSpec.maxAttempts ?? 3;
const PROGRESS_WRITE_INTERVAL_MS = 1000;

/**
 * Encodes the ladder as keyframe-aligned CMAF HLS, in one or two concurrent ffmpeg passes (see
 * ladder-strategy.ts and encode-ladder.ts), publishing segments while ffmpeg writes them. The
 * asset turns `ready` as soon as a viewer starting then cannot catch up with the encoder of the
 * rungs offered (ready-rule.ts); the master playlist gains the other rungs the same way.
 */
export const transcodeJob = (deps: PipelineDeps) =>
  defineJob<{ assetId: string }>(transcodeSpec.type, {
    ...transcodeSpec,
    // No run-time limit from the pool: ffmpeg's own limit scales with the media's duration
    // (FRAMEHOUSE_TRANSCODE_TIMEOUT_FACTOR), so a long film is not cut short.
    timeoutMs: null,
    // The worker died on the last attempt (killed, out of memory): the handler could not say so.
    onDead: ({ assetId }) => markGivenUp(deps.db, assetId),
    async handler(ctx) {
      // The lifecycle rules removed the original (a redriven job of a finished asset): nothing
      // can be encoded again, and the ladder that plays must not be marked errored or removed.
      if ((await assetRecords.get(deps.db, ctx.payload.assetId))?.source_dropped_at)
        throw new PermanentJobError(new AppError('FH_ERR_SOURCE_DROPPED').message);
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
  const strategy = chooseStrategy(deps.ladderStrategy, predicted, {
    duration: info.duration,
    segmentSeconds: deps.segmentSeconds,
  });
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
  // Renditions already ready (an earlier attempt finished them) stay so: each turns ready, and is
  // metered, once.
  await assetRecords.updateRenditions(deps.db, asset.id, { status: 'processing' }, undefined, {
    unlessReady: true,
  });

  const progress = progressWriter(deps.db, asset.id);
  // Some sources (raw elementary streams) state no duration: budget from the size instead, as if
  // the media were 2 Mbit/s. And a duration the file merely claims is believed only up to what
  // its size could hold at 8 kbit/s, so a hostile header cannot buy an endless time limit.
  const mediaSeconds = Math.min(
    Math.max(info.duration, info.sizeBytes / 250_000),
    info.sizeBytes / 1000 + 60,
  );
  const timeoutMs = 60_000 + mediaSeconds * deps.transcodeTimeoutFactor * 1000;

  const { measured, wallSeconds } = await deps.store.withLocalFile(asset.source_key, (input) =>
    encodeLadder({
      store: deps.store,
      publisher,
      masterKey,
      ffmpegPath: deps.ffmpegPath,
      preset: deps.x264Preset,
      segmentSeconds: deps.segmentSeconds,
      input,
      workDir,
      plan,
      info,
      passes,
      // A retry of an asset people may already be watching: its published files stay as they
      // are until this attempt's are complete, rather than restart as partial playlists.
      holdBack: asset.status === 'ready',
      timeoutMs,
      signal,
      log,
      onProgress: (fraction) => progress.report(0.99 * fraction),
      onPlayable: async () => {
        await markReady(deps.db, asset.id);
      },
      onPassDone: async (names, measured) => {
        const turned = await markRenditionsReady(deps.db, asset.id, names, measured);
        meterEncoding(deps.usage, asset, plan, info.duration, turned);
        // An MP4 download waiting for these renditions can be made now.
        await deps.db.transaction().execute((trx) => syncDownloads(trx, deps.queue, asset.id));
      },
    }),
  );
  // The machine's throughput over all passes together: what one pass of the whole ladder would get.
  const work = passes.reduce((sum, p) => sum + workPerMediaSecond(p, info), 0);
  deps.throughput.observe(work, info.duration, wallSeconds);
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

/** The renditions of a finished pass, with the bandwidth their variant really needs. */
async function markRenditionsReady(
  db: Db,
  assetId: string,
  names: string[],
  measured: Measured,
): Promise<string[]> {
  const audio = measured.get(AUDIO_RENDITION);
  return db.transaction().execute(async (trx) => {
    const turned: string[] = [];
    for (const name of names) {
      const m = measured.get(name);
      if (!m) continue;
      // A variant's BANDWIDTH covers its video and the audio played with it.
      const withAudio =
        name === AUDIO_RENDITION || !audio
          ? m
          : { peak: m.peak + audio.peak, average: m.average + audio.average };
      const patch = {
        status: 'ready',
        bandwidth: Math.round(withAudio.peak),
        average_bandwidth: Math.round(withAudio.average),
      } as const;
      // Turned ready now (not before): this is where its encoding is counted.
      if ((await assetRecords.updateRenditions(trx, assetId, patch, name, { unlessReady: true })) > 0)
        turned.push(name);
      else await assetRecords.updateRenditions(trx, assetId, patch, name);
    }
    return turned;
  });
}

/** Encoding seconds (docs/usage.md): the asset's duration once per rendition that turned ready, in its class. */
function meterEncoding(
  usage: UsageSink | undefined,
  asset: { id: string; created_by: string | null },
  plan: LadderPlan,
  duration: number,
  turned: string[],
): void {
  if (!usage || !(duration > 0)) return;
  for (const name of turned) {
    const rung = plan.video.find((r) => r.name === name);
    usage.add({
      owner: billedOwner(asset.created_by),
      subjectKind: 'asset',
      subjectId: asset.id,
      metric: 'encoding_seconds',
      dimension: name === AUDIO_RENDITION || !rung ? 'audio' : resolutionClass(rung.width, rung.height),
      value: duration,
    });
  }
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
