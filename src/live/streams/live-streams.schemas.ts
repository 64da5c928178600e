/** JSON schemas of the live-stream routes: validation, response serialization, the OpenAPI document at /docs. */
const nullable = (type: string) => ({ type: [type, 'null'] });

export const MAX_TITLE = 500;
/** Seconds; Mux allows up to 1800 too. */
export const MAX_RECONNECT_WINDOW = 1800;

const editable = {
  title: { type: ['string', 'null'], maxLength: MAX_TITLE },
  playback_policy: { type: 'string', enum: ['public', 'signed'] },
  latency_mode: {
    type: 'string',
    enum: ['low', 'standard'],
    description: '`low`: LL-HLS parts, ~2 s glass to glass; `standard`: longer segments, no parts',
  },
  reconnect_window: {
    type: 'integer',
    minimum: 0,
    maximum: MAX_RECONNECT_WINDOW,
    description: 'Seconds an encoder may be gone before the broadcast ends (default 60)',
  },
  record: { type: 'boolean', description: 'Each broadcast becomes a VOD asset (default true)' },
} as const;

export const createBody = { type: 'object', additionalProperties: false, properties: editable } as const;
export const patchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: editable,
} as const;

export const liveStreamSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    title: nullable('string'),
    status: { type: 'string', enum: ['idle', 'active', 'disconnected', 'disabled'] },
    stream_key: { type: 'string', description: 'Only for the stream’s creator and admins' },
    srt_passphrase: { type: 'string', description: 'Only for the stream’s creator and admins' },
    ingest: {
      type: 'object',
      properties: {
        rtmp: { type: 'string', description: 'Server URL; the stream key is the stream name' },
        rtmps: nullable('string'),
        srt: { ...nullable('string'), description: 'Null when SRT is off' },
      },
    },
    playback_ids: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' }, policy: { type: 'string' } } },
    },
    playback: { type: ['object', 'null'], properties: { hls: { type: 'string' } } },
    latency_mode: { type: 'string', enum: ['low', 'standard'] },
    reconnect_window: { type: 'integer' },
    record: { type: 'boolean' },
    current: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'While active',
      properties: {
        started_at: { type: 'string' },
        renditions: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: true,
            properties: {
              name: { type: 'string' },
              width: nullable('integer'),
              height: nullable('integer'),
              bandwidth: { type: 'integer' },
            },
          },
        },
        ingest_bitrate: nullable('number'),
        fps: nullable('number'),
        warnings: {
          type: 'array',
          description: 'Stream health warnings for the host (see docs/live-room.md, Stream health)',
          items: {
            type: 'object',
            additionalProperties: true,
            properties: {
              code: { type: 'string' },
              message: { type: 'string', description: 'English' },
              params: {
                type: 'object',
                additionalProperties: true,
                description: 'The values the message is built from (numbers, rendition names), by name',
              },
            },
          },
        },
      },
    },
    recordings: { type: 'array', items: { type: 'string' }, description: 'Asset ids of the recordings' },
    last_error: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[a-z0-9]{8,64}$' } },
  required: ['id'],
} as const;
