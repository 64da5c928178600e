import { join } from 'node:path';
import { AssetsService } from '../assets/assets.service.ts';
import { TracksService } from '../captions/tracks.service.ts';
import type { Config } from '../config/config.ts';
import { Thumbnailer } from '../delivery/thumbnails.ts';
import type { ImageLimits } from '../images/limits.ts';
import { pipelineJobs } from '../pipeline/index.ts';
import { ThroughputTracker } from '../pipeline/ladder-strategy.ts';
import type { JobRegistry } from '../queue/jobs.ts';
import type { UsageSink } from '../usage/usage-records.ts';
import type { Infrastructure } from './infrastructure.ts';

/**
 * Video on demand: the assets service (every role) with its subtitle and caption tracks, and the
 * thumbnailer, which delivery serves thumbnails from and the pipeline makes posters with.
 */
export function vodServices(config: Config, { db, queue, store }: Infrastructure) {
  const tracks = new TracksService({ db, store });
  const assets = new AssetsService({ db, queue, tracks, trashDays: config.trashDays });
  return {
    assets,
    tracks,
    thumbnails: new Thumbnailer({
      store,
      ffmpegPath: config.ffmpegPath,
      renditions: (assetId) => assets.renditionRows(assetId),
    }),
  };
}

export type VodServices = ReturnType<typeof vodServices>;

/** The pipeline's jobs (probe, transcode, cleanup), for roles with job slots. */
export function vodJobs(
  config: Config,
  { db, queue, store }: Infrastructure,
  { thumbnails }: VodServices,
  imageLimits: ImageLimits,
  usage?: UsageSink,
): JobRegistry {
  return pipelineJobs({
    db,
    queue,
    store,
    thumbnails,
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    workDir: join(config.dataDir, 'work'),
    x264Preset: config.x264Preset,
    segmentSeconds: config.segmentSeconds,
    transcodeTimeoutFactor: config.transcodeTimeoutFactor,
    imageLimits,
    ladderStrategy: config.ladderStrategy,
    throughput: new ThroughputTracker(),
    usage,
  });
}
