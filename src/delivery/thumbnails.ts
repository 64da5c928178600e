import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AssetRow, RenditionRow } from '../db/schema.ts';
import { buildThumbnailArgs } from '../media/ffmpeg-args.ts';
import { runFfmpeg } from '../media/run-ffmpeg.ts';
import { writeRenditionExcerpt } from '../pipeline/rendition-file.ts';
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
  readonly #renditions: ((assetId: string) => Promise<RenditionRow[]>) | undefined;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #limiter = new WorkLimiter(MAX_RUNNING, MAX_WAITING);

  constructor(deps: {
    store: ObjectStore;
    ffmpegPath: string;
    /** An asset's renditions: frames come from them once the original is dropped. */
    renditions?: (assetId: string) => Promise<RenditionRow[]>;
  }) {
    this.#store = deps.store;
    this.#ffmpegPath = deps.ffmpegPath;
    this.#renditions = deps.renditions;
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
      const grab = async (input: string, timeSeconds: number) => {
        const args = buildThumbnailArgs({ input, timeSeconds, width });
        const opts = { timeoutMs: THUMBNAIL_TIMEOUT_MS, collectStdout: 20 * 1024 * 1024 };
        return (await runFfmpeg(this.#ffmpegPath, args, opts)).stdout;
      };
      // The picture can end before the sound (the asset's duration is the longest stream):
      // past the last frame, fall back to the first one rather than answer nothing.
      const frameOf = async (input: string, at: number) => {
        const frame = await grab(input, at);
        return frame?.length || at === 0 ? frame : grab(input, 0);
      };
      const jpeg = asset.source_dropped_at
        ? await this.#fromRendition(asset, time, width, frameOf)
        : await this.#store.withLocalFile(asset.source_key, (input) => frameOf(input, time));
      if (!jpeg || jpeg.length === 0) throw new AppError('FH_ERR_NOT_FOUND', 'No frame exists at this time.');
      await this.#store.put(key, jpeg);
    });
  }

  /**
   * The original was dropped by the lifecycle rules: the frame comes from the smallest video
   * rung at least as wide as asked (the widest otherwise), from the one segment holding it.
   */
  async #fromRendition(
    asset: AssetRow,
    time: number,
    width: number,
    frameOf: (input: string, at: number) => Promise<Buffer | undefined>,
  ): Promise<Buffer | undefined> {
    const rungs = (this.#renditions ? await this.#renditions(asset.id) : [])
      .filter((r) => r.type === 'video' && r.status === 'ready' && r.width)
      .sort((a, b) => (a.width ?? 0) - (b.width ?? 0));
    const rung = rungs.find((r) => (r.width ?? 0) >= width) ?? rungs.at(-1);
    if (!rung)
      throw new AppError(
        'FH_ERR_SOURCE_DROPPED',
        'This asset has neither its original nor a video rendition to take a frame from.',
      );
    const dir = await mkdtemp(join(tmpdir(), 'framehouse-thumb-'));
    try {
      const excerpt = join(dir, 'excerpt.mp4');
      const { start } = await writeRenditionExcerpt(this.#store, asset.id, rung.name, time, excerpt);
      return await frameOf(excerpt, Math.max(0, time - start));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
const roundTo = (v: number, step: number) => Math.max(step, Math.round(v / step) * step);
