import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Row types of every table. Times are ISO-8601 UTC strings; JSON columns hold text. */
export interface Database {
  assets: AssetsTable;
  renditions: RenditionsTable;
  playback_ids: PlaybackIdsTable;
  uploads: UploadsTable;
  upload_parts: UploadPartsTable;
  upload_locks: UploadLocksTable;
  imported_objects: ImportedObjectsTable;
  api_keys: ApiKeysTable;
  playback_signing_keys: PlaybackSigningKeysTable;
  audit_events: AuditEventsTable;
  users: UsersTable;
  sessions: SessionsTable;
  instance_settings: { key: string; value: string };
  totp_codes_used: { user_id: string; code: string; used_at: number };
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  worker_nodes: {
    id: string;
    host: string;
    role: string;
    /** JSON array of the job types it takes. */
    types: string;
    slots: number;
    busy: number;
    started_at: string;
    last_seen_at: string;
  };
  jobs: JobsTable;
  events: EventsTable;
  image_presets: { name: string; recipe: string; updated_at: string };
  image_batches: ImageBatchesTable;
  image_batch_items: ImageBatchItemsTable;
  asset_tracks: AssetTracksTable;
  asset_downloads: AssetDownloadsTable;
  live_streams: LiveStreamsTable;
  live_playback_ids: LivePlaybackIdsTable;
  live_broadcasts: LiveBroadcastsTable;
  live_segments: LiveSegmentsTable;
  live_nodes: LiveNodesTable;
  live_rooms: LiveRoomsTable;
  live_chat_viewers: LiveChatViewersTable;
  live_chat_messages: LiveChatMessagesTable;
  live_chat_bans: LiveChatBansTable;
  live_products: LiveProductsTable;
  live_product_clicks: { product_id: string; broadcast_id: string; clicks: number };
  live_room_reactions: { live_stream_id: string; broadcast_id: string; kind: string; count: number };
  live_room_events: LiveRoomEventsTable;
  live_room_presence: { node_id: string; live_stream_id: string; viewers: number; updated_at: number };
  live_room_samples: { broadcast_id: string; node_id: string; bucket: number; viewers: number };
  qoe_views: QoeViewsTable;
  qoe_view_events: QoeViewEventsTable;
  qoe_hourly: QoeHourlyTable;
  qoe_daily: QoeDailyTable;
  qoe_live_minutes: { live_stream_id: string; minute: number; viewers: number };
  backups: BackupsTable;
  usage_records: UsageRecordsTable;
  usage_storage: UsageStorageTable;
  usage_edge_reports: { id: string; edge: string; received_at: string };
  quotas: QuotasTable;
  usage_notices: UsageNoticesTable;
}

/** Usage counters, added up per hour bucket (docs/usage.md). */
export interface UsageRecordsTable {
  /** The hour's start, ISO-8601 UTC. */
  bucket: string;
  /** `user:{id}`, `key:{id}` or `open-mode`: the subject's `created_by`. */
  owner: string;
  subject_kind: 'asset' | 'live_stream';
  subject_id: string;
  metric:
    | 'encoding_seconds'
    | 'stored_byte_seconds'
    | 'delivered_bytes'
    | 'delivered_seconds'
    | 'live_input_seconds';
  dimension: string;
  value: number;
}

/** What an asset held in the store per category at the last walk. */
export interface UsageStorageTable {
  asset_id: string;
  category: string;
  owner: string;
  bytes: number;
  objects: number;
  sampled_at: string;
}

/** Limits per `user:{id}` or `role:{role}`; null: none (a user's null inherits the role's). */
export interface QuotasTable {
  subject: string;
  storage_bytes: number | null;
  encoding_minutes_per_month: number | null;
  live_streams: number | null;
  updated_at: string;
  updated_by: string | null;
}

/** A threshold notice sent (at most once per owner, quota, period and level). */
export interface UsageNoticesTable {
  owner: string;
  quota: 'storage_bytes' | 'encoding_minutes_per_month' | 'live_streams';
  period: string;
  level: 80 | 100;
  sent_at: string;
}

/** One backup run (docs/operations.md). */
export interface BackupsTable {
  id: string;
  trigger: 'cli' | 'schedule';
  /** Where it was written, without credentials. */
  target: string;
  status: 'running' | 'succeeded' | 'failed';
  objects_mode: 'all' | 'none';
  secrets_included: Generated<number>;
  node: string | null;
  started_at: string;
  /** When the database snapshot was taken: everything committed before it is in the backup. */
  snapshot_at: string | null;
  finished_at: string | null;
  heartbeat_at: string;
  database_bytes: number | null;
  /** Bytes this backup added to the target (database files + objects copied for the first time). */
  size_bytes: number | null;
  objects_total: number | null;
  objects_bytes: number | null;
  objects_copied: number | null;
  verification: 'passed' | 'failed' | null;
  /** JSON array of strings (at most 100). */
  verification_problems: string | null;
  error_code: string | null;
  error_message: string | null;
}

export interface ImageBatchesTable {
  id: string;
  status: 'running' | 'completed';
  /** JSON: [[preset name, Recipe], …] as resolved when the batch was made. */
  presets: string;
  total: number;
  done: Generated<number>;
  failed: Generated<number>;
  created_by: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface ImageBatchItemsTable {
  batch_id: string;
  asset_id: string;
  status: 'pending' | 'done' | 'failed';
  error_code: string | null;
  error_message: string | null;
  /** JSON: { preset name: object key }. */
  outputs: string | null;
  finished_at: string | null;
}

/** An object imported from imports/ (by key and ETag: one version of it) and the asset it became. */
export interface ImportedObjectsTable {
  object_key: string;
  etag: string;
  asset_id: string;
  via: 'hook' | 'scan' | 'batch';
  created_at: string;
}

export type AssetStatus = 'waiting' | 'processing' | 'ready' | 'errored';
export type AssetKind = 'video' | 'audio' | 'image';

export interface AssetsTable {
  id: string;
  status: AssetStatus;
  kind: AssetKind | null;
  title: string | null;
  source_key: string;
  source_filename: string | null;
  source_size: number | null;
  source_sha256: string | null;
  duration: number | null;
  width: number | null;
  height: number | null;
  is_360: number;
  /** 0..1 while transcoding. */
  progress: number | null;
  /** JSON: the media summary the pipeline planned from (see media/classify.ts). */
  media_info: string | null;
  /** JSON: [{ code, message }]. */
  errors: string;
  created_at: string;
  updated_at: string;
  /** Who made it: "key:{id}" (null before access control, or in open mode). */
  created_by: string | null;
  /** Which MP4 download the asset offers (see downloads/download-target.ts). */
  mp4_support: Generated<Mp4Support>;
  /** In the trash since then (hidden, unplayable, restorable); null when not deleted. */
  deleted_at: Generated<string | null>;
  /** Who moved it to the trash (an AuditWho actor string). */
  deleted_by: Generated<string | null>;
  /** The last time a player asked for its master playlist (written at most once an hour). */
  last_viewed_at: Generated<string | null>;
  /** The lifecycle rule removed its original then (the ladder stays). */
  source_dropped_at: Generated<string | null>;
  /** Where its objects are: `hot` (the main store and class) or `cold`. */
  storage_tier: Generated<'hot' | 'cold'>;
  tiered_at: Generated<string | null>;
}

export type Mp4Support = 'none' | 'standard' | 'capped-1080p';
export type DownloadStatus = 'preparing' | 'ready' | 'errored';

/** One MP4 (or, for audio-only assets, M4A) download made from the ladder by remuxing. */
export interface AssetDownloadsTable {
  asset_id: string;
  /** The file's name: `{rung}.mp4`, or `audio.m4a`. */
  name: string;
  /** The video rung it is made from; null for audio only. */
  rendition: string | null;
  width: number | null;
  height: number | null;
  status: DownloadStatus;
  size: number | null;
  /** Where it is stored: a key of its own per making, so a late job never overwrites a newer one. */
  object_key: string | null;
  created_at: string;
  updated_at: string;
}

export type RenditionStatus = 'queued' | 'processing' | 'ready' | 'errored';

export interface RenditionsTable {
  asset_id: string;
  name: string;
  type: 'video' | 'audio';
  position: number;
  width: number | null;
  height: number | null;
  bandwidth: number;
  average_bandwidth: number | null;
  codecs: string;
  frame_rate: number | null;
  status: RenditionStatus;
  created_at: string;
  updated_at: string;
}

export interface PlaybackIdsTable {
  id: string;
  asset_id: string;
  policy: 'public' | 'signed';
  created_at: string;
}

export interface UploadsTable {
  id: string;
  asset_id: string | null;
  filename: string | null;
  title: string | null;
  length: number | null;
  created_at: string;
  completed_at: string | null;
  staging_cleared_at: string | null;
  created_by: string | null;
  created_ip: string | null;
  /** Saved SHA-256 state of the bytes staged so far (local staging), and how many bytes it covers. */
  hash_state: string | null;
  hash_bytes: number | null;
  /** `mp4_support` from the upload's metadata, for the asset it becomes. */
  mp4_support: Generated<Mp4Support | null>;
}

export interface UploadPartsTable {
  upload_id: string;
  part_number: number;
  etag: string;
  size: number;
  /** Saved SHA-256 state after this part (parts 1..n), and how many bytes it covers. */
  hash_state: string | null;
  hash_bytes: number | null;
}

export interface UploadLocksTable {
  upload_id: string;
  holder: string;
  /** Epoch milliseconds. */
  expires_at: number;
  release_requested: number;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  /** JSON array of scopes. */
  scopes: string;
  created_by: string | null;
  from_env: number;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface PlaybackSigningKeysTable {
  kid: string;
  /** base64url, 256 bits. */
  secret: string;
  created_at: string;
  retired_at: string | null;
}

export interface AuditEventsTable {
  seq: Generated<number>;
  id: string;
  at: string;
  actor: string;
  credential: string | null;
  ip: string | null;
  action: string;
  outcome: 'success' | 'failure';
  target_type: string | null;
  target_id: string | null;
  /** JSON object; never a secret. */
  details: string;
}

/** better-auth's user (camelCase columns), with our `role`. */
export interface UsersTable {
  id: string;
  name: string;
  email: string;
  emailVerified: number | boolean;
  image: string | null;
  createdAt: string | Date;
  updatedAt: string | Date;
  twoFactorEnabled: number | boolean | null;
  role: string | null;
  /** E-mail when an upload is ready or failed (null: never set, which means yes). */
  notifyByEmail: number | boolean | null;
  /** The account's language ('en' | 'ko'), null when it chose none (src/i18n/locales.ts). */
  locale: string | null;
}

export interface SessionsTable {
  id: string;
  expiresAt: string | Date;
  token: string;
  createdAt: string | Date;
  updatedAt: string | Date;
  ipAddress: string | null;
  userAgent: string | null;
  userId: string;
}

export interface WebhooksTable {
  id: string;
  url: string;
  /** JSON array of event types (`*` for all). */
  events: string;
  enabled: number;
  secret: string;
  failure_streak: number;
  disabled_reason: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  seq: Generated<number>;
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status_code: number | null;
  latency_ms: number | null;
  error: string | null;
  outcome: 'delivered' | 'failed';
  created_at: string;
}

export type JobState = 'queued' | 'running' | 'completed' | 'dead';

export interface JobsTable {
  id: string;
  type: string;
  /** JSON payload. */
  payload: string;
  state: JobState;
  priority: number;
  attempts: number;
  max_attempts: number;
  /** Attempts that ended with the lease expiring (the worker died), and how many of those are forgiven. */
  crashes: Generated<number>;
  crash_allowance: Generated<number>;
  run_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  dedupe_key: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface EventsTable {
  seq: Generated<number>;
  id: string;
  type: string;
  asset_id: string | null;
  /** JSON payload. */
  data: string;
  created_at: string;
}

export interface AssetTracksTable {
  id: string;
  asset_id: string;
  kind: 'subtitles' | 'captions';
  /** BCP 47, canonical (`en`, `ko`, `pt-BR`). */
  language: string;
  name: string;
  is_default: number;
  status: 'ready';
  /** What was uploaded (`vtt` or `srt`); the store keeps the WebVTT made from it. */
  source_format: 'vtt' | 'srt';
  cue_count: number;
  object_key: string;
  created_by: string | null;
  created_at: string;
}

export type LiveStreamStatus = 'idle' | 'active' | 'disconnected' | 'disabled';
export type LatencyMode = 'low' | 'standard';

/** A live stream: what a broadcaster publishes to with its key (src/live/streams/). */
export interface LiveStreamsTable {
  id: string;
  title: string | null;
  status: LiveStreamStatus;
  /** The key itself: its owners can see it again. Never logged, never in an event. */
  stream_key: string;
  /** sha256 hex of the key (unique): publishes find the stream by it. */
  stream_key_hash: string;
  srt_passphrase: string;
  /** This stream's SRT port, from FRAMEHOUSE_SRT_PORTS; null while SRT is off. */
  srt_port: number | null;
  latency_mode: LatencyMode;
  /** Seconds an encoder may be gone before the broadcast ends. */
  reconnect_window: number;
  /** 0/1: broadcasts become VOD assets. */
  record: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  /** The live node holding it while active or disconnected. */
  node_id: string | null;
  /** JSON (LiveCurrent) while active: renditions, input bitrate, fps. */
  current: string | null;
  /** Why the last publish was refused or ended (shown to the broadcaster). */
  last_error_code: string | null;
  last_error_message: string | null;
  disconnected_at: string | null;
  /** The broadcast in progress (active or disconnected). */
  broadcast_id: string | null;
}

export interface LivePlaybackIdsTable {
  id: string;
  live_stream_id: string;
  policy: 'public' | 'signed';
  created_at: string;
}

export type LiveBroadcastStatus = 'live' | 'disconnected' | 'ended';

/** One broadcast: from a publish to its end (encoder drops within the window included). */
export interface LiveBroadcastsTable {
  id: string;
  live_stream_id: string;
  status: LiveBroadcastStatus;
  started_at: string;
  ended_at: string | null;
  node_id: string | null;
  /** The media sequence number the next segment gets (resuming on another node goes on from it). */
  next_msn: Generated<number>;
  discontinuity_sequence: Generated<number>;
  /** JSON: the renditions (name, width, height, bandwidth, codecs) of the ladder. */
  renditions: Generated<string>;
  /** The recording's asset, once made. */
  asset_id: string | null;
  /** 0/1: the stream's `record` when the broadcast began. */
  record: number;
}

/** A segment a broadcast wrote to the object store. */
export interface LiveSegmentsTable {
  broadcast_id: string;
  rendition: string;
  msn: number;
  duration: number;
  program_date_time: string;
  /** 0/1 */
  discontinuity: number;
  init_id: number;
  object_key: string;
}

export interface LiveNodesTable {
  id: string;
  host: string;
  /** How api nodes reach its HTTP (playlists, parts). */
  internal_url: string;
  rtmp_port: number;
  /** Streams it holds now. */
  streams: Generated<number>;
  max_streams: number;
  started_at: string;
  last_seen_at: string;
}

/** A live stream's room (src/live/room/); a stream without a row has the default settings. */
export interface LiveRoomsTable {
  live_stream_id: string;
  /** JSON (RoomSettings). */
  settings: string;
  /** JSON array of the room's own filtered words. */
  word_filter: Generated<string>;
  scheduled_at: string | null;
  poster_asset_id: string | null;
  pinned_product_id: string | null;
  updated_at: string;
}

export interface LiveChatViewersTable {
  id: string;
  live_stream_id: string;
  user_id: string | null;
  name: string;
  kind: 'user' | 'guest';
  /** HMAC of the client address (instance key); never the address. */
  address_hash: string | null;
  /** Epoch ms of the last message (slow mode). */
  last_message_at: number | null;
  /** Rate limit: tokens left as of `bucket_at` (epoch ms). */
  bucket_tokens: number;
  bucket_at: number;
  created_at: string;
}

export interface LiveChatMessagesTable {
  id: string;
  live_stream_id: string;
  /** The broadcast on air when it was sent; null off air. */
  broadcast_id: string | null;
  viewer_id: string | null;
  name: string;
  role: 'viewer' | 'host';
  /** Plain text, filtered words masked. */
  text: string;
  created_at: string;
  offset_seconds: number | null;
  deleted_at: string | null;
}

export interface LiveChatBansTable {
  id: string;
  live_stream_id: string;
  viewer_id: string;
  name: string;
  user_id: string | null;
  /** The banned guest's address hash (guests only). */
  address_hash: string | null;
  /** Epoch ms; null: for good. */
  until: number | null;
  reason: string | null;
  created_by: string | null;
  created_at: string;
}

export interface LiveProductsTable {
  id: string;
  live_stream_id: string;
  title: string;
  /** Decimal string ("29.99") and ISO 4217 code, both or neither. */
  price_amount: string | null;
  price_currency: string | null;
  image_asset_id: string | null;
  url: string | null;
  position: number;
  clicks: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** The room fan-out log: one row per room event, pruned after an hour. */
export interface LiveRoomEventsTable {
  seq: Generated<number>;
  live_stream_id: string;
  type: string;
  /** JSON: the event's data as sent to viewers. */
  data: string;
  created_at: string;
}

export type LiveStreamRow = Selectable<LiveStreamsTable>;
export type LivePlaybackIdRow = Selectable<LivePlaybackIdsTable>;
export type LiveBroadcastRow = Selectable<LiveBroadcastsTable>;
export type LiveSegmentRow = Selectable<LiveSegmentsTable>;
export type LiveNodeRow = Selectable<LiveNodesTable>;

export type AssetRow = Selectable<AssetsTable>;
export type NewAsset = Insertable<AssetsTable>;
export type AssetUpdate = Updateable<AssetsTable>;
export type RenditionRow = Selectable<RenditionsTable>;
export type PlaybackIdRow = Selectable<PlaybackIdsTable>;
export type UploadRow = Selectable<UploadsTable>;
export type JobRow = Selectable<JobsTable>;
export type EventRow = Selectable<EventsTable>;
export type TrackRow = Selectable<AssetTracksTable>;
export type DownloadRow = Selectable<AssetDownloadsTable>;

/** One playback session (CMCD `sid`) and its metrics as of its last report (docs/qoe.md). Times: epoch ms. */
export interface QoeViewsTable {
  id: string;
  sid: string;
  playback_id: string;
  asset_id: string | null;
  live_stream_id: string | null;
  stream_type: 'vod' | 'live' | 'll';
  device_type: string;
  os: string;
  browser: string;
  country: string;
  started_at: number;
  last_report_at: number;
  received_at: number;
  closed_at: number | null;
  report_count: Generated<number>;
  /** JSON: the reducer's state (src/qoe/view-reducer.ts). */
  state: string;
  startup_ms: number | null;
  exited_before_start: Generated<number>;
  failed: Generated<number>;
  error_code: string | null;
  rebuffer_count: Generated<number>;
  rebuffer_ms: Generated<number>;
  watch_ms: Generated<number>;
  playing_ms: Generated<number>;
  switches: Generated<number>;
  avg_bitrate_kbps: number | null;
  upscaled_ms: Generated<number>;
  max_upscale: number | null;
  dropped_frames: Generated<number>;
  /** JSON: time and rebuffering per rendition played. */
  renditions: Generated<string>;
  score: number | null;
  success_score: number | null;
  startup_score: number | null;
  smoothness_score: number | null;
  quality_score: number | null;
}

/** A view's timeline: each report as received (deduplicated on view, ts, sn, event). */
export interface QoeViewEventsTable {
  view_id: string;
  ts: number;
  sn: number;
  event: string;
  state: string | null;
  data: string;
}

/** Closed views added up per hour, scope (all / asset / live stream) and dimension value. */
export interface QoeHourlyTable {
  hour: number;
  scope: 'all' | 'asset' | 'live';
  scope_id: string;
  dimension: 'total' | 'rendition' | 'device' | 'os' | 'browser' | 'country';
  value: string;
  views: number;
  started_views: number;
  failed: number;
  exits_before_start: number;
  startup_ms_sum: number;
  watch_ms: number;
  playing_ms: number;
  rebuffer_count: number;
  rebuffer_ms: number;
  rebuffered_views: number;
  switches: number;
  bitrate_ms: number;
  upscaled_ms: number;
  dropped_frames: number;
  scored_views: number;
  score_sum: number;
  success_score_sum: number;
  startup_score_sum: number;
  smoothness_score_sum: number;
  quality_score_sum: number;
  startup_hist: string;
  score_hist: string;
  rebuffer_hist: string;
}

/** The hourly rollups added up per UTC day (`day`: epoch ms of its 00:00), for long ranges. */
export interface QoeDailyTable extends Omit<QoeHourlyTable, 'hour'> {
  day: number;
}

export type QoeViewRow = Selectable<QoeViewsTable>;
export type QoeHourlyRow = Selectable<QoeHourlyTable>;
