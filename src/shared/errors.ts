/**
 * The one registry of error codes. Every error a user can see has a code from this table,
 * its HTTP status, and a default message written for a person, not a stack trace.
 */
export const ERROR_CODES = {
  FH_ERR_VALIDATION: { status: 400, message: 'The request is not valid.' },
  FH_ERR_NOT_FOUND: { status: 404, message: 'Nothing was found here.' },
  FH_ERR_WEB_NOT_BUILT: {
    status: 503,
    message: 'The web app is not built on this server: run `npm run build:web` (npm start does it).',
  },
  FH_ERR_ASSET_NOT_FOUND: { status: 404, message: 'No asset has this id.' },
  FH_ERR_UPLOAD_NOT_FOUND: { status: 404, message: 'No upload has this id.' },
  FH_ERR_PLAYBACK_NOT_FOUND: { status: 404, message: 'No playback has this id.' },
  FH_ERR_NOT_READY: { status: 409, message: 'The asset is not ready yet.' },
  FH_ERR_TRACK_NOT_FOUND: { status: 404, message: 'This asset has no track with this id.' },
  FH_ERR_TRACK_NAME_TAKEN: {
    status: 409,
    message: 'Another track of this asset has this name: players list tracks by name, so give each its own.',
  },
  FH_ERR_CAPTIONS_INVALID: {
    status: 422,
    message: 'The file is not valid WebVTT or SRT.',
  },
  FH_ERR_DOWNLOAD_NOT_AVAILABLE: {
    status: 404,
    message: 'This asset offers no MP4 download: set "mp4_support" to "standard" or "capped-1080p".',
  },
  FH_ERR_DOWNLOAD_NOT_READY: {
    status: 409,
    message: 'The MP4 download is being made from the finished renditions: ask again in a moment.',
  },
  FH_ERR_QUOTA_EXCEEDED: {
    status: 403,
    message: 'This would go over your quota: ask an administrator for more, or free some space.',
  },
  FH_ERR_UPLOAD_TOO_LARGE: { status: 413, message: 'The file is larger than this server accepts.' },
  FH_ERR_BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than this endpoint accepts.' },
  FH_ERR_UPLOAD_MISSING_FILE: {
    status: 400,
    message: 'The request carries no file: send it in the "file" field.',
  },
  FH_ERR_UNSUPPORTED_CONTENT_TYPE: { status: 415, message: 'This content type is not accepted here.' },
  FH_ERR_RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested byte range is outside the file.' },
  FH_ERR_CURSOR_INVALID: { status: 400, message: 'The pagination cursor is not valid.' },
  FH_ERR_UNAUTHENTICATED: {
    status: 401,
    message: 'This needs a credential: send an API key as "Authorization: Bearer <key>".',
  },
  FH_ERR_FORBIDDEN: { status: 403, message: 'Your credential does not allow this.' },
  FH_ERR_CSRF: {
    status: 403,
    message: 'This change did not come from a trusted page (Origin check for signed-in sessions).',
  },
  FH_ERR_NOT_OWNER: { status: 403, message: 'Editors manage the assets they made: this one is not yours.' },
  FH_ERR_ADMIN_ADDRESS: { status: 403, message: 'Administration is not allowed from this address.' },
  FH_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests: wait as long as Retry-After says.' },
  FH_ERR_USER_NOT_FOUND: { status: 404, message: 'No account has this id.' },
  FH_ERR_WEBHOOK_NOT_FOUND: { status: 404, message: 'No webhook has this id.' },
  FH_ERR_WEBHOOK_URL: { status: 400, message: 'This URL cannot receive webhooks.' },
  // URL ingest: recorded on the asset.
  FH_ERR_FETCH_FAILED: { status: 422, message: 'The URL could not be fetched.' },
  FH_ERR_FETCH_TOO_LARGE: { status: 422, message: 'The file at the URL is larger than this server fetches.' },
  FH_ERR_ADDRESS_REFUSED: {
    status: 422,
    message: 'The URL leads to a loopback, private or link-local address, which this server does not fetch.',
  },
  // Bucket imports.
  FH_ERR_STORAGE_HOOK_OFF: {
    status: 404,
    message: 'The storage hook is off: the operator turns it on with FRAMEHOUSE_STORAGE_HOOK_SECRET.',
  },
  FH_ERR_EVENT_NOT_FOUND: { status: 404, message: 'No event has this id.' },
  FH_ERR_JOB_NOT_FOUND: { status: 404, message: 'No job has this id.' },
  FH_ERR_JOB_NOT_DEAD: {
    status: 409,
    message: 'Only a dead job can be redriven (or another job with its dedupe key is already live).',
  },
  FH_ERR_API_KEY_NOT_FOUND: { status: 404, message: 'No API key has this id.' },
  FH_ERR_PLAYBACK_TOKEN_REQUIRED: {
    status: 403,
    message: 'This video is private: its URL needs a playback token (?token=…).',
  },
  FH_ERR_PLAYBACK_TOKEN_INVALID: { status: 403, message: 'The playback token is not valid.' },
  FH_ERR_PLAYBACK_TOKEN_EXPIRED: { status: 403, message: 'The playback token has expired: get a new one.' },
  FH_ERR_PLAYBACK_TOKEN_MISMATCH: { status: 403, message: 'The playback token is for another video.' },
  FH_ERR_PLAYBACK_TOKEN_NOT_RENEWABLE: {
    status: 403,
    message: 'This playback token cannot be renewed (it was not made renewable, or its link has ended).',
  },
  FH_ERR_SIGNING_KEY_NOT_FOUND: { status: 404, message: 'No active playback signing key has this id.' },
  FH_ERR_LAST_SIGNING_KEY: {
    status: 409,
    message: 'This is the only active signing key: make a new one before retiring it.',
  },
  // Live streams (src/live/). The refusals are also recorded on the stream (`last_error`), where
  // the broadcaster reads why a publish was refused or ended.
  FH_ERR_LIVE_STREAM_NOT_FOUND: { status: 404, message: 'No live stream has this id.' },
  FH_ERR_LIVE_STREAM_BROADCASTING: {
    status: 409,
    message: 'The live stream is broadcasting: complete it (POST …/complete) or disable it first.',
  },
  FH_ERR_LIVE_SRT_PORTS_EXHAUSTED: {
    status: 503,
    message:
      'Every SRT port of FRAMEHOUSE_SRT_PORTS is taken by a live stream: widen the range, or delete streams no longer used.',
  },
  FH_ERR_LIVE_STREAM_DISABLED: {
    status: 409,
    message: 'The live stream is disabled: enable it before publishing to it.',
  },
  FH_ERR_LIVE_STREAM_BUSY: {
    status: 409,
    message: 'Another encoder is already publishing to this live stream.',
  },
  FH_ERR_LIVE_UNSUPPORTED_MEDIA: {
    status: 422,
    message: 'Live input must be H.264 video with AAC audio (or no audio): change the encoder settings.',
  },
  FH_ERR_LIVE_BITRATE_TOO_HIGH: {
    status: 422,
    message: 'The input bitrate is higher than this server accepts (FRAMEHOUSE_LIVE_MAX_BITRATE_KBPS).',
  },
  FH_ERR_LIVE_NODE_FULL: {
    status: 503,
    message: 'This live node holds as many streams as it may (FRAMEHOUSE_LIVE_MAX_STREAMS): try again later.',
  },
  FH_ERR_LIVE_INPUT_ENDED: {
    status: 422,
    message: 'The encoder stopped sending and did not come back within the reconnect window.',
  },
  FH_ERR_LIVE_INPUT_REFUSED: {
    status: 422,
    message: 'A publish was refused: the encoder sent nothing this server could start a broadcast from.',
  },
  FH_ERR_LIVE_NOT_ON_AIR: { status: 404, message: 'This live stream is not on air right now.' },
  FH_ERR_LIVE_WAIT_TIMEOUT: {
    status: 503,
    message: 'The requested part of the live stream did not arrive in time: reload the playlist.',
  },
  FH_ERR_LIVE_NODE_UNREACHABLE: {
    status: 502,
    message: 'The live node holding this stream cannot be reached.',
  },
  FH_ERR_WHEP_BAD_OFFER: {
    status: 400,
    message: 'The body is not a WebRTC SDP offer this server can answer (Content-Type: application/sdp).',
  },
  FH_ERR_WHEP_FULL: {
    status: 503,
    message:
      'This live node has as many WebRTC viewers as it may (FRAMEHOUSE_WHEP_MAX_VIEWERS): try again later or use HLS.',
  },
  FH_ERR_WHEP_UNAVAILABLE: {
    status: 409,
    message:
      'This live stream cannot be played over WebRTC right now (it has no rendition WebRTC can carry): use HLS.',
  },
  FH_ERR_WHEP_SESSION_NOT_FOUND: { status: 404, message: 'No WebRTC session has this id (it has ended).' },
  FH_ERR_INTERNAL: { status: 500, message: 'Something went wrong on our side. It has been logged.' },
  FH_ERR_STORAGE_FULL: {
    status: 507,
    message: 'The server has no space left to store this: try again once an administrator has freed some.',
  },
  FH_ERR_BUSY: { status: 503, message: 'The server is busy; try again in a moment.' },
  FH_ERR_DATABASE_UNAVAILABLE: {
    status: 503,
    message: 'The database cannot be reached right now; try again in a moment.',
  },
  FH_ERR_STORAGE_UNAVAILABLE: {
    status: 503,
    message: 'The object store is failing or not answering right now; try again in a moment.',
  },
  FH_ERR_ORIGIN_UNAVAILABLE: {
    status: 502,
    message: 'No origin answered this request (framehouse edge tried each in turn).',
  },
  // Media errors: recorded on an asset (its `errors` list) rather than returned by a request.
  FH_ERR_EMPTY_FILE: { status: 422, message: 'The file is empty (0 bytes).' },
  FH_ERR_NOT_MEDIA: { status: 422, message: 'The file is not audio or video that we can read.' },
  FH_ERR_LIVE_MEDIA_INVALID: {
    status: 502,
    message: 'The live encoder sent fragmented MP4 that cannot be read; the stream was stopped.',
  },
  FH_ERR_MEDIA_DAMAGED: { status: 422, message: 'The file looks like media but is damaged or truncated.' },
  FH_ERR_UNSUPPORTED_MEDIA: { status: 422, message: 'This kind of file is not supported.' },
  FH_ERR_PRESET_NOT_FOUND: { status: 404, message: 'There is no preset with this name.' },
  FH_ERR_BATCH_NOT_FOUND: { status: 404, message: 'There is no batch with this id.' },
  FH_ERR_NOT_AN_IMAGE: { status: 422, message: 'This asset is not an image.' },
  FH_ERR_IMAGE_TOO_LARGE: { status: 422, message: 'The image is larger than this server processes.' },
  FH_ERR_IMG_SIGNATURE: {
    status: 403,
    message: 'The image URL is not signed, or its signature does not match.',
  },
  FH_ERR_IMG_OPTIONS: { status: 400, message: 'The image URL has options this server does not understand.' },
  FH_ERR_RAW_DECODER_MISSING: {
    status: 422,
    message: "Camera RAW files need LibRaw's tools: install the Debian package libraw-bin.",
  },
  FH_ERR_PLAYLIST_REJECTED: {
    status: 422,
    message: 'Playlists and reference files (HLS, DASH, concat) are not accepted as sources.',
  },
  // Live ingest: recorded on the live stream (its refusal reason) rather than returned by a request.
  FH_ERR_LIVE_NO_MEDIA: {
    status: 422,
    message: 'The encoder connected but sent no usable audio or video configuration.',
  },
  // The live room (docs/live-room.md).
  FH_ERR_CHAT_SIGN_IN_REQUIRED: {
    status: 403,
    message: 'This chat is for signed-in viewers: sign in to take part.',
  },
  FH_ERR_CHAT_BANNED: { status: 403, message: 'You can no longer send messages in this chat.' },
  FH_ERR_CHAT_VIEWER_REQUIRED: {
    status: 401,
    message: 'Join the chat first: the Framehouse-Viewer header must carry a valid viewer token.',
  },
  FH_ERR_CHAT_NICKNAME_INVALID: {
    status: 400,
    message: 'A nickname is 1 to 32 characters, without control characters.',
  },
  FH_ERR_CHAT_MESSAGE_INVALID: {
    status: 400,
    message:
      'A message is plain text: not empty, no longer than the room allows, without control characters.',
  },
  FH_ERR_CHAT_RATE_LIMITED: { status: 429, message: 'You are sending messages too fast: wait a moment.' },
  FH_ERR_ROOM_STREAMS_PER_ADDRESS: {
    status: 429,
    message:
      'Too many open live room streams from this address: close some, or wait as long as Retry-After says.',
  },
  FH_ERR_ROOM_FULL: {
    status: 503,
    message: 'This server holds as many live room streams as it can: try again as long as Retry-After says.',
  },
  FH_ERR_CHAT_SLOW_MODE: { status: 429, message: 'Slow mode is on: wait before your next message.' },
  FH_ERR_CHAT_PAUSED: { status: 409, message: 'The chat is paused by the host.' },
  FH_ERR_CHAT_MESSAGE_NOT_FOUND: { status: 404, message: 'This room has no message with this id.' },
  FH_ERR_CHAT_VIEWER_NOT_FOUND: { status: 404, message: 'This room has no viewer with this id.' },
  FH_ERR_CHAT_BAN_NOT_FOUND: { status: 404, message: 'This room has no ban with this id.' },
  FH_ERR_PRODUCT_NOT_FOUND: { status: 404, message: 'This room has no product with this id.' },
  FH_ERR_PRODUCT_ORDER_INVALID: {
    status: 400,
    message: "The order must name each of the room's products exactly once.",
  },
  FH_ERR_ROOM_ASSET_INVALID: {
    status: 400,
    message: 'The asset must exist and be an image or a video with a playback id.',
  },
  FH_ERR_BROADCAST_NOT_FOUND: { status: 404, message: 'This live stream has no such broadcast.' },
  // Viewer analytics (docs/qoe.md).
  FH_ERR_QOE_REPORT_INVALID: {
    status: 400,
    message: 'The report is not valid: each line must be a CMCD dictionary with e, ts, sid and cid.',
  },
  FH_ERR_QOE_UNKNOWN_CONTENT: {
    status: 422,
    message: 'The report names no playback id of this server (cid).',
  },
  FH_ERR_QOE_DISABLED: {
    status: 410,
    message: 'Viewer analytics are off on this server (FRAMEHOUSE_QOE=false): stop reporting here.',
  },
  FH_ERR_QOE_UNAVAILABLE: {
    status: 503,
    message: 'The reports could not be stored right now: send them again in a moment.',
  },
  // Backups, restore, the trash and storage lifecycle (docs/operations.md). The backup codes are
  // also what the CLI prints and what a failed backup records.
  FH_ERR_ASSET_NOT_IN_TRASH: { status: 409, message: 'The asset is not in the trash.' },
  FH_ERR_SOURCE_DROPPED: {
    status: 409,
    message:
      'The original of this asset was removed by the storage lifecycle rules: it cannot be encoded again.',
  },
  FH_ERR_BACKUP_NOT_FOUND: { status: 404, message: 'No backup has this id.' },
  FH_ERR_BACKUP_TARGET: { status: 502, message: 'The backup target could not be read or written.' },
  FH_ERR_BACKUP_INCOMPLETE: {
    status: 422,
    message: 'The backup is incomplete or damaged (no manifest, or a file whose checksum differs).',
  },
  FH_ERR_BACKUP_NEWER: {
    status: 422,
    message:
      'The backup was made by a newer Framehouse (a migration this version does not know): upgrade first.',
  },
  FH_ERR_BACKUP_PASSPHRASE: {
    status: 422,
    message: 'The passphrase does not open the secrets of this backup.',
  },
  FH_ERR_BACKUP_RUNNING: { status: 409, message: 'A backup is running already.' },
  FH_ERR_RESTORE_SERVERS_RUNNING: {
    status: 409,
    message: 'Servers still use the database to restore into: stop them first.',
  },
  FH_ERR_RESTORE_TARGET_NOT_EMPTY: {
    status: 409,
    message: 'The database or object store to restore into is not empty: restore with --force to replace it.',
  },
  FH_ERR_MEDIA_TIMEOUT: { status: 422, message: 'Processing the file took longer than the time limit.' },
  FH_ERR_TRANSCODE_FAILED: { status: 500, message: 'Transcoding the file failed.' },
  FH_ERR_PROCESSING_FAILED: {
    status: 500,
    message: 'Processing stopped after repeated failures on our side; the details are in the server log.',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = details;
  }
}

/**
 * Whether an error (or one it wraps, through `cause`) says the disk is full: ENOSPC or EDQUOT
 * from the file system, SQLITE_FULL from the embedded database. Such a failure is answered with
 * FH_ERR_STORAGE_FULL (507), and a job that meets it is retried: space comes back.
 */
export function isStorageFull(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    const err = cur as { code?: unknown; errcode?: unknown; message?: unknown; cause?: unknown };
    if (err instanceof AppError) return err.code === 'FH_ERR_STORAGE_FULL';
    if (err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.code === 'SQLITE_FULL') return true;
    // node:sqlite: code ERR_SQLITE_ERROR with the SQLite result code (13 is SQLITE_FULL).
    if (err.code === 'ERR_SQLITE_ERROR' && err.errcode === 13) return true;
    if (
      typeof err.message === 'string' &&
      /\bENOSPC\b|no space left on device|database or disk is full/i.test(err.message)
    )
      return true;
    cur = err.cause;
  }
  return false;
}
