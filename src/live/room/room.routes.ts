import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorSchemaRef } from '../../assets/assets.schemas.ts';
import type { AssetThumbnails } from '../../delivery/asset-thumbnail.ts';
import { addressPrefix } from '../../shared/address-prefix.ts';
import type { ChatService } from './chat.ts';
import type { ProductsService } from './products.ts';
import type { ReactionAggregator, ReactionKind } from './reactions.ts';
import {
  joinBody,
  messageBody,
  pictureQuery,
  playbackParams,
  productClickParams,
  ROOM_BODY_LIMIT,
  reactionBody,
  tokenQuery,
} from './room.schemas.ts';
import type { RoomService } from './room.service.ts';
import type { RoomDirectory } from './room-context.ts';
import { type RoomFeed, startEventStream } from './room-feed.ts';
import { playbackTokenOf } from './room-http.ts';
import type { StreamLimits } from './stream-limits.ts';

interface Deps {
  directory: RoomDirectory;
  /** Draws an asset's thumbnail (the poster, product images). */
  pictures: AssetThumbnails;
  rooms: RoomService;
  chat: ChatService;
  products: ProductsService;
  reactions: ReactionAggregator;
  feed: RoomFeed;
  /** Open event streams per address and per process. */
  streamLimits: StreamLimits;
}

const TAGS = ['live room'];

/**
 * Reactions need no viewer token, so they are limited per address (in each api node's memory:
 * a flood costs little, as taps are added up before anything is written). A page sends at most
 * two a second per viewer; ten a second leaves room for a few viewers behind one address.
 * Playback routes are left out of the global limit, so this one says it applies.
 */
const REACTIONS_PER_ADDRESS = {
  max: 100,
  timeWindow: 10_000,
  keyGenerator: (request: FastifyRequest) => `reactions:${addressPrefix(request.ip)}`,
  allowList: () => false,
};
/** The pictures' width: a product card's and a poster's size on a phone at 2×. */
const PICTURE_WIDTH = 640;
/**
 * Clicks need no viewer token either: limited per address like reactions. A viewer opens a
 * product's link now and then; 30 in 10 s leaves room for several viewers behind one address.
 */
const CLICKS_PER_ADDRESS = {
  max: 30,
  timeWindow: 10_000,
  keyGenerator: (request: FastifyRequest) => `clicks:${addressPrefix(request.ip)}`,
  allowList: () => false,
};
const errors = { '4xx': errorSchemaRef, '5xx': errorSchemaRef };

/**
 * The viewer's side of a live room, `/v1/rooms/{playback_id}/…` (permission `playback`: a signed
 * playback id needs its token). HTTP only: validate, call the services, shape the reply.
 */
export function registerRoomRoutes(app: FastifyInstance, deps: Deps): void {
  const { directory, pictures, rooms, chat, products, reactions, feed, streamLimits } = deps;
  // The room behind the URL's playback id, its token checked when signed.
  const lookupOf = (request: FastifyRequest) =>
    directory.lookup((request.params as { playback_id: string }).playback_id, playbackTokenOf(request));
  const streamOf = async (request: FastifyRequest) => (await lookupOf(request)).streamId;

  app.addHook('preClose', async () => feed.close());

  app.get(
    '/v1/rooms/:playback_id',
    {
      schema: {
        summary: 'A live room: state, settings, pinned product, viewers',
        tags: TAGS,
        params: playbackParams,
        querystring: tokenQuery,
        response: errors,
      },
    },
    async (request) => ({ data: await rooms.room(await streamOf(request)) }),
  );

  app.get(
    '/v1/rooms/:playback_id/events',
    {
      schema: {
        summary: 'The room as Server-Sent Events: a snapshot, then messages, reactions, pins, viewers…',
        tags: TAGS,
        params: playbackParams,
        querystring: tokenQuery,
        response: errors,
      },
    },
    async (request, reply) => {
      const streamId = await streamOf(request);
      const release = streamLimits.take(request.ip);
      // The client may leave while the snapshot is read: nothing is kept for a gone client.
      let gone = false;
      request.raw.once('close', () => {
        gone = true;
        release();
      });
      let conn: Awaited<ReturnType<RoomFeed['attach']>>;
      try {
        // Before the response starts: a reader that cannot start (database down, process
        // stopping) is a coded 503 with Retry-After.
        conn = await feed.attach(streamId, reply.raw);
      } catch (err) {
        release();
        throw err;
      }
      reply.hijack();
      const res = reply.raw;
      startEventStream(res);
      const close = () => {
        release();
        feed.detach(conn);
      };
      if (gone || request.raw.destroyed) return close();
      request.raw.on('close', close);
      res.on('error', close);
      try {
        const snapshot = await rooms.snapshot(streamId);
        feed.start(conn, snapshot.chunk, snapshot.ids);
      } catch (err) {
        request.log.warn({ err }, 'room snapshot failed');
        close();
        res.end();
      }
    },
  );

  // The room's pictures, under the room's permission: no playback token of the asset goes out.
  const picture = { width: PICTURE_WIDTH };
  app.get(
    '/v1/rooms/:playback_id/poster.jpg',
    {
      schema: {
        summary: "The room's poster (the asset's thumbnail, 640 px wide)",
        tags: TAGS,
        params: playbackParams,
        querystring: pictureQuery,
        response: errors,
      },
    },
    async (request, reply) => {
      const { streamId, signed } = await lookupOf(request);
      return pictures.send(request, reply, await rooms.posterAsset(streamId), picture, signed);
    },
  );
  app.get(
    '/v1/rooms/:playback_id/products/:product_id/image.jpg',
    {
      schema: {
        summary: "A product's image (the asset's thumbnail, 640 px wide)",
        tags: TAGS,
        params: productClickParams,
        querystring: pictureQuery,
        response: errors,
      },
    },
    async (request, reply) => {
      const { streamId, signed } = await lookupOf(request);
      const asset = await products.imageAsset(
        streamId,
        (request.params as { product_id: string }).product_id,
      );
      return pictures.send(request, reply, asset, picture, signed);
    },
  );

  app.post(
    '/v1/rooms/:playback_id/viewers',
    {
      bodyLimit: ROOM_BODY_LIMIT,
      schema: {
        summary: 'Join the chat: a viewer token (signed-in account, or guest nickname)',
        tags: TAGS,
        params: playbackParams,
        querystring: tokenQuery,
        body: joinBody,
        response: errors,
      },
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const streamId = await streamOf(request);
      const viewer = await chat.join(
        streamId,
        request.principal,
        request.ip,
        (request.body as { nickname?: string }).nickname,
      );
      reply.code(201);
      return { data: viewer };
    },
  );

  app.post(
    '/v1/rooms/:playback_id/messages',
    {
      bodyLimit: ROOM_BODY_LIMIT,
      schema: {
        summary: 'Send a chat message (header Framehouse-Viewer: the viewer token)',
        tags: TAGS,
        params: playbackParams,
        querystring: tokenQuery,
        body: messageBody,
        response: errors,
      },
    },
    async (request, reply) => {
      const streamId = await streamOf(request);
      const header = request.headers['framehouse-viewer'];
      const message = await chat.send(
        streamId,
        typeof header === 'string' ? header : undefined,
        (request.body as { text: string }).text,
      );
      reply.code(201);
      return { data: message };
    },
  );

  app.post(
    '/v1/rooms/:playback_id/reactions',
    {
      bodyLimit: ROOM_BODY_LIMIT,
      config: { rateLimit: REACTIONS_PER_ADDRESS },
      schema: {
        summary: 'Reactions (count: taps the page gathered); added up and sent every 500 ms',
        tags: TAGS,
        params: playbackParams,
        querystring: tokenQuery,
        body: reactionBody,
        response: errors,
      },
    },
    async (request, reply) => {
      const streamId = await streamOf(request);
      const { kind, count } = request.body as { kind: ReactionKind; count: number };
      reactions.add(streamId, kind, count);
      reply.code(202).send();
    },
  );

  app.post(
    '/v1/rooms/:playback_id/products/:product_id/clicks',
    {
      bodyLimit: ROOM_BODY_LIMIT,
      config: { rateLimit: CLICKS_PER_ADDRESS },
      schema: {
        summary: "A viewer opened a product's link (counted per product and broadcast)",
        tags: TAGS,
        params: productClickParams,
        querystring: tokenQuery,
        response: errors,
      },
    },
    async (request, reply) => {
      const streamId = await streamOf(request);
      await products.click(streamId, (request.params as { product_id: string }).product_id);
      reply.code(204).send();
    },
  );
}
