import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorSchemaRef } from '../../assets/assets.schemas.ts';
import type { AssetsService } from '../../assets/assets.service.ts';
import { auditWho } from '../../audit/audit.ts';
import type { LiveStreamsService } from '../streams/live-streams.service.ts';
import type { ChatService } from './chat.ts';
import type { ModerationService } from './moderation.ts';
import type { ProductInput, ProductsService } from './products.ts';
import {
  banBody,
  historyQuery,
  hostMessageBody,
  productCreateBody,
  productOrderBody,
  productPatchBody,
  ROOM_BODY_LIMIT,
  roomPatchBody,
  streamChildParams,
  streamParams,
  summaryQuery,
} from './room.schemas.ts';
import type { RoomPatch, RoomService } from './room.service.ts';

interface Deps {
  streams: LiveStreamsService;
  assets: AssetsService;
  rooms: RoomService;
  chat: ChatService;
  moderation: ModerationService;
  products: ProductsService;
}

const TAGS = ['live room'];
const errors = { '4xx': errorSchemaRef, '5xx': errorSchemaRef };

/**
 * The host's and moderators' side of a live room, `/v1/live-streams/{id}/…` (`assets:write`, and
 * the stream's manager: its creator, or an admin), and the chat replay of a recording
 * (`GET /v1/assets/{id}/chat`, `assets:read`). Every change is audited by the services.
 */
export function registerRoomAdminRoutes(app: FastifyInstance, deps: Deps): void {
  const { streams, rooms, chat, moderation, products } = deps;
  /** The stream's id, once the caller is known to manage it (404 for no such stream). */
  const managed = async (request: FastifyRequest): Promise<string> => {
    const id = (request.params as { id: string }).id;
    await streams.assertCanManage(id, request.principal);
    await streams.get(id); // 404 for admins too
    return id;
  };
  /**
   * The stream, once the caller manages it and every asset the body names (a poster, a product
   * image): a picture in a room is shown to every viewer, so an editor may only use their own.
   */
  const managedWith = async (request: FastifyRequest, assetId: string | null | undefined) => {
    const id = await managed(request);
    if (assetId) await deps.assets.assertCanManage(assetId, request.principal);
    return id;
  };
  const param = (request: FastifyRequest, name: string) =>
    (request.params as Record<string, string>)[name] as string;

  app.get(
    '/v1/live-streams/:id/room',
    {
      schema: {
        summary: "The stream's room, with its word filter",
        tags: TAGS,
        params: streamParams,
        response: errors,
      },
    },
    async (request) => ({ data: await rooms.adminRoom(await managed(request)) }),
  );
  app.patch(
    '/v1/live-streams/:id/room',
    {
      bodyLimit: ROOM_BODY_LIMIT * 4,
      schema: {
        summary: 'Change the room: guests, links, slow mode, pause, length, word filter, countdown, poster',
        tags: TAGS,
        params: streamParams,
        body: roomPatchBody,
        response: errors,
      },
    },
    async (request) => ({
      data: await rooms.update(
        await managedWith(request, (request.body as RoomPatch).poster_asset_id),
        request.body as RoomPatch,
        auditWho(request),
      ),
    }),
  );

  app.get(
    '/v1/live-streams/:id/chat',
    {
      schema: {
        summary: 'The chat, newest first (deleted messages included and marked)',
        tags: TAGS,
        params: streamParams,
        querystring: historyQuery,
        response: errors,
      },
    },
    async (request) => {
      const { limit, before } = request.query as { limit: number; before?: string };
      return chat.history(await managed(request), limit, before);
    },
  );
  app.post(
    '/v1/live-streams/:id/chat',
    {
      bodyLimit: ROOM_BODY_LIMIT,
      schema: {
        summary: 'A message from the host (role host)',
        tags: TAGS,
        params: streamParams,
        body: hostMessageBody,
        response: errors,
      },
    },
    async (request, reply) => {
      const message = await chat.hostSend(
        await managed(request),
        request.principal,
        (request.body as { text: string }).text,
        auditWho(request),
      );
      reply.code(201);
      return { data: message };
    },
  );
  app.delete(
    '/v1/live-streams/:id/chat/:message_id',
    {
      schema: {
        summary: 'Delete a message (every viewer gets message_deleted)',
        tags: TAGS,
        params: streamChildParams('message_id'),
        response: errors,
      },
    },
    async (request, reply) => {
      await chat.delete(await managed(request), param(request, 'message_id'), auditWho(request));
      reply.code(204).send();
    },
  );

  app.get(
    '/v1/live-streams/:id/bans',
    {
      schema: { summary: 'Bans and time-outs in force', tags: TAGS, params: streamParams, response: errors },
    },
    async (request) => ({ data: await moderation.list(await managed(request)) }),
  );
  app.post(
    '/v1/live-streams/:id/bans',
    {
      bodyLimit: ROOM_BODY_LIMIT,
      schema: {
        summary: 'Ban a viewer (no duration), or time them out (duration_seconds)',
        tags: TAGS,
        params: streamParams,
        body: banBody,
        response: errors,
      },
    },
    async (request, reply) => {
      const ban = await moderation.ban(
        await managed(request),
        request.body as { viewer_id: string; duration_seconds?: number; reason?: string },
        auditWho(request),
      );
      reply.code(201);
      return { data: ban };
    },
  );
  app.delete(
    '/v1/live-streams/:id/bans/:ban_id',
    {
      schema: {
        summary: 'Lift a ban or time-out',
        tags: TAGS,
        params: streamChildParams('ban_id'),
        response: errors,
      },
    },
    async (request, reply) => {
      await moderation.lift(await managed(request), param(request, 'ban_id'), auditWho(request));
      reply.code(204).send();
    },
  );

  app.get(
    '/v1/live-streams/:id/products',
    {
      schema: {
        summary: "The room's products, in order",
        tags: TAGS,
        params: streamParams,
        response: errors,
      },
    },
    async (request) => ({ data: await products.list(await managed(request)) }),
  );
  app.post(
    '/v1/live-streams/:id/products',
    {
      bodyLimit: ROOM_BODY_LIMIT,
      schema: {
        summary: 'Add a product',
        tags: TAGS,
        params: streamParams,
        body: productCreateBody,
        response: errors,
      },
    },
    async (request, reply) => {
      const product = await products.create(
        await managedWith(request, (request.body as ProductInput).image_asset_id),
        request.body as ProductInput,
        auditWho(request),
      );
      reply.code(201);
      return { data: product };
    },
  );
  // Registered before `/products/:product_id` routes of the same method would matter: PUT only here.
  app.put(
    '/v1/live-streams/:id/products/order',
    {
      bodyLimit: ROOM_BODY_LIMIT,
      schema: {
        summary: "The products' order (every id once)",
        tags: TAGS,
        params: streamParams,
        body: productOrderBody,
        response: errors,
      },
    },
    async (request) => ({
      data: await products.reorder(
        await managed(request),
        (request.body as { ids: string[] }).ids,
        auditWho(request),
      ),
    }),
  );
  app.patch(
    '/v1/live-streams/:id/products/:product_id',
    {
      bodyLimit: ROOM_BODY_LIMIT,
      schema: {
        summary: 'Edit a product',
        tags: TAGS,
        params: streamChildParams('product_id'),
        body: productPatchBody,
        response: errors,
      },
    },
    async (request) => ({
      data: await products.update(
        await managedWith(request, (request.body as ProductInput).image_asset_id),
        param(request, 'product_id'),
        request.body as ProductInput,
        auditWho(request),
      ),
    }),
  );
  app.delete(
    '/v1/live-streams/:id/products/:product_id',
    {
      schema: {
        summary: 'Delete a product',
        tags: TAGS,
        params: streamChildParams('product_id'),
        response: errors,
      },
    },
    async (request, reply) => {
      await products.delete(await managed(request), param(request, 'product_id'), auditWho(request));
      reply.code(204).send();
    },
  );
  app.post(
    '/v1/live-streams/:id/products/:product_id/pin',
    {
      schema: {
        summary: 'Pin a product (every viewer gets pinned)',
        tags: TAGS,
        params: streamChildParams('product_id'),
        response: errors,
      },
    },
    async (request) => ({
      data: await products.pin(await managed(request), param(request, 'product_id'), auditWho(request)),
    }),
  );
  app.delete(
    '/v1/live-streams/:id/pin',
    { schema: { summary: 'Unpin the pinned product', tags: TAGS, params: streamParams, response: errors } },
    async (request, reply) => {
      await products.pin(await managed(request), null, auditWho(request));
      reply.code(204).send();
    },
  );

  app.get(
    '/v1/live-streams/:id/summary',
    {
      schema: {
        summary: 'A broadcast in numbers (default: the latest)',
        tags: TAGS,
        params: streamParams,
        querystring: summaryQuery,
        response: errors,
      },
    },
    async (request) => ({
      data: await rooms.summary(
        await managed(request),
        (request.query as { broadcast_id?: string }).broadcast_id,
      ),
    }),
  );

  app.get(
    '/v1/assets/:id/chat',
    {
      schema: {
        summary: 'The chat of the broadcast this asset recorded, oldest first, with offsets',
        tags: TAGS,
        params: streamParams,
        response: errors,
      },
    },
    async (request) => {
      const id = (request.params as { id: string }).id;
      await deps.assets.get(id); // 404 for no such asset
      return { data: await rooms.replay(id) };
    },
  );
}
