/** JSON schemas of the live room's routes (validation and the OpenAPI document at /docs). */
import { MAX_TIMEOUT_SECONDS } from './moderation.ts';
import { REACTION_KINDS } from './reactions.ts';

const ID = { type: 'string', pattern: '^[a-z0-9]{8,64}$' } as const;

/** Chat bodies are small: a few KiB is plenty (the app's default is 1 MiB). */
export const ROOM_BODY_LIMIT = 16 * 1024;

export const playbackParams = {
  type: 'object',
  properties: { playback_id: ID },
  required: ['playback_id'],
} as const;
export const productClickParams = {
  type: 'object',
  properties: { playback_id: ID, product_id: ID },
  required: ['playback_id', 'product_id'],
} as const;
export const streamParams = { type: 'object', properties: { id: ID }, required: ['id'] } as const;
export const streamChildParams = (name: string) =>
  ({ type: 'object', properties: { id: ID, [name]: ID }, required: ['id', name] }) as const;

export const tokenQuery = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: 4096 } },
} as const;

/** A picture's query: the token of a signed room, and `v` (the asset, so a new picture is a new URL). */
export const pictureQuery = {
  type: 'object',
  properties: { token: { type: 'string', maxLength: 4096 }, v: { type: 'string', maxLength: 64 } },
} as const;

export const joinBody = {
  type: 'object',
  additionalProperties: false,
  properties: { nickname: { type: 'string', maxLength: 200 } },
} as const;

export const messageBody = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  // Longer than any room allows (the room's max_length decides, with a coded error).
  properties: { text: { type: 'string', maxLength: 4000 } },
} as const;

export const reactionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', enum: [...REACTION_KINDS] },
    count: { type: 'integer', minimum: 1, maximum: 50, default: 1 },
  },
} as const;

export const roomPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    guests_allowed: { type: 'boolean' },
    links_allowed: { type: 'boolean' },
    slow_mode_seconds: { type: 'integer', minimum: 0, maximum: 300 },
    paused: { type: 'boolean' },
    max_length: { type: 'integer', minimum: 1, maximum: 500 },
    word_filter: { type: 'array', maxItems: 200, items: { type: 'string', minLength: 1, maxLength: 40 } },
    scheduled_at: { type: ['string', 'null'], format: 'date-time' },
    poster_asset_id: { anyOf: [ID, { type: 'null' }] },
  },
} as const;

export const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    before: { type: 'string', maxLength: 200 },
  },
} as const;

export const hostMessageBody = messageBody;

export const banBody = {
  type: 'object',
  additionalProperties: false,
  required: ['viewer_id'],
  properties: {
    viewer_id: ID,
    duration_seconds: { type: 'integer', minimum: 1, maximum: MAX_TIMEOUT_SECONDS },
    reason: { type: 'string', maxLength: 200 },
  },
} as const;

const price = {
  anyOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['amount', 'currency'],
      properties: {
        amount: { type: 'string', pattern: '^\\d{1,12}(\\.\\d{1,4})?$' },
        currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      },
    },
    { type: 'null' },
  ],
} as const;
const productFields = {
  title: { type: 'string', minLength: 1, maxLength: 200 },
  price,
  image_asset_id: { anyOf: [ID, { type: 'null' }] },
  url: { type: ['string', 'null'], maxLength: 2000 },
} as const;
export const productCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['title'],
  properties: productFields,
} as const;
export const productPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: productFields,
} as const;
export const productOrderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['ids'],
  properties: { ids: { type: 'array', maxItems: 100, items: ID } },
} as const;

export const summaryQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { broadcast_id: ID },
} as const;
