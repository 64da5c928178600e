/** JSON schemas of the viewer analytics read routes (validation, serialisation, the OpenAPI document). */
import { GROUP_BY } from './overview.service.ts';

const ID = { type: 'string', pattern: '^[a-z0-9]{8,64}$' } as const;
const TIME = { type: 'string', format: 'date-time' } as const;
const NUM = { type: 'number' } as const;
const NUM_OR_NULL = { type: ['number', 'null'] } as const;
const STR_OR_NULL = { type: ['string', 'null'] } as const;

export const overviewQuery = {
  type: 'object',
  properties: {
    from: { ...TIME, description: 'Start (ISO-8601), rounded down to the hour; default: 24 h before `to`' },
    to: { ...TIME, description: 'End (ISO-8601), rounded up to the hour; default: now' },
    asset_id: ID,
    live_stream_id: ID,
    group_by: { type: 'string', enum: [...GROUP_BY] },
  },
} as const;

export const viewListQuery = {
  type: 'object',
  properties: {
    from: { ...TIME, description: 'Views that started at or after this time' },
    to: { ...TIME, description: 'Views that started before this time' },
    asset_id: ID,
    live_stream_id: ID,
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
    cursor: { type: 'string', maxLength: 200 },
  },
} as const;

export const viewParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['id'],
} as const;

const metricsProperties = {
  views: NUM,
  open_views: NUM,
  failed: NUM,
  failure_rate: NUM_OR_NULL,
  exits_before_start: NUM,
  exit_before_start_rate: NUM_OR_NULL,
  startup_ms: {
    type: 'object',
    properties: { median: NUM_OR_NULL, p95: NUM_OR_NULL, mean: NUM_OR_NULL },
  },
  rebuffer_percentage: NUM_OR_NULL,
  rebuffer_frequency: { ...NUM_OR_NULL, description: 'Stalls per minute of watch time' },
  rebuffered_view_rate: NUM_OR_NULL,
  watch_time_seconds: NUM,
  playing_time_seconds: NUM,
  average_bitrate_kbps: NUM_OR_NULL,
  switches_per_view: NUM_OR_NULL,
  upscale_percentage: NUM_OR_NULL,
  dropped_frames: NUM,
  score: NUM_OR_NULL,
  scores: {
    type: 'object',
    properties: { success: NUM_OR_NULL, startup: NUM_OR_NULL, smoothness: NUM_OR_NULL, quality: NUM_OR_NULL },
  },
} as const;

const histogram = {
  type: 'object',
  properties: { bounds: { type: 'array', items: NUM }, counts: { type: 'array', items: NUM } },
} as const;

export const overviewResponse = {
  type: 'object',
  properties: {
    data: {
      type: 'object',
      properties: {
        from: { type: 'string' },
        to: { type: 'string' },
        interval: { type: 'string', enum: ['hour', 'day'] },
        totals: { type: 'object', properties: metricsProperties },
        series: {
          type: 'array',
          items: { type: 'object', properties: { time: { type: 'string' }, ...metricsProperties } },
        },
        histograms: {
          type: 'object',
          properties: { startup_ms: histogram, score: histogram, rebuffer_percentage: histogram },
        },
        groups: {
          type: 'array',
          items: {
            type: 'object',
            properties: { key: { type: 'string' }, label: { type: 'string' }, ...metricsProperties },
          },
        },
        worst_assets: {
          type: 'array',
          items: {
            type: 'object',
            properties: { asset_id: { type: 'string' }, title: STR_OR_NULL, views: NUM, score: NUM },
          },
        },
        concurrency: {
          type: 'array',
          items: { type: 'object', properties: { time: { type: 'string' }, viewers: NUM } },
        },
      },
    },
  },
} as const;

const viewProperties = {
  id: { type: 'string' },
  playback_id: { type: 'string' },
  asset_id: STR_OR_NULL,
  live_stream_id: STR_OR_NULL,
  stream_type: { type: 'string' },
  device_type: { type: 'string' },
  os: { type: 'string' },
  browser: { type: 'string' },
  country: { type: 'string' },
  started_at: { type: 'string' },
  ended_at: { type: 'string', description: 'The last report' },
  closed: { type: 'boolean' },
  startup_ms: NUM_OR_NULL,
  exited_before_start: { type: 'boolean' },
  failed: { type: 'boolean' },
  error_code: STR_OR_NULL,
  rebuffer_count: NUM,
  rebuffer_ms: NUM,
  rebuffer_percentage: NUM_OR_NULL,
  watch_time_seconds: NUM,
  playing_time_seconds: NUM,
  switches: NUM,
  average_bitrate_kbps: NUM_OR_NULL,
  upscale_percentage: NUM_OR_NULL,
  max_upscale: NUM_OR_NULL,
  dropped_frames: NUM,
  renditions: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        rendition: STR_OR_NULL,
        bitrate_kbps: NUM_OR_NULL,
        height: NUM_OR_NULL,
        playing_ms: NUM,
        rebuffer_count: NUM,
        rebuffer_ms: NUM,
        upscaled_ms: NUM,
      },
    },
  },
  score: NUM_OR_NULL,
  scores: metricsProperties.scores,
} as const;

export const viewListResponse = {
  type: 'object',
  properties: {
    data: { type: 'array', items: { type: 'object', properties: viewProperties } },
    next_cursor: STR_OR_NULL,
  },
} as const;

export const viewResponse = {
  type: 'object',
  properties: {
    data: {
      type: 'object',
      properties: {
        ...viewProperties,
        timeline: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              time: { type: 'string', description: 'On the server clock' },
              event: { type: 'string' },
              state: STR_OR_NULL,
              data: { type: 'object', additionalProperties: true },
            },
          },
        },
        states: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              state: { type: 'string' },
              from: { type: 'string' },
              to: { type: 'string' },
              rendition: STR_OR_NULL,
            },
          },
        },
      },
    },
  },
} as const;
