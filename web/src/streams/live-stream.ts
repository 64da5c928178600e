/** The API's LiveStream (README "Live streams"), as the browser app reads it. */
import { formatBitrate as formatBits } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';

export type LiveStatus = 'idle' | 'active' | 'disconnected' | 'disabled';

export interface LiveCurrent {
  started_at: string;
  renditions: Array<{ name: string; width: number | null; height: number | null; bandwidth: number }>;
  ingest_bitrate: number | null;
  fps: number | null;
  /** Rungs the live node dropped to keep up in realtime (names), when it did. */
  dropped_renditions?: unknown;
  /** Stream health (docs/live-room.md), when the live node reports it. */
  keyframe_interval?: number | null;
  /** Media seconds encoded per wall-clock second, over the last seconds: below 1, it falls behind. */
  transcode_speed?: number | null;
  dropped_frames?: number | null;
  /** Seconds a viewer plays behind the arriving video: the server's delay plus the player's hold-back. */
  latency?: number | null;
  /** Seconds from a frame arriving to the part holding it being published. */
  server_latency?: number | null;
  audio?: boolean;
  /** `message` is the server's English; `params` the values in it (the page writes the warning from its catalogue). */
  warnings?: Array<{ code: string; message: string; params?: Record<string, unknown> }>;
  [more: string]: unknown;
}

export interface LiveStream {
  id: string;
  title: string | null;
  status: LiveStatus;
  /** Only for the stream's creator and admins. */
  stream_key?: string;
  srt_passphrase?: string;
  ingest: { rtmp: string; rtmps: string | null; srt: string | null };
  playback_ids: Array<{ id: string; policy: 'public' | 'signed' }>;
  playback: { hls: string } | null;
  latency_mode: 'low' | 'standard';
  reconnect_window: number;
  record: boolean;
  current: LiveCurrent | null;
  recordings: string[];
  last_error: { code: string; message: string } | null;
  created_at: string;
  updated_at: string;
}

/** Each status's name on its badge, in the page's language (a function: read when rendered). */
export const STATUS_LABEL: Record<LiveStatus, () => string> = {
  idle: m.live_status_idle,
  active: m.live_status_active,
  disconnected: m.live_status_disconnected,
  disabled: m.live_status_disabled,
};

/** What each status means for the broadcaster, in a sentence. */
export const STATUS_HELP: Record<LiveStatus, () => string> = {
  idle: m.live_status_help_idle,
  active: m.live_status_help_active,
  disconnected: m.live_status_help_disconnected,
  disabled: m.live_status_help_disabled,
};

export const streamTitle = (s: Pick<LiveStream, 'title'>) => s.title || m.live_untitled();

/** A bitrate in bits per second, or a dash when the node has not measured one. */
export const formatBitrate = (bps: number | null | undefined) => (bps == null ? '—' : formatBits(bps));

/** The rung names a live node says it dropped (a list of names or of `{ name }`), else none. */
export function droppedRenditions(current: LiveCurrent | null): string[] {
  const d = current?.dropped_renditions;
  if (!Array.isArray(d)) return [];
  return d
    .map((x) => (typeof x === 'string' ? x : (x as { name?: unknown })?.name))
    .filter((x): x is string => typeof x === 'string')
    .slice(0, 20);
}
