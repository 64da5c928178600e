import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { Cron } from 'croner';
import { z } from 'zod';

/**
 * The one typed configuration schema. Values come from environment variables and CLI flags
 * (flags win), are validated together once at start-up, and every default is the embedded one:
 * a SQLite file and a local folder under the data directory.
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A comma-separated list (spaces allowed), each item checked by `item`. */
const list = (item: z.ZodString) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));
/** `first-last` (inclusive), or `off`: the ports SRT listeners take, one per live stream. */
const portRange = z
  .string()
  .regex(/^(off|\d{1,5}-\d{1,5})$/, 'must be a port range such as 10080-10179, or off')
  .transform((v) => {
    if (v === 'off') return null;
    const [first, last] = v.split('-').map(Number) as [number, number];
    return { first, last };
  })
  .refine(
    (r) => r === null || (r.first >= 1 && r.last <= 65535 && r.first <= r.last && r.last - r.first < 10_000),
    'must be a range within 1-65535, first ≤ last, at most 10000 ports',
  );
const cidr = z
  .string()
  .regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, 'must be an IP address or CIDR range such as 10.0.0.0/8');

/**
 * Which proxies may set the client's address (`X-Forwarded-For`): `false` (none), `true` (one hop:
 * the nearest proxy; never "every hop", which would let a client write its own address and
 * escape bans and per-address limits), a hop count, or a list of proxy addresses/CIDRs. The
 * value is what Fastify's `trustProxy` takes.
 */
export type TrustProxy = false | number | string[];
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): TrustProxy => {
    const lower = v.toLowerCase();
    if (['false', '0', 'no', 'off', ''].includes(lower)) return false;
    if (['true', 'yes', 'on'].includes(lower)) return 1;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length && items.every((i) => /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(i) && /[.:]/.test(i)))
      return items;
    ctx.addIssue({
      code: 'custom',
      message: 'must be false, true (one proxy), a hop count, or proxy addresses/CIDRs such as 10.0.0.0/8',
    });
    return z.NEVER;
  });

const schema = z.object({
  port: int(0, 65535).default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: z
    .string()
    .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must start with sqlite: or postgres://')
    .optional(),
  storageUrl: z
    .string()
    .regex(/^(file:|s3:\/\/)/, 'must start with file: or s3://')
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  accessLog: z.enum(['all', 'errors', 'off']).default('all'),
  hotCacheMb: int(0, 1_000_000).default(64),
  maxUploadBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 ** 3),
  workerConcurrency: int(0, 64).default(2),
  ffmpegPath: z.string().min(1).default('ffmpeg'),
  ffprobePath: z.string().min(1).default('ffprobe'),
  x264Preset: z
    .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'])
    .default('veryfast'),
  segmentSeconds: int(1, 30).default(4),
  segmentRedirectSeconds: int(0, 7 * 24 * 3600).default(0),
  ladderStrategy: z.enum(['auto', 'one-pass', 'lowest-first']).default('auto'),
  transcodeTimeoutFactor: z.coerce.number().positive().default(10),
  jobVisibilityTimeoutMs: int(1000, 3_600_000).default(60_000),
  jobTimeoutMs: int(1000, 7 * 24 * 3_600_000).default(3_600_000),
  shutdownGraceMs: int(0, 600_000).default(15_000),
  adminApiKey: z.string().min(16, 'must be at least 16 characters').optional(),
  trustProxy: trustProxy.default(false),
  corsOrigins: list(
    z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be origins such as https://app.example.com'),
  ).default([]),
  adminAllowedIps: list(cidr).default([]),
  rateLimitPerMinute: int(1, 1_000_000).default(1200),
  tokenRateLimitPerMinute: int(1, 1_000_000).default(120),
  authFailuresPerMinute: int(1, 10_000).default(20),
  signInAttemptsPerMinute: int(1, 10_000).default(10),
  publicUrl: z
    .string()
    .regex(/^https?:\/\/[^/\s]+$/, 'must be an origin such as https://media.example.com')
    .optional(),
  secret: z.string().min(32, 'must be at least 32 characters').optional(),
  signUp: z.enum(['open', 'closed']).default('open'),
  smtpUrl: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  mailFrom: z.string().min(3).default('Framehouse <framehouse@localhost>'),
  oidcIssuer: z.string().url().optional(),
  oidcClientId: z.string().min(1).optional(),
  oidcClientSecret: z.string().min(1).optional(),
  webhooksAllowPrivate: bool.default(false),
  webhookRetrySchedule: z
    .string()
    .transform((v) => v.split(',').map((s) => Number(s.trim())))
    .pipe(z.array(z.number().min(0).max(86_400)).max(20))
    .default([5, 300, 1800, 7200, 18_000, 36_000, 21_600]),
  webhookDisableAfter: int(1, 10_000).default(30),
  webhookTimeoutMs: int(100, 60_000).default(10_000),
  eventsPollMs: int(5, 60_000).default(500),
  // URL ingest: what a fetch may cost, and (development only) loopback and private addresses.
  ingestMaxBytes: z.coerce.number().int().positive().optional(),
  ingestTimeoutSeconds: int(1, 7 * 24 * 3600).default(3600),
  ingestAllowPrivate: bool.default(false),
  ingestAllowedIps: list(cidr).default([]),
  // Bucket drop-in: objects under imports/ become assets (notifications and/or a periodic scan).
  storageHookSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  importsScanSeconds: int(0, 24 * 3600).default(0),
  importsSettleSeconds: int(0, 24 * 3600).default(10),
  importsBatchPrefix: z
    .string()
    .regex(/^imports\/([A-Za-z0-9._-]+\/)+$/, 'must be a folder under imports/ such as imports/batches/')
    .default('imports/batches/'),
  metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  metricsAllowedIps: list(cidr).default([]),
  metricsPort: int(1, 65535).optional(),
  workerMin: int(1, 64).optional(),
  workerMax: int(1, 256).optional(),
  imageMaxMegapixels: int(1, 10_000).default(100),
  imageMaxBytes: int(1, 10 * 1024 ** 3).default(300 * 1024 * 1024),
  imageMaxFrames: int(1, 100_000).default(200),
  imgKey: z
    .string()
    .regex(/^([0-9a-fA-F]{2})+$/, 'must be hex')
    .optional(),
  imgSalt: z
    .string()
    .regex(/^([0-9a-fA-F]{2})+$/, 'must be hex')
    .optional(),
  imgWatermarkAsset: z
    .string()
    .regex(/^[a-z0-9]{8,64}$/, 'must be an asset id')
    .optional(),
  imageThreads: int(1, 64).default(1),
  imagePresets: z
    .string()
    .refine((v) => {
      try {
        const o = JSON.parse(v) as unknown;
        return typeof o === 'object' && o !== null && !Array.isArray(o);
      } catch {
        return false;
      }
    }, 'must be a JSON object of preset name → preset')
    .optional(),
  // Live (src/live/): ingest ports, what ingest URLs show, per-node limits.
  rtmpPort: int(0, 65535).default(1935),
  rtmpsPort: int(0, 65535).default(1936),
  rtmpsCert: z.string().min(1).optional(),
  rtmpsKey: z.string().min(1).optional(),
  srtPorts: portRange.default({ first: 10080, last: 10179 }),
  liveIngestHost: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:.]+\]$/, 'must be a host name or address, without scheme or port')
    .optional(),
  liveMaxStreams: int(1, 1000).default(4),
  liveMaxBitrateKbps: int(100, 1_000_000).default(20_000),
  liveMaxRungs: int(1, 8).default(3),
  liveDvrSeconds: int(0, 24 * 3600).default(1800),
  // The live ladder's x264 speed: it must encode every rung in real time (see bench/ and the README).
  liveX264Preset: z.enum(['ultrafast', 'superfast', 'veryfast', 'faster']).default('superfast'),
  liveInternalUrl: z
    .string()
    .regex(/^https?:\/\/[^/\s]+$/, 'must be an origin such as http://live-1.internal:8080')
    .optional(),
  // The live room: words masked in every room's chat, and how often readers poll the room log
  // (SQLite; on PostgreSQL NOTIFY wakes them and the poll is a 4× slower safety net).
  chatWordFilter: list(z.string().max(40, 'each word at most 40 characters')).default([]),
  roomPollMs: int(20, 10_000).default(250),
  // WebRTC playback (WHEP) of live streams: viewers per live node (0: off), the address put in
  // the answers' host candidates (behind a 1:1 NAT), and the UDP ports ICE binds (`any`: the OS picks).
  whepMaxViewers: int(0, 100_000).default(100),
  whepPublicIp: z
    .string()
    .regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'must be an IPv4 address such as 203.0.113.7')
    .optional(),
  whepPorts: z
    .string()
    .regex(/^(any|\d{1,5}-\d{1,5})$/, 'must be a UDP port range such as 40000-40999, or any')
    .transform((v): [number, number] | null => {
      if (v === 'any') return null;
      const [first, last] = v.split('-').map(Number) as [number, number];
      return [first, last];
    })
    .refine(
      (r) => r === null || (r[0] >= 1024 && r[1] <= 65535 && r[0] <= r[1]),
      'must be a range within 1024-65535, first ≤ last',
    )
    .default(null),
  // Open room event streams an HTTP process takes from one address, and in all.
  roomStreamsPerAddress: int(1, 1_000_000).default(20),
  roomMaxStreams: int(1, 10_000_000).default(20_000),
  // Viewer analytics (docs/qoe.md): on/off (players stop reporting when off), report requests
  // per minute per client address (0: no limit; per HTTP process), how long after its last
  // report a view is closed and counted, and how long views and hourly rollups are kept.
  qoe: bool.default(true),
  qoeRateLimit: int(0, 10_000_000).default(1200),
  qoeViewTimeoutMs: int(1000, 86_400_000).default(1_800_000),
  qoeViewRetentionDays: int(1, 3650).default(30),
  qoeRollupRetentionMonths: int(1, 120).default(13),
  // Backups, the trash and storage lifecycle (docs/operations.md). A schedule is a cron expression
  // (five or six fields, the server's time zone); the target a folder or s3://bucket/prefix?….
  backupSchedule: z
    .string()
    .trim()
    .refine(isCron, 'must be a cron expression such as "0 3 * * *"')
    .optional(),
  backupTarget: z.string().trim().min(1).optional(),
  backupKeep: int(1, 1000).default(7),
  backupObjects: z.enum(['all', 'none']).default('all'),
  backupPassphrase: z.string().min(12, 'must be at least 12 characters').optional(),
  trashDays: int(0, 3650).default(30),
  lifecycleDropOriginalDays: int(1, 36_500).optional(),
  lifecycleColdDays: int(1, 36_500).optional(),
  lifecycleColdStorageClass: z
    .enum(['STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'])
    .optional(),
  lifecycleColdStorageUrl: z
    .string()
    .trim()
    .regex(/^(file:|s3:\/\/)/, 'must be file:/path or s3://bucket/prefix')
    .optional(),
  lifecycleUnfinishedUploadDays: int(1, 3650).default(7),
  // Usage metering (docs/usage.md): how often each process writes its counters, and how often
  // one worker walks the store to integrate stored bytes over time.
  usageFlushSeconds: int(1, 300).default(60),
  usageStorageSampleMinutes: int(1, 1440).default(5),
  // HTTP processes sharing the port (SO_REUSEPORT); `auto`: one per core where the platform has it.
  httpProcesses: z.union([z.literal('auto'), int(1, 64)]).default('auto'),
});

export type Config = z.infer<typeof schema> & {
  databaseUrl: string;
  storageUrl: string;
  /** Always set: FRAMEHOUSE_BACKUP_TARGET, or {data dir}/backups. */
  backupTarget: string;
  /** Always set: FRAMEHOUSE_LIVE_INTERNAL_URL, or http://{os hostname}:{PORT}. */
  liveInternalUrl: string;
  /** FRAMEHOUSE_LIVE_INTERNAL_URL was given (not derived). */
  liveInternalUrlGiven: boolean;
  /** `auto` resolved: how many processes answer HTTP on the port (1: this one alone). */
  httpProcesses: number;
};

/** Where each setting comes from, for the README's table and for error messages. */
export const ENV_NAMES: Record<keyof z.infer<typeof schema>, string> = {
  port: 'PORT',
  host: 'FRAMEHOUSE_HOST',
  dataDir: 'FRAMEHOUSE_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  storageUrl: 'STORAGE_URL',
  logLevel: 'FRAMEHOUSE_LOG_LEVEL',
  accessLog: 'FRAMEHOUSE_ACCESS_LOG',
  hotCacheMb: 'FRAMEHOUSE_HOT_CACHE_MB',
  maxUploadBytes: 'FRAMEHOUSE_MAX_UPLOAD_BYTES',
  workerConcurrency: 'FRAMEHOUSE_WORKER_CONCURRENCY',
  ffmpegPath: 'FRAMEHOUSE_FFMPEG_PATH',
  ffprobePath: 'FRAMEHOUSE_FFPROBE_PATH',
  x264Preset: 'FRAMEHOUSE_X264_PRESET',
  segmentSeconds: 'FRAMEHOUSE_SEGMENT_SECONDS',
  segmentRedirectSeconds: 'FRAMEHOUSE_SEGMENT_REDIRECT_SECONDS',
  ladderStrategy: 'FRAMEHOUSE_LADDER_STRATEGY',
  transcodeTimeoutFactor: 'FRAMEHOUSE_TRANSCODE_TIMEOUT_FACTOR',
  jobVisibilityTimeoutMs: 'FRAMEHOUSE_JOB_VISIBILITY_TIMEOUT_MS',
  jobTimeoutMs: 'FRAMEHOUSE_JOB_TIMEOUT_MS',
  shutdownGraceMs: 'FRAMEHOUSE_SHUTDOWN_GRACE_MS',
  adminApiKey: 'FRAMEHOUSE_ADMIN_API_KEY',
  trustProxy: 'FRAMEHOUSE_TRUST_PROXY',
  corsOrigins: 'FRAMEHOUSE_CORS_ORIGINS',
  adminAllowedIps: 'FRAMEHOUSE_ADMIN_ALLOWED_IPS',
  rateLimitPerMinute: 'FRAMEHOUSE_RATE_LIMIT_PER_MINUTE',
  tokenRateLimitPerMinute: 'FRAMEHOUSE_TOKEN_RATE_LIMIT_PER_MINUTE',
  authFailuresPerMinute: 'FRAMEHOUSE_AUTH_FAILURES_PER_MINUTE',
  signInAttemptsPerMinute: 'FRAMEHOUSE_SIGN_IN_ATTEMPTS_PER_MINUTE',
  publicUrl: 'FRAMEHOUSE_PUBLIC_URL',
  secret: 'FRAMEHOUSE_SECRET',
  signUp: 'FRAMEHOUSE_SIGNUP',
  smtpUrl: 'FRAMEHOUSE_SMTP_URL',
  mailFrom: 'FRAMEHOUSE_MAIL_FROM',
  oidcIssuer: 'FRAMEHOUSE_OIDC_ISSUER',
  oidcClientId: 'FRAMEHOUSE_OIDC_CLIENT_ID',
  oidcClientSecret: 'FRAMEHOUSE_OIDC_CLIENT_SECRET',
  webhooksAllowPrivate: 'FRAMEHOUSE_WEBHOOKS_ALLOW_PRIVATE',
  webhookRetrySchedule: 'FRAMEHOUSE_WEBHOOK_RETRY_SCHEDULE',
  webhookDisableAfter: 'FRAMEHOUSE_WEBHOOK_DISABLE_AFTER',
  webhookTimeoutMs: 'FRAMEHOUSE_WEBHOOK_TIMEOUT_MS',
  eventsPollMs: 'FRAMEHOUSE_EVENTS_POLL_MS',
  ingestMaxBytes: 'FRAMEHOUSE_INGEST_MAX_BYTES',
  ingestTimeoutSeconds: 'FRAMEHOUSE_INGEST_TIMEOUT_SECONDS',
  ingestAllowPrivate: 'FRAMEHOUSE_INGEST_ALLOW_PRIVATE',
  ingestAllowedIps: 'FRAMEHOUSE_INGEST_ALLOWED_IPS',
  storageHookSecret: 'FRAMEHOUSE_STORAGE_HOOK_SECRET',
  importsScanSeconds: 'FRAMEHOUSE_IMPORTS_SCAN_SECONDS',
  importsSettleSeconds: 'FRAMEHOUSE_IMPORTS_SETTLE_SECONDS',
  importsBatchPrefix: 'FRAMEHOUSE_IMPORTS_BATCH_PREFIX',
  metricsToken: 'FRAMEHOUSE_METRICS_TOKEN',
  metricsAllowedIps: 'FRAMEHOUSE_METRICS_ALLOWED_IPS',
  metricsPort: 'FRAMEHOUSE_METRICS_PORT',
  workerMin: 'FRAMEHOUSE_WORKER_MIN',
  workerMax: 'FRAMEHOUSE_WORKER_MAX',
  imageMaxMegapixels: 'FRAMEHOUSE_IMAGE_MAX_MEGAPIXELS',
  imageMaxBytes: 'FRAMEHOUSE_IMAGE_MAX_BYTES',
  imageMaxFrames: 'FRAMEHOUSE_IMAGE_MAX_FRAMES',
  imgKey: 'FRAMEHOUSE_IMG_KEY',
  imgSalt: 'FRAMEHOUSE_IMG_SALT',
  imgWatermarkAsset: 'FRAMEHOUSE_IMG_WATERMARK_ASSET',
  imageThreads: 'FRAMEHOUSE_IMAGE_THREADS',
  imagePresets: 'FRAMEHOUSE_IMAGE_PRESETS',
  rtmpPort: 'FRAMEHOUSE_RTMP_PORT',
  rtmpsPort: 'FRAMEHOUSE_RTMPS_PORT',
  rtmpsCert: 'FRAMEHOUSE_RTMPS_CERT',
  rtmpsKey: 'FRAMEHOUSE_RTMPS_KEY',
  srtPorts: 'FRAMEHOUSE_SRT_PORTS',
  liveIngestHost: 'FRAMEHOUSE_LIVE_INGEST_HOST',
  liveMaxStreams: 'FRAMEHOUSE_LIVE_MAX_STREAMS',
  liveMaxBitrateKbps: 'FRAMEHOUSE_LIVE_MAX_BITRATE_KBPS',
  liveMaxRungs: 'FRAMEHOUSE_LIVE_MAX_RUNGS',
  liveDvrSeconds: 'FRAMEHOUSE_LIVE_DVR_SECONDS',
  liveX264Preset: 'FRAMEHOUSE_LIVE_X264_PRESET',
  liveInternalUrl: 'FRAMEHOUSE_LIVE_INTERNAL_URL',
  chatWordFilter: 'FRAMEHOUSE_CHAT_WORD_FILTER',
  roomPollMs: 'FRAMEHOUSE_ROOM_POLL_MS',
  whepMaxViewers: 'FRAMEHOUSE_WHEP_MAX_VIEWERS',
  whepPublicIp: 'FRAMEHOUSE_WHEP_PUBLIC_IP',
  whepPorts: 'FRAMEHOUSE_WHEP_PORTS',
  roomStreamsPerAddress: 'FRAMEHOUSE_ROOM_STREAMS_PER_ADDRESS',
  roomMaxStreams: 'FRAMEHOUSE_ROOM_MAX_STREAMS',
  qoe: 'FRAMEHOUSE_QOE',
  qoeRateLimit: 'FRAMEHOUSE_QOE_RATE_LIMIT',
  qoeViewTimeoutMs: 'FRAMEHOUSE_QOE_VIEW_TIMEOUT_MS',
  qoeViewRetentionDays: 'FRAMEHOUSE_QOE_VIEW_RETENTION_DAYS',
  qoeRollupRetentionMonths: 'FRAMEHOUSE_QOE_ROLLUP_RETENTION_MONTHS',
  backupSchedule: 'FRAMEHOUSE_BACKUP_SCHEDULE',
  backupTarget: 'FRAMEHOUSE_BACKUP_TARGET',
  backupKeep: 'FRAMEHOUSE_BACKUP_KEEP',
  backupObjects: 'FRAMEHOUSE_BACKUP_OBJECTS',
  backupPassphrase: 'FRAMEHOUSE_BACKUP_PASSPHRASE',
  trashDays: 'FRAMEHOUSE_TRASH_DAYS',
  usageFlushSeconds: 'FRAMEHOUSE_USAGE_FLUSH_SECONDS',
  usageStorageSampleMinutes: 'FRAMEHOUSE_USAGE_STORAGE_SAMPLE_MINUTES',
  lifecycleDropOriginalDays: 'FRAMEHOUSE_LIFECYCLE_DROP_ORIGINAL_DAYS',
  lifecycleColdDays: 'FRAMEHOUSE_LIFECYCLE_COLD_DAYS',
  lifecycleColdStorageClass: 'FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_CLASS',
  lifecycleColdStorageUrl: 'FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_URL',
  lifecycleUnfinishedUploadDays: 'FRAMEHOUSE_LIFECYCLE_UNFINISHED_UPLOAD_DAYS',
  httpProcesses: 'FRAMEHOUSE_HTTP_PROCESSES',
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Builds the configuration from the environment and CLI flags (camelCase keys). Throws one
 * ConfigError naming every bad value, never just the first.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  flags: Partial<Record<keyof typeof ENV_NAMES, unknown>> = {},
): Config {
  const input: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(ENV_NAMES)) {
    const fromFlag = flags[key as keyof typeof ENV_NAMES];
    const fromEnv = env[envName];
    const value = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    if (value !== undefined) input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]) as keyof typeof ENV_NAMES;
        return `${ENV_NAMES[key] ?? key}: ${issue.message} (got ${JSON.stringify(input[key])})`;
      }),
    );
  }
  const c = parsed.data;
  const dataDir = resolve(c.dataDir);
  const storageUrl = c.storageUrl ?? `file:${resolve(dataDir, 'objects')}`;
  const crossProblems = lifecycleProblems(c, storageUrl);
  if (crossProblems.length > 0) throw new ConfigError(crossProblems);
  return {
    ...c,
    dataDir,
    databaseUrl: c.databaseUrl ?? `sqlite:${resolve(dataDir, 'framehouse.db')}`,
    storageUrl,
    // Scheduled backups go beside the data unless told otherwise (better: another disk or bucket).
    backupTarget: c.backupTarget ?? resolve(dataDir, 'backups'),
    liveInternalUrl: c.liveInternalUrl ?? `http://${hostname()}:${c.port}`,
    liveInternalUrlGiven: c.liveInternalUrl !== undefined,
    httpProcesses: c.httpProcesses === 'auto' ? autoHttpProcesses() : c.httpProcesses,
  };
}

function isCron(v: string): boolean {
  try {
    new Cron(v, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

/** Settings that are only wrong together: a cold tier needs somewhere to go. */
function lifecycleProblems(c: z.infer<typeof schema>, storageUrl: string): string[] {
  const problems: string[] = [];
  const { lifecycleColdDays: days, lifecycleColdStorageClass: cls, lifecycleColdStorageUrl: url } = c;
  if (days !== undefined && !cls && !url)
    problems.push(
      'FRAMEHOUSE_LIFECYCLE_COLD_DAYS: needs FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_CLASS (S3) or FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_URL',
    );
  if (cls && url)
    problems.push(
      'FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_CLASS: give a storage class or a second store, not both',
    );
  if (url && url.replace(/\/+$/, '') === storageUrl.replace(/\/+$/, ''))
    problems.push('FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_URL: must be another store than STORAGE_URL');
  if (cls && !storageUrl.startsWith('s3://'))
    problems.push(
      'FRAMEHOUSE_LIFECYCLE_COLD_STORAGE_CLASS: storage classes exist only on S3 (STORAGE_URL=s3://…)',
    );
  return problems;
}

/** Platforms whose kernel balances one port over several sockets (SO_REUSEPORT, Node ≥ 22.12). */
const REUSE_PORT_PLATFORMS = new Set<string>(['linux', 'freebsd', 'aix', 'sunos']);

/** One HTTP process per core (at most 8: past that the database is the limit), where the platform allows. */
export function autoHttpProcesses(): number {
  return REUSE_PORT_PLATFORMS.has(process.platform) ? Math.min(8, availableParallelism()) : 1;
}
