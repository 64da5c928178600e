import type { AssetsService } from '../../assets/assets.service.ts';
import type { PlaybackTokens } from '../../auth/playback-tokens.ts';
import type { Db } from '../../db/database.ts';
import type { AssetRow } from '../../db/schema.ts';
import { AppError } from '../../shared/errors.ts';
import type { LiveStreamsService } from '../streams/live-streams.service.ts';
import type { Presence } from './presence.ts';
import type { RoomFeed } from './room-feed.ts';
import type { ViewerTokens } from './viewer-token.ts';

/** What the room's modules share: the database, the services they call, the keys and the feed. */
export interface RoomDeps {
  db: Db;
  streams: LiveStreamsService;
  assets: AssetsService;
  tokens: PlaybackTokens;
  viewerTokens: ViewerTokens;
  /** Key of the guests' address hashes. */
  addressKey: string;
  /** FRAMEHOUSE_CHAT_WORD_FILTER. */
  operatorWords: readonly string[];
  feed: RoomFeed;
  presence: Presence;
}

const DIRECTORY_TTL_MS = 5_000;
const IMAGE_TTL_MS = 60_000;
const CACHE_LIMIT = 10_000;

/**
 * Playback id → stream, remembered for a few seconds: a busy room's reactions and clicks must
 * not each cost the lookup. (A playback id never moves to another stream; a policy change is
 * seen within the TTL.)
 */
export class RoomDirectory {
  readonly #deps: Pick<RoomDeps, 'streams' | 'tokens'>;
  readonly #cache = new Map<string, { streamId: string; policy: string; at: number }>();

  constructor(deps: Pick<RoomDeps, 'streams' | 'tokens'>) {
    this.#deps = deps;
  }

  /**
   * The stream behind a live playback id, with its token checked when signed, and whether it is
   * signed (its answers are then private).
   */
  async lookup(
    playbackId: string,
    token: string | undefined,
  ): Promise<{ streamId: string; signed: boolean }> {
    let found = this.#cache.get(playbackId);
    if (!found || Date.now() - found.at > DIRECTORY_TTL_MS) {
      const live = await this.#deps.streams.byPlaybackId(playbackId);
      if (!live) throw new AppError('FH_ERR_PLAYBACK_NOT_FOUND');
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      found = { streamId: live.stream.id, policy: live.policy, at: Date.now() };
      this.#cache.set(playbackId, found);
    }
    const signed = found.policy === 'signed';
    if (signed) await this.#deps.tokens.verify(token, playbackId);
    return { streamId: found.streamId, signed };
  }
}

/**
 * The URLs of a room's pictures (the poster, product images): room routes,
 * `/v1/rooms/{playback_id}/poster.jpg` and `/v1/rooms/{playback_id}/products/{id}/image.jpg`,
 * which answer the asset's thumbnail under the room's own permission. They carry no token: a
 * signed room's page appends its own (`?token=`), as for every room route; a playback token of
 * the asset itself is never handed out (it would play the whole asset). `v` (the asset id)
 * changes the URL when the picture changes, so caches never show an old one.
 */
export class AssetImages {
  readonly #deps: Pick<RoomDeps, 'assets' | 'streams'>;
  readonly #rooms = new Map<string, { base: string | null; at: number }>();

  constructor(deps: Pick<RoomDeps, 'assets' | 'streams'>) {
    this.#deps = deps;
  }

  /** Refuses an asset that cannot be shown: missing, or neither a photo nor a video. */
  async check(assetId: string): Promise<void> {
    const asset = await this.#deps.assets.row(assetId);
    if (!asset || (asset.kind !== 'image' && asset.kind !== 'video'))
      throw new AppError('FH_ERR_ROOM_ASSET_INVALID');
  }

  /** The poster's URL (`productId` absent) or a product's image URL; null without an asset. */
  async url(streamId: string, assetId: string | null, productId?: string): Promise<string | null> {
    if (!assetId) return null;
    const base = await this.#base(streamId);
    if (!base) return null;
    const v = encodeURIComponent(assetId);
    return productId ? `${base}/products/${productId}/image.jpg?v=${v}` : `${base}/poster.jpg?v=${v}`;
  }

  /** The asset row to draw, when it can be drawn. */
  async drawable(assetId: string | null | undefined): Promise<AssetRow> {
    const asset = assetId ? await this.#deps.assets.row(assetId) : undefined;
    if (!asset || (asset.kind !== 'image' && asset.kind !== 'video')) throw new AppError('FH_ERR_NOT_FOUND');
    return asset;
  }

  /** `/v1/rooms/{playback id}` of the stream's first public playback id (its first one otherwise). */
  async #base(streamId: string): Promise<string | null> {
    const known = this.#rooms.get(streamId);
    if (known && Date.now() - known.at < IMAGE_TTL_MS) return known.base;
    const view = await this.#deps.streams.get(streamId).catch(() => null);
    const id = view?.playbackIds.find((p) => p.policy === 'public')?.id ?? view?.playbackIds[0]?.id;
    const base = id ? `/v1/rooms/${id}` : null;
    if (this.#rooms.size >= CACHE_LIMIT) this.#rooms.clear();
    this.#rooms.set(streamId, { base, at: Date.now() });
    return base;
  }
}
