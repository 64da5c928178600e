import { LRUCache } from 'lru-cache';
import type { AssetsService } from '../assets/assets.service.ts';
import type { RenditionRow } from '../db/schema.ts';
import type { LiveStreamsService } from '../live/streams/live-streams.service.ts';
import { AppError } from '../shared/errors.ts';
import type { LadderRung } from './view-reducer.ts';

/** What a view is of: the playback id a player reports as `cid`, its asset or live stream, its ladder. */
export interface QoeContent {
  playback_id: string;
  asset_id: string | null;
  live_stream_id: string | null;
  ladder: LadderRung[];
}

/** How long an answer is kept: a live ladder may change with a new broadcast, a VOD one hardly. */
const TTL_MS = 30_000;
/** An unknown `cid` is kept too (briefly): a player reporting a wrong id costs no query per report. */
const UNKNOWN_TTL_MS = 5_000;

/**
 * `cid` → content, through the assets' and live streams' services, with a small cache: every
 * report names its playback id, and a viewer reports every few seconds.
 */
export class ContentLookup {
  readonly #assets: Pick<AssetsService, 'byPlaybackId' | 'renditionRows'>;
  readonly #streams: Pick<LiveStreamsService, 'byPlaybackId'>;
  readonly #cache = new LRUCache<string, Promise<QoeContent | null>>({ max: 10_000, ttl: TTL_MS });

  constructor(deps: {
    assets: Pick<AssetsService, 'byPlaybackId' | 'renditionRows'>;
    streams: Pick<LiveStreamsService, 'byPlaybackId'>;
  }) {
    this.#assets = deps.assets;
    this.#streams = deps.streams;
  }

  /** The content of a playback id; FH_ERR_QOE_UNKNOWN_CONTENT when it is none of this server's. */
  async lookup(cid: string): Promise<QoeContent> {
    let pending = this.#cache.get(cid);
    if (!pending) {
      pending = this.#find(cid);
      this.#cache.set(cid, pending);
      pending.then(
        (found) => {
          if (!found && this.#cache.get(cid) === pending)
            this.#cache.set(cid, pending, { ttl: UNKNOWN_TTL_MS });
        },
        // A failed query is not an answer: the next report asks again.
        () => this.#cache.delete(cid),
      );
    }
    const content = await pending;
    if (!content)
      throw new AppError(
        'FH_ERR_QOE_UNKNOWN_CONTENT',
        `"${cid.slice(0, 64)}" is no playback id of this server.`,
        { cid: cid.slice(0, 64) },
      );
    return content;
  }

  async #find(cid: string): Promise<QoeContent | null> {
    const asset = await this.#assets.byPlaybackId(cid);
    if (asset) {
      return {
        playback_id: cid,
        asset_id: asset.id,
        live_stream_id: null,
        ladder: vodLadder(await this.#assets.renditionRows(asset.id)),
      };
    }
    const live = await this.#streams.byPlaybackId(cid);
    if (!live) return null;
    return {
      playback_id: cid,
      asset_id: null,
      live_stream_id: live.stream.id,
      ladder: liveLadder(live.broadcast?.renditions ?? null, live.stream.current),
    };
  }
}

/**
 * The variants of an asset's master playlist, with the BANDWIDTH a player reports: a video
 * rendition's plus the audio's it plays with; an audio-only asset's one variant is its audio.
 */
export function vodLadder(rows: readonly RenditionRow[]): LadderRung[] {
  const audio = rows.find((r) => r.type === 'audio');
  const video = rows.filter((r) => r.type === 'video');
  if (video.length === 0)
    return audio ? [{ name: audio.name, bandwidth: audio.bandwidth, height: null }] : [];
  return video.map((v) => ({
    name: v.name,
    bandwidth: v.bandwidth + (audio?.bandwidth ?? 0),
    height: v.height,
  }));
}

/** A live broadcast's ladder (its BANDWIDTH already covers audio), or what the live node says now. */
export function liveLadder(broadcastRenditions: string | null, current: string | null): LadderRung[] {
  const fromJson = (json: string | null, pick: (v: unknown) => unknown) => {
    try {
      const list = json ? pick(JSON.parse(json)) : null;
      return Array.isArray(list) ? list : [];
    } catch {
      return [];
    }
  };
  let list = fromJson(broadcastRenditions, (v) => v);
  if (list.length === 0) list = fromJson(current, (v) => (v as { renditions?: unknown } | null)?.renditions);
  return list.flatMap((r: { name?: unknown; bandwidth?: unknown; height?: unknown }) =>
    typeof r?.name === 'string' && typeof r.bandwidth === 'number' && r.bandwidth > 0
      ? [{ name: r.name, bandwidth: r.bandwidth, height: typeof r.height === 'number' ? r.height : null }]
      : [],
  );
}
