import type { AssetRow } from '../db/schema.ts';
import { buildThumbnailArgs } from '../media/ffmpeg-args.ts';
import { runFfmpeg } from '../media/run-ffmpeg.ts';
import { AppError } from '../shared/errors.ts';
import { WorkLimiter } from '../shared/work-limiter.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';

const MAX_WIDTH = 3840;
const DEFAULT_WIDTH = 640;
const THUMBNAIL_TIMEOUT_MS = 30_000;
const MAX_RUNNING = 2;
const MAX_WAITING = 32;

/** The default frame: the middle of short clips, 10 s in for long ones (past most intros' black). */
export function posterTime(duration: number): number {
  return Math.min(duration / 2, 10);
}

/**
 * Thumbnails at `?time=&width=`: generated once with ffmpeg, then served from the store.
 * Time is rounded to 100 ms and width to 16 px, which keeps near-duplicates out of the cache
 * (it still grows with duration × widths asked for; signed playback will gate it). Concurrent
 * requests for the same frame share one ffmpeg run; at most two run at once, 32 wait.
 */
export class Thumbnailer {
  readonly #store: ObjectStore;
  readonly #ffmpegPath: string;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #limiter = new WorkLimiter(MAX_RUNNING, MAX_WAITING);

  constructor(deps: { store: ObjectStore; ffmpegPath: string }) {
    this.#store = deps.store;
    this.#ffmpegPath = deps.ffmpegPath;
  }

  /** Resolves the object key for a request, generating the image if it does not exist yet. */
  async ensure(asset: AssetRow, query: { time?: number; width?: number }): Promise<string> {
    if (asset.kind !== 'video' || asset.duration == null || !asset.width || asset.status === 'errored') {
      throw new AppError('FH_ERR_NOT_READY', 'Thumbnails exist once a video has been probed.');
    }
    const isDefault = query.time === undefined && query.width === undefined;
    const width = Math.min(
      roundTo(query.width ?? Math.min(DEFAULT_WIDTH, asset.width), 16),
      asset.width,
      MAX_WIDTH,
    );
    const timeMs =
      Math.round(
        clamp(query.time ?? posterTime(asset.duration), 0, Math.max(0, asset.duration - 0.05)) * 10,
      ) * 100;
    const key = isDefault
      ? mediaKeys.poster(asset.id)
      : mediaKeys.thumbnail(asset.id, timeMs, Math.max(16, width));
    if (await this.#store.stat(key)) return key;
    let job = this.#inFlight.get(key);
    if (!job) {
      job = this.#generate(asset, key, timeMs / 1000, Math.max(16, width)).finally(() =>
        this.#inFlight.delete(key),
      );
      this.#inFlight.set(key, job);
    }
    await job;
    return key;
  }

  async #generate(asset: AssetRow, key: string, time: number, width: number): Promise<void> {
    await this.#limiter.run(async () => {
      const jpeg = await this.#store.withLocalFile(asset.source_key, async (input) => {
        const grab = async (timeSeconds: number) => {
          const args = buildThumbnailArgs({ input, timeSeconds, width });
          const opts = { timeoutMs: THUMBNAIL_TIMEOUT_MS, collectStdout: 20 * 1024 * 1024 };
          return (await runFfmpeg(this.#ffmpegPath, args, opts)).stdout;
        };
        // The picture can end before the sound (the asset's duration is the longest stream):
        // past the last frame, fall back to the first one rather than answer nothing.
        const frame = await grab(time);
        return frame?.length || time === 0 ? frame : grab(0);
      });
      if (!jpeg || jpeg.length === 0) throw new AppError('FH_ERR_NOT_FOUND', 'No frame exists at this time.');
      await this.#store.put(key, jpeg);
    });
  }
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
const roundTo = (v: number, step: number) => Math.max(step, Math.round(v / step) * step);
