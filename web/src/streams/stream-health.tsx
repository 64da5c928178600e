import { formatNumber, formatTime } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { droppedRenditions, formatBitrate, type LiveStream } from './live-stream.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** A measure with at most `places` decimals, in the reader's number format. */
const round = (v: number, places: number) => formatNumber(v, { maximumFractionDigits: places });

type Warning = NonNullable<NonNullable<LiveStream['current']>['warnings']>[number];
type Params = Record<string, unknown>;
const names = (v: unknown): string | null =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? v.join(', ') : null;
/** A whole number as the reader writes it (grouped: "17,200"); plain for pixel sizes. */
const whole = (v: number) => formatNumber(v, { maximumFractionDigits: 0 });
const pixels = (v: number) => formatNumber(v, { maximumFractionDigits: 0, useGrouping: false });

/**
 * Each warning code the live node writes, from the catalogue with its params (see
 * src/live/node/stream-health.ts); null when a param is missing (an older live node).
 */
const WARNINGS: Record<string, (p: Params) => string | null> = {
  no_data: () => m.live_health_warning_no_data(),
  slow_transcode: (p) => {
    const speed = num(p.speed);
    return speed === null ? null : m.live_health_warning_slow_transcode({ speed: round(speed, 2) });
  },
  renditions_dropped: (p) => {
    const list = names(p.renditions);
    const count = num(p.count);
    return list === null || count === null
      ? null
      : m.live_health_warning_renditions_dropped({ renditions: list, count: whole(count) });
  },
  keyframe_interval: (p) => {
    const k = num(p.keyframe_seconds);
    const wanted = num(p.wanted_seconds);
    return k === null || wanted === null
      ? null
      : m.live_health_warning_keyframe_interval({
          keyframe_seconds: round(k, 1),
          wanted_seconds: round(wanted, 1),
        });
  },
  keyframes_irregular: (p) => {
    const wanted = num(p.wanted_seconds);
    return wanted === null
      ? null
      : m.live_health_warning_keyframes_irregular({ wanted_seconds: round(wanted, 1) });
  },
  bitrate_near_limit: (p) => {
    const bitrate = num(p.bitrate_kbps);
    const max = num(p.max_kbps);
    return bitrate === null || max === null
      ? null
      : m.live_health_warning_bitrate_near_limit({ bitrate_kbps: whole(bitrate), max_kbps: whole(max) });
  },
  bitrate_low: (p) => {
    const [bitrate, width, height, fps] = [num(p.bitrate_kbps), num(p.width), num(p.height), num(p.fps)];
    return bitrate === null || width === null || height === null || fps === null
      ? null
      : m.live_health_warning_bitrate_low({
          bitrate_kbps: whole(bitrate),
          width: pixels(width),
          height: pixels(height),
          fps: whole(fps),
        });
  },
  low_fps: (p) => {
    const fps = num(p.fps);
    return fps === null ? null : m.live_health_warning_low_fps({ fps: whole(fps) });
  },
  frames_dropped: (p) => {
    const count = num(p.dropped_frames);
    return count === null ? null : m.live_health_warning_frames_dropped({ count: whole(count) });
  },
  high_latency: (p) => {
    const latency = num(p.latency_seconds);
    const limit = num(p.late_after_seconds);
    return latency === null || limit === null
      ? null
      : m.live_health_warning_high_latency({
          latency_seconds: round(latency, 1),
          late_after_seconds: round(limit, 1),
        });
  },
  no_audio: () => m.live_health_warning_no_audio(),
};

/** A warning in the reader's language; the server's English for a code this page does not know. */
export function warningText(w: Warning): string {
  const params = w.params && typeof w.params === 'object' ? (w.params as Params) : {};
  const write = Object.hasOwn(WARNINGS, w.code) ? WARNINGS[w.code] : undefined;
  return write?.(params) ?? w.message;
}

/**
 * How the broadcast on air is doing, as the live node measures it: what comes in (bitrate, frame
 * rate, keyframe interval), whether the transcoder keeps up, what it sends out, and warnings
 * written for the host. The health fields show only when the live node reports them.
 */
export function StreamHealth({ stream }: { stream: LiveStream }) {
  const c = stream.current;
  if (!c) return null;
  const dropped = droppedRenditions(c);
  const keyframe = num(c.keyframe_interval);
  const speed = num(c.transcode_speed);
  const droppedFrames = num(c.dropped_frames);
  const latency = num(c.latency);
  const serverLatency = num(c.server_latency);
  const warnings = Array.isArray(c.warnings) ? c.warnings : [];
  return (
    <section class="panel live-current" aria-label={m.live_health_title()}>
      <h2>{m.live_health_title()}</h2>
      {warnings.length > 0 && (
        <ul class="health-warnings" role="alert">
          {warnings.map((w) => (
            <li key={w.code} data-code={w.code}>
              {warningText(w)}
            </li>
          ))}
        </ul>
      )}
      <dl class="facts-grid">
        <dt>{m.live_health_since()}</dt>
        <dd>{c.started_at ? formatTime(c.started_at, true) : '—'}</dd>
        <dt>{m.live_health_ingest()}</dt>
        <dd data-field="ingest_bitrate">{formatBitrate(c.ingest_bitrate)}</dd>
        <dt>{m.live_health_fps_label()}</dt>
        <dd data-field="fps">{c.fps == null ? '—' : m.live_health_fps({ value: round(c.fps, 2) })}</dd>
        {keyframe !== null && (
          <>
            <dt>{m.live_health_keyframe_label()}</dt>
            <dd data-field="keyframe_interval" class={keyframe > 2.5 ? 'warn' : undefined}>
              {keyframe > 2.5
                ? m.live_health_keyframe_slow({ value: round(keyframe, 2) })
                : m.live_health_keyframe({ value: round(keyframe, 2) })}
            </dd>
          </>
        )}
        {speed !== null && (
          <>
            <dt>{m.live_health_speed_label()}</dt>
            <dd data-field="transcode_speed" class={speed < 1 ? 'warn' : undefined}>
              {speed < 1
                ? m.live_health_speed_slow({ value: round(speed, 2) })
                : m.live_health_speed_ok({ value: round(speed, 2) })}
            </dd>
          </>
        )}
        <dt>{m.live_health_renditions()}</dt>
        <dd data-field="renditions">
          {c.renditions?.length
            ? c.renditions
                .map(
                  (r) =>
                    `${r.name}${r.width && r.height ? ` (${r.width}×${r.height})` : ''} ${formatBitrate(r.bandwidth)}`,
                )
                .join(', ')
            : '—'}
        </dd>
        {droppedFrames !== null && (
          <>
            <dt>{m.live_health_dropped_frames()}</dt>
            <dd data-field="dropped_frames" class={droppedFrames > 0 ? 'warn' : undefined}>
              {formatNumber(droppedFrames)}
            </dd>
          </>
        )}
        {latency !== null && (
          <>
            <dt>{m.live_health_latency_label()}</dt>
            <dd data-field="latency">
              {serverLatency !== null
                ? m.live_health_latency_server({ value: round(latency, 1), server: round(serverLatency, 2) })
                : m.live_health_latency({ value: round(latency, 1) })}
            </dd>
          </>
        )}
        {c.audio === false && (
          <>
            <dt>{m.live_health_audio()}</dt>
            <dd data-field="audio" class="warn">
              {m.live_health_no_audio()}
            </dd>
          </>
        )}
      </dl>
      {dropped.length > 0 && (
        <p class="warn" data-field="dropped">
          {m.live_health_dropped({ names: dropped.join(', ') })}
        </p>
      )}
    </section>
  );
}
