import { formatNumber, formatTime } from '../i18n/format.ts';
import * as m from '../i18n/generated/messages.js';
import { droppedRenditions, formatBitrate, type LiveStream } from './live-stream.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** A measure with at most `places` decimals, in the reader's number format. */
const round = (v: number, places: number) => formatNumber(v, { maximumFractionDigits: places });

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
              {w.message}
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
