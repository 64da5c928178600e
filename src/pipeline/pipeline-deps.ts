import type { Db } from '../db/database.ts';
import type { AssetRow } from '../db/schema.ts';
import type { ImageLimits } from '../images/limits.ts';
import type { JobQueue } from '../queue/queue.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import type { UsageSink } from '../usage/usage-records.ts';
import type { LadderStrategy, ThroughputTracker } from './ladder-strategy.ts';

/**
 * Makes an asset's poster once it is playable: delivery's Thumbnailer (the same cache that
 * answers `thumbnail.jpg`), handed in by the composition root.
 */
export interface PosterMaker {
  ensure(asset: AssetRow, query: { time?: number; width?: number }): Promise<string>;
}

/** What the pipeline's job handlers need, and nothing more. */
export interface PipelineDeps {
  db: Db;
  queue: JobQueue;
  store: ObjectStore;
  thumbnails: PosterMaker;
  ffmpegPath: string;
  ffprobePath: string;
  /** Scratch space for ffmpeg's output before it is published. */
  workDir: string;
  x264Preset: string;
  segmentSeconds: number;
  ladderStrategy: LadderStrategy;
  /** This worker's measured encoding throughput, for the `auto` strategy. */
  throughput: ThroughputTracker;
  /** The transcode time limit is this many times the media's duration (plus a fixed minute). */
  transcodeTimeoutFactor: number;
  /** What an image source may declare before it is refused (checked from its header). */
  imageLimits: ImageLimits;
  /** Usage metering: encoding seconds, counted as each rendition turns ready. */
  usage?: UsageSink | undefined;
}
