import { trackSchema } from '../captions/track.presenter.ts';

/** JSON schemas for the OpenAPI document at /docs and for response serialization. */
const nullable = (type: string) => ({ type: [type, 'null'] });

export const assetSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['waiting', 'processing', 'ready', 'errored'] },
    kind: { type: ['string', 'null'], enum: ['video', 'audio', 'image', null] },
    title: nullable('string'),
    duration: nullable('number'),
    width: nullable('integer'),
    height: nullable('integer'),
    is_360: { type: 'boolean' },
    progress: nullable('number'),
    renditions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          type: { type: 'string' },
          width: nullable('integer'),
          height: nullable('integer'),
          bandwidth: { type: 'integer' },
          codecs: { type: 'string' },
          frame_rate: nullable('number'),
          status: { type: 'string' },
        },
      },
    },
    playback_ids: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, policy: { type: 'string' } } },
    },
    tracks: { type: 'array', items: trackSchema },
    playback: {
      type: ['object', 'null'],
      properties: { hls: { type: 'string' }, thumbnail: { type: 'string' }, storyboard: { type: 'string' } },
    },
    source: {
      type: 'object',
      properties: { filename: nullable('string'), size: nullable('integer'), sha256: nullable('string') },
    },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
    },
    mp4_support: { type: 'string', enum: ['none', 'standard', 'capped-1080p'] },
    downloads: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          width: nullable('integer'),
          height: nullable('integer'),
          size: nullable('integer'),
          status: { type: 'string', enum: ['waiting', 'preparing', 'ready', 'errored'] },
          url: nullable('string'),
        },
      },
    },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    deleted_at: { type: ['string', 'null'], format: 'date-time' },
    purge_after: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const errorSchemaRef = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
} as const;
