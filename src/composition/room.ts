import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sharedSecret } from '../accounts/instance-secret.ts';
import type { AssetsService } from '../assets/assets.service.ts';
import type { PlaybackTokens } from '../auth/playback-tokens.ts';
import type { Config } from '../config/config.ts';
import { isPostgresUrl } from '../db/database.ts';
import type { AssetThumbnails } from '../delivery/asset-thumbnail.ts';
import { ChatService } from '../live/room/chat.ts';
import { ClickAggregator } from '../live/room/clicks.ts';
import { ModerationService } from '../live/room/moderation.ts';
import { Presence } from '../live/room/presence.ts';
import { ProductsService } from '../live/room/products.ts';
import { ReactionAggregator } from '../live/room/reactions.ts';
import { registerRoomRoutes } from '../live/room/room.routes.ts';
import { RoomService } from '../live/room/room.service.ts';
import { registerRoomAdminRoutes } from '../live/room/room-admin.routes.ts';
import { AssetImages, type RoomDeps, RoomDirectory } from '../live/room/room-context.ts';
import { RoomFeed, type RoomWakeup } from '../live/room/room-feed.ts';
import { ROOM_CHANNEL } from '../live/room/room-log.ts';
import { StreamLimits } from '../live/room/stream-limits.ts';
import { ViewerTokens } from '../live/room/viewer-token.ts';
import type { LiveStreamsService } from '../live/streams/live-streams.service.ts';
import { newId } from '../shared/ids.ts';
import type { Infrastructure } from './infrastructure.ts';

export interface RoomServices {
  /** Registers the viewer and host routes on the HTTP app. */
  register(app: FastifyInstance, extra: { pictures: AssetThumbnails }): void;
  feed: RoomFeed;
  reactions: ReactionAggregator;
  /** After the HTTP app closed: the last reactions, this process's viewer rows, the wake-up connection. */
  close(): Promise<void>;
}

/**
 * The live room of an HTTP process: one fan-out reader (RoomFeed) for all of its rooms, woken by
 * PostgreSQL NOTIFY (its own LISTEN connection) or polling SQLite, its viewer counts, its
 * reaction aggregator, and the services behind the routes. Keys (viewer tokens, address hashes)
 * derive from one secret every node shares through the database.
 */
export async function roomServices(
  config: Config,
  { db, log }: Infrastructure,
  deps: { streams: LiveStreamsService; assets: AssetsService; tokens: PlaybackTokens },
): Promise<RoomServices> {
  const secret = await sharedSecret(db, 'live_room_key');
  const derive = (label: string) => createHmac('sha256', secret).update(label).digest('base64url');
  const onError = (err: unknown) => log.warn({ err }, 'live room: a background step failed');
  // PostgreSQL: NOTIFY wakes the reader at once; the poll is the safety net. (Loaded only then.)
  const notifier = isPostgresUrl(config.databaseUrl)
    ? new (await import('../queue/pg-notifier.ts')).PostgresNotifier(
        config.databaseUrl,
        (err) => log.warn({ err }, 'live room wake-up connection lost'),
        ROOM_CHANNEL,
      )
    : null;
  await notifier?.start();
  const wakeup: RoomWakeup | undefined = notifier
    ? { subscribe: (listener) => notifier.subscribe(() => listener()) }
    : undefined;
  const feed = new RoomFeed({
    db,
    pollMs: notifier ? config.roomPollMs * 4 : config.roomPollMs,
    ...(wakeup ? { wakeup } : {}),
    onError,
  });
  const presence = new Presence({ db, feed, nodeId: `room-${newId(12)}`, onError });
  presence.start();
  const roomDeps: RoomDeps = {
    db,
    streams: deps.streams,
    assets: deps.assets,
    tokens: deps.tokens,
    viewerTokens: new ViewerTokens(derive('viewer-token')),
    addressKey: derive('address'),
    operatorWords: config.chatWordFilter,
    feed,
    presence,
  };
  const images = new AssetImages(roomDeps);
  const chat = new ChatService(roomDeps);
  const clicks = new ClickAggregator({ db, onError });
  const products = new ProductsService({ db, images, clicks });
  const rooms = new RoomService(roomDeps, { chat, products, images });
  const moderation = new ModerationService({ db });
  const reactions = new ReactionAggregator({ db, onError });
  const directory = new RoomDirectory(roomDeps);
  const streamLimits = new StreamLimits({
    perAddress: config.roomStreamsPerAddress,
    max: config.roomMaxStreams,
  });
  return {
    feed,
    reactions,
    register(app, { pictures }) {
      registerRoomRoutes(app, { directory, pictures, rooms, chat, products, reactions, feed, streamLimits });
      registerRoomAdminRoutes(app, {
        streams: deps.streams,
        assets: deps.assets,
        rooms,
        chat,
        moderation,
        products,
      });
    },
    async close() {
      feed.close();
      await reactions.close().catch(onError);
      await clicks.close().catch(onError);
      await presence.stop();
      await notifier?.close();
    },
  };
}
