import type { AssetsService } from '../../assets/assets.service.ts';
import type { PlaybackTokens } from '../../auth/playback-tokens.ts';
import type { Db } from '../../db/database.ts';
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
const IMAGE_TTL_MS = 10 * 60_000;
/** A signed image id's URL carries a token for this long (it is made afresh every 10 minutes). */
const IMAGE_TOKEN_SECONDS = 24 * 3600;
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

  /** The stream behind a live playback id, with its token checked when signed. */
  async resolve(playbackId: string, token: string | undefined): Promise<string> {
    let found = this.#cache.get(playbackId);
    if (!found || Date.now() - found.at > DIRECTORY_TTL_MS) {
      const live = await this.#deps.streams.byPlaybackId(playbackId);
      if (!live) throw new AppError('FH_ERR_PLAYBACK_NOT_FOUND');
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      found = { streamId: live.stream.id, policy: live.policy, at: Date.now() };
      this.#cache.set(playbackId, found);
    }
    if (found.policy === 'signed') await this.#deps.tokens.verify(token, playbackId);
    return found.streamId;
  }
}

/**
 * Images a viewer without a key can load (product images, the poster): the asset's thumbnail
 * route, `/play/{playback_id}/thumbnail.jpg` (a photo's is the photo itself, scaled; a video's a
 * frame). With a public playback id the URL is plain; with only signed ones it carries a playback
 * token of that id (24 h, made afresh every 10 minutes). The `/img` URLs were not used: they need
 * FRAMEHOUSE_IMGPROXY_KEY, which an installation may not set.
 */
export class AssetImages {
  readonly #deps: Pick<RoomDeps, 'assets' | 'tokens'>;
  readonly #cache = new Map<string, { url: string | null; at: number }>();

  constructor(deps: Pick<RoomDeps, 'assets' | 'tokens'>) {
    this.#deps = deps;
  }

  /** Refuses an asset that cannot be shown: missing, audio, or without a playback id. */
  async check(assetId: string): Promise<void> {
    if ((await this.#resolve(assetId)) === null) throw new AppError('FH_ERR_ROOM_ASSET_INVALID');
  }

  async url(assetId: string | null): Promise<string | null> {
    if (!assetId) return null;
    const known = this.#cache.get(assetId);
    if (known && Date.now() - known.at < IMAGE_TTL_MS) return known.url;
    const url = await this.#resolve(assetId).catch(() => null);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(assetId, { url, at: Date.now() });
    return url;
  }

  async #resolve(assetId: string): Promise<string | null> {
    const asset = await this.#deps.assets.get(assetId).catch(() => null);
    if (!asset || (asset.kind !== 'image' && asset.kind !== 'video')) return null;
    const open = asset.playback_ids.find((p) => p.policy === 'public');
    if (open) return `/play/${open.id}/thumbnail.jpg?width=640`;
    const signed = asset.playback_ids[0];
    if (!signed) return null;
    const { token } = await this.#deps.tokens.sign(signed.id, IMAGE_TOKEN_SECONDS);
    return `/play/${signed.id}/thumbnail.jpg?width=640&token=${encodeURIComponent(token)}`;
  }
}
