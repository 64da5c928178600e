/** JSON schemas of the backups admin routes (validation, serialisation, the OpenAPI document). */

const NUM_OR_NULL = { type: ['number', 'null'] } as const;
const STR_OR_NULL = { type: ['string', 'null'] } as const;

export const backupListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
    cursor: { type: 'string', maxLength: 200 },
  },
} as const;

export const backupParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  required: ['id'],
} as const;

const backupProperties = {
  id: { type: 'string' },
  trigger: { type: 'string', enum: ['cli', 'schedule'] },
  status: {
    type: 'string',
    enum: ['running', 'succeeded', 'failed'],
    description: 'A running backup whose heartbeat is older than 60 s is shown as failed',
  },
  target: { type: 'string', description: 'Where it was written, without credentials' },
  objects: { type: 'string', enum: ['all', 'none'] },
  secrets_included: { type: 'boolean' },
  node: { ...STR_OR_NULL, description: 'The process that ran it' },
  started_at: { type: 'string' },
  snapshot_at: { ...STR_OR_NULL, description: 'Everything committed before this time is in the backup' },
  finished_at: STR_OR_NULL,
  duration_ms: NUM_OR_NULL,
  size_bytes: { ...NUM_OR_NULL, description: 'Bytes this backup added to the target' },
  database_bytes: NUM_OR_NULL,
  objects_total: NUM_OR_NULL,
  objects_copied: { ...NUM_OR_NULL, description: 'Objects copied into the pool for the first time' },
  objects_bytes: NUM_OR_NULL,
  verification: { type: ['string', 'null'], enum: ['passed', 'failed', null] },
  verification_problems: { type: 'array', items: { type: 'string' } },
  error: {
    type: ['object', 'null'],
    properties: { code: { type: 'string' }, message: { type: 'string' } },
  },
} as const;

const scheduleSchema = {
  type: ['object', 'null'],
  description: 'FRAMEHOUSE_BACKUP_SCHEDULE and what it runs with; null when no schedule is set',
  properties: {
    cron: { type: 'string' },
    next_run_at: STR_OR_NULL,
    target: { type: 'string', description: 'Without credentials' },
    keep: { type: 'integer' },
    objects: { type: 'string', enum: ['all', 'none'] },
    secrets_included: { type: 'boolean', description: 'FRAMEHOUSE_BACKUP_PASSPHRASE is set' },
  },
} as const;

export const backupListResponse = {
  type: 'object',
  properties: {
    data: { type: 'array', items: { type: 'object', properties: backupProperties } },
    next_cursor: STR_OR_NULL,
    schedule: scheduleSchema,
  },
} as const;

export const backupResponse = {
  type: 'object',
  properties: { data: { type: 'object', properties: backupProperties } },
} as const;
