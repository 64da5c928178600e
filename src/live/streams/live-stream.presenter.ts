import { recordedErrorText } from '../../i18n/error-messages.ts';
import { DEFAULT_LOCALE, type Locale } from '../../i18n/locales.ts';
import type { IngestEndpoints } from './ingest-addresses.ts';
import type { LiveCurrent, LiveStreamView } from './live-streams.service.ts';

/**
 * The public shape of a live stream (issue 13's API contract): snake_case, ISO times.
 *
 * `reveal`: the viewer may see the stream's secrets (its creator, or an admin). Others get no
 * `stream_key` and no `srt_passphrase`, and an SRT URL without them (host and port only).
 * `locale`: the reader's language (the request's Accept-Language) for `last_error.message`: a
 * registered code's message in that language; English keeps the message stored with the refusal.
 * Webhook and event payloads do not come through here: they stay English.
 */
export function presentLiveStream(
  view: LiveStreamView,
  opts: { endpoints: IngestEndpoints; reveal: boolean; locale?: Locale },
) {
  const { stream, playbackIds, recordings } = view;
  const { endpoints, reveal, locale = DEFAULT_LOCALE } = opts;
  const primary = playbackIds[0];
  return {
    id: stream.id,
    title: stream.title,
    status: stream.status,
    ...(reveal ? { stream_key: stream.stream_key, srt_passphrase: stream.srt_passphrase } : {}),
    ingest: {
      rtmp: `rtmp://${endpoints.host}:${endpoints.rtmpPort}/live`,
      rtmps: endpoints.rtmpsPort === null ? null : `rtmps://${endpoints.host}:${endpoints.rtmpsPort}/live`,
      srt: srtUrl(stream, endpoints, reveal),
    },
    playback_ids: playbackIds.map((p) => ({ id: p.id, policy: p.policy })),
    playback: primary ? { hls: `/play/${primary.id}/master.m3u8` } : null,
    latency_mode: stream.latency_mode,
    reconnect_window: stream.reconnect_window,
    record: stream.record === 1,
    current: stream.status === 'active' ? parseCurrent(stream.current) : null,
    recordings,
    last_error: stream.last_error_code
      ? {
          code: stream.last_error_code,
          message: recordedErrorText(stream.last_error_code, stream.last_error_message, locale) ?? '',
        }
      : null,
    created_at: stream.created_at,
    updated_at: stream.updated_at,
  };
}

export type LiveStreamJson = ReturnType<typeof presentLiveStream>;

/** `srt://host:port?streamid={key}&passphrase=…`, the form OBS and ffmpeg take; null when SRT is off. */
export function srtUrl(
  stream: { srt_port: number | null; stream_key: string; srt_passphrase: string },
  endpoints: IngestEndpoints,
  reveal: boolean,
): string | null {
  if (!endpoints.srtEnabled || stream.srt_port === null) return null;
  const base = `srt://${endpoints.host}:${stream.srt_port}`;
  if (!reveal) return base;
  const query = new URLSearchParams({ streamid: stream.stream_key, passphrase: stream.srt_passphrase });
  return `${base}?${query}`;
}

/** A damaged value shows as no value rather than failing the whole answer. */
function parseCurrent(text: string | null): LiveCurrent | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as LiveCurrent) : null;
  } catch {
    return null;
  }
}
