import { droppedRenditions, formatBitrate, type LiveStream } from './live-stream.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const round = (v: number, places: number) => Math.round(v * 10 ** places) / 10 ** places;

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
    <section class="panel live-current" aria-label="Stream health">
      <h2>Stream health</h2>
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
        <dt>Live since</dt>
        <dd>{c.started_at ? new Date(c.started_at).toLocaleTimeString() : '—'}</dd>
        <dt>Ingest bitrate</dt>
        <dd data-field="ingest_bitrate">{formatBitrate(c.ingest_bitrate)}</dd>
        <dt>Frame rate</dt>
        <dd data-field="fps">{c.fps == null ? '—' : `${round(c.fps, 2)} fps`}</dd>
        {keyframe !== null && (
          <>
            <dt>Keyframe interval</dt>
            <dd data-field="keyframe_interval" class={keyframe > 2.5 ? 'warn' : undefined}>
              {round(keyframe, 2)} s{keyframe > 2.5 ? ' (set 2 s in the encoder)' : ''}
            </dd>
          </>
        )}
        {speed !== null && (
          <>
            <dt>Transcode speed</dt>
            <dd data-field="transcode_speed" class={speed < 1 ? 'warn' : undefined}>
              {round(speed, 2)}× {speed < 1 ? '(falling behind real time)' : 'real time'}
            </dd>
          </>
        )}
        <dt>Renditions</dt>
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
            <dt>Dropped frames</dt>
            <dd data-field="dropped_frames" class={droppedFrames > 0 ? 'warn' : undefined}>
              {droppedFrames.toLocaleString()}
            </dd>
          </>
        )}
        {latency !== null && (
          <>
            <dt>Latency</dt>
            <dd data-field="latency">
              viewers about {round(latency, 1)} s behind the video arriving
              {serverLatency !== null && ` (published ${round(serverLatency, 2)} s after it arrives)`}
            </dd>
          </>
        )}
        {c.audio === false && (
          <>
            <dt>Audio</dt>
            <dd data-field="audio" class="warn">
              None: the encoder sends no sound
            </dd>
          </>
        )}
      </dl>
      {dropped.length > 0 && (
        <p class="warn" data-field="dropped">
          Dropped to keep up in real time: {dropped.join(', ')}
        </p>
      )}
    </section>
  );
}
