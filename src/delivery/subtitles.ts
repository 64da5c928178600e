import type { AssetsService } from '../assets/assets.service.ts';
import {
  segmentDurations,
  subtitleMediaPlaylist,
  subtitleSegment,
  withSubtitleRenditions,
} from '../captions/hls-subtitles.ts';
import type { TracksService } from '../captions/tracks.service.ts';
import type { AssetRow } from '../db/schema.ts';
import { firstPresentation } from '../media/fmp4-timing.ts';
import { AppError } from '../shared/errors.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';

/**
 * Where the subtitle segments meet the video: its first frame in 90 kHz units, its segment
 * length, and its length in seconds once the rung is complete (null before).
 */
interface Timeline {
  mpegts: number;
  targetDuration: number;
  duration: number | null;
}

const TIMELINE_CACHE_SIZE = 1000;

/**
 * Subtitle tracks as HLS, made when asked: the master playlist gains one rendition per track
 * (so adding or removing a track changes it at once, whatever the transcode is doing with the
 * stored master), and each track's media playlist and WebVTT segments are cut from its cues on
 * the video's clock. The stored master stays the ladder's alone.
 */
export class SubtitleDelivery {
  readonly #assets: Pick<AssetsService, 'renditionRows'>;
  readonly #store: ObjectStore;
  readonly #tracks: TracksService;
  readonly #timelines = new Map<string, Timeline>();

  constructor(deps: {
    assets: Pick<AssetsService, 'renditionRows'>;
    store: ObjectStore;
    tracks: TracksService;
  }) {
    this.#assets = deps.assets;
    this.#store = deps.store;
    this.#tracks = deps.tracks;
  }

  /** The stored master with the asset's tracks, or null when it has none (serve it as stored). */
  async master(assetId: string, stored: () => Promise<string>): Promise<string | null> {
    const renditions = await this.#tracks.renditions(assetId);
    if (renditions.length === 0) return null;
    return withSubtitleRenditions(await stored(), renditions);
  }

  async playlist(asset: AssetRow, trackId: string): Promise<string> {
    await this.#tracks.get(asset.id, trackId); // 404 for a track that is not (or no longer) there
    const timeline = await this.#timeline(asset.id);
    return subtitleMediaPlaylist(durationOf(asset, timeline), timeline.targetDuration);
  }

  async segment(asset: AssetRow, trackId: string, index: number): Promise<string> {
    const captions = await this.#tracks.captions(asset.id, trackId);
    const timeline = await this.#timeline(asset.id);
    const duration = durationOf(asset, timeline);
    if (index >= segmentDurations(duration, timeline.targetDuration).length) {
      throw new AppError('FH_ERR_NOT_FOUND');
    }
    return subtitleSegment(captions, index, duration, timeline.targetDuration, timeline.mpegts);
  }

  /**
   * Read from the lowest video rung (always in the first pass, so there first), or the audio of
   * an audio-only asset: its target duration, and when its first frame is presented. Kept once
   * the rung is complete.
   */
  async #timeline(assetId: string): Promise<Timeline> {
    const cached = this.#timelines.get(assetId);
    if (cached) return cached;
    const renditions = await this.#assets.renditionRows(assetId);
    const video = renditions
      .filter((r) => r.type === 'video')
      .sort((a, b) => (a.height ?? 0) - (b.height ?? 0));
    const rung = video[0] ?? renditions.find((r) => r.type === 'audio');
    const notYet = () => new AppError('FH_ERR_NOT_READY', 'The video has no segments yet.');
    if (!rung) throw notYet();
    const key = (file: string) => mediaKeys.hls(assetId, `${rung.name}/${file}`);
    const playlist = await this.#text(key('index.m3u8'));
    const target = /#EXT-X-TARGETDURATION:(\d+)/.exec(playlist ?? '')?.[1];
    const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist ?? '')?.[1];
    const first = playlist?.split('\n').find((l) => l.trim() !== '' && !l.startsWith('#'));
    if (!target || !init || !first) throw notYet();
    const [initBytes, segmentBytes] = await Promise.all([
      this.#store.getBuffer(key(init)),
      this.#store.getBuffer(key(first.trim())),
    ]);
    const { ticks, timescale } = firstPresentation(initBytes, segmentBytes);
    const complete = playlist?.includes('#EXT-X-ENDLIST') ?? false;
    const timeline = {
      mpegts: Math.round((ticks * 90_000) / timescale),
      targetDuration: Number(target),
      duration: complete
        ? [...(playlist ?? '').matchAll(/#EXTINF:([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
        : null,
    };
    if (complete) {
      if (this.#timelines.size >= TIMELINE_CACHE_SIZE) this.#timelines.clear();
      this.#timelines.set(assetId, timeline);
    }
    return timeline;
  }

  async #text(key: string): Promise<string | null> {
    if (!(await this.#store.stat(key))) return null;
    return (await this.#store.getBuffer(key)).toString('utf8');
  }
}

/** The rung's own length once complete (what players see), else what the probe said. */
function durationOf(asset: AssetRow, timeline: Timeline): number {
  const duration = timeline.duration || asset.duration;
  if (!duration || asset.status !== 'ready') throw new AppError('FH_ERR_NOT_READY');
  return duration;
}
