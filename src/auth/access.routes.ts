import type { FastifyInstance } from 'fastify';
import type { AssetsService } from '../assets/assets.service.ts';
import { auditWho } from '../audit/audit.ts';
import { AppError } from '../shared/errors.ts';
import type { ApiKeysService } from './api-keys.service.ts';
import { MAX_TOKEN_SECONDS, type PlaybackTokens } from './playback-tokens.ts';
import { SCOPES, type Scope } from './policy.ts';

interface Deps {
  assets: AssetsService;
  /** A live stream's playback id (live streams' ids are minted tokens for as assets' are). */
  isLivePlaybackId(playbackId: string): Promise<boolean>;
  keys: ApiKeysService;
  tokens: PlaybackTokens;
  /** Playback tokens minted per key (or address) and minute. */
  tokensPerMinute: number;
}

const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
    last_used_at: { type: ['string', 'null'] },
    revoked_at: { type: ['string', 'null'] },
  },
};
const idParams = (name: string) => ({
  type: 'object',
  properties: { [name]: { type: 'string', pattern: '^[a-z0-9]{8,64}$' } },
  required: [name],
});

/** API keys (admin), playback tokens (playback:sign) and playback signing keys (admin). */
export function registerAccessRoutes(
  app: FastifyInstance,
  { assets, isLivePlaybackId, keys, tokens, tokensPerMinute }: Deps,
): void {
  app.post(
    '/v1/api-keys',
    {
      schema: {
        summary: 'Make an API key (the key is in this answer only)',
        tags: ['access'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'scopes'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            scopes: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', enum: [...SCOPES] },
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              data: { ...apiKeySchema, properties: { ...apiKeySchema.properties, key: { type: 'string' } } },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; scopes: Scope[] };
      const { key, apiKey } = await keys.create(auditWho(request), body.name.trim(), body.scopes);
      reply.code(201).header('cache-control', 'no-store');
      return { data: { ...apiKey, key } };
    },
  );

  app.get(
    '/v1/api-keys',
    {
      schema: {
        summary: 'List API keys (never the keys themselves)',
        tags: ['access'],
        response: { 200: { type: 'object', properties: { data: { type: 'array', items: apiKeySchema } } } },
      },
    },
    async () => ({ data: await keys.list() }),
  );

  app.get(
    '/v1/api-keys/:id',
    {
      schema: {
        summary: 'Get an API key',
        tags: ['access'],
        params: idParams('id'),
        response: { 200: { type: 'object', properties: { data: apiKeySchema } } },
      },
    },
    async (request) => ({ data: await keys.get((request.params as { id: string }).id) }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      schema: {
        summary: 'Revoke an API key, on every node at once',
        tags: ['access'],
        params: idParams('id'),
      },
    },
    async (request, reply) => {
      await keys.revoke(auditWho(request), (request.params as { id: string }).id);
      reply.code(204).send();
    },
  );

  app.post(
    '/v1/playback-tokens',
    {
      config: { rateLimit: { max: tokensPerMinute, timeWindow: 60_000 } },
      schema: {
        summary: 'Mint a playback token for a signed playback id',
        tags: ['access'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['playback_id'],
          properties: {
            playback_id: { type: 'string', pattern: '^[a-z0-9]{8,64}$' },
            expires_in: { type: 'integer', minimum: 10, maximum: MAX_TOKEN_SECONDS, default: 3600 },
            renewable_for: {
              type: 'integer',
              minimum: 10,
              maximum: MAX_TOKEN_SECONDS,
              description:
                'Seconds from now during which a player may exchange the token for a fresh one (POST /play/{playback_id}/token) before it expires',
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              data: {
                type: 'object',
                properties: {
                  token: { type: 'string' },
                  hls_url: { type: 'string' },
                  thumbnail_url: { type: 'string' },
                  expires_at: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const {
        playback_id: playbackId,
        expires_in: expiresIn,
        renewable_for: renewableFor,
      } = request.body as { playback_id: string; expires_in: number; renewable_for?: number };
      if (!(await assets.byPlaybackId(playbackId)) && !(await isLivePlaybackId(playbackId)))
        throw new AppError('FH_ERR_PLAYBACK_NOT_FOUND');
      const renewableUntil = renewableFor ? Math.floor(Date.now() / 1000) + renewableFor : undefined;
      const { token, expiresAt } = await tokens.sign(playbackId, expiresIn, renewableUntil);
      reply.code(201).header('cache-control', 'no-store');
      return {
        data: {
          token,
          hls_url: `/play/${playbackId}/master.m3u8?token=${token}`,
          thumbnail_url: `/play/${playbackId}/thumbnail.jpg?token=${token}`,
          expires_at: expiresAt.toISOString(),
        },
      };
    },
  );

  const signingKeySchema = {
    type: 'object',
    properties: { kid: { type: 'string' }, created_at: { type: 'string' }, signing: { type: 'boolean' } },
  };
  app.get(
    '/v1/playback-keys',
    {
      schema: {
        summary: 'Active playback signing keys (ids only)',
        tags: ['access'],
        response: {
          200: { type: 'object', properties: { data: { type: 'array', items: signingKeySchema } } },
        },
      },
    },
    async () => ({ data: await tokens.list() }),
  );

  // For `framehouse edge`: it checks playback tokens itself with the same keys (see
  // auth/playback-token-verify.ts), so an invalid token costs the origin nothing.
  app.get(
    '/v1/playback-keys/verification',
    {
      schema: {
        summary: 'Active playback keys with their secrets (base64url), for an edge that checks tokens',
        tags: ['access'],
        response: {
          200: {
            type: 'object',
            properties: {
              data: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    kid: { type: 'string' },
                    secret: { type: 'string' },
                    created_at: { type: 'string' },
                  },
                },
              },
            },
          },
          304: { description: 'The key set is the one If-None-Match names', type: 'null' },
        },
      },
    },
    async (request, reply) => {
      const { etag, keys } = await tokens.verificationKeys(
        auditWho(request),
        request.headers['if-none-match'],
      );
      reply.header('cache-control', 'no-store').header('etag', etag);
      // The edge polls with If-None-Match: an unchanged key set sends (and audits) nothing.
      if (keys === null) return reply.code(304).send();
      return { data: keys };
    },
  );

  app.post(
    '/v1/playback-keys',
    {
      schema: {
        summary: 'Rotate: a new key signs from now on; older keys still verify until retired',
        tags: ['access'],
        response: { 201: { type: 'object', properties: { data: signingKeySchema } } },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return { data: await tokens.rotate(auditWho(request)) };
    },
  );

  app.delete(
    '/v1/playback-keys/:kid',
    {
      schema: {
        summary: 'Retire a signing key: the tokens it signed stop working',
        tags: ['access'],
        params: idParams('kid'),
      },
    },
    async (request, reply) => {
      await tokens.retire(auditWho(request), (request.params as { kid: string }).kid);
      reply.code(204).send();
    },
  );
}
