import { type ChildProcess, spawn } from 'node:child_process';
import { waitForValue } from './wait.ts';

/** A live stream as the API shows it (the fields the tests read). */
export interface LiveStreamBody {
  id: string;
  title: string | null;
  status: 'idle' | 'active' | 'disconnected' | 'disabled';
  stream_key?: string;
  ingest: { rtmp: string; rtmps: string | null; srt: string | null };
  playback_ids: { id: string; policy: string }[];
  latency_mode: 'low' | 'standard';
  reconnect_window: number;
  record: boolean;
  current: {
    started_at: string;
    renditions: { name: string; width: number; height: number; bandwidth: number }[];
    ingest_bitrate: number;
    fps: number | null;
    keyframe_interval?: number | null;
    transcode_speed?: number | null;
    dropped_frames?: number;
    latency?: number | null;
    server_latency?: number | null;
    audio?: boolean;
    warnings?: { code: string; message: string }[];
  } | null;
  recordings: string[];
  last_error: { code: string; message: string } | null;
}

export interface Publisher {
  child: ChildProcess;
  /** ffmpeg's stderr so far (why a publish failed). */
  log(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/**
 * Real ffmpeg publishing like OBS does: H.264 (x264, zerolatency, 2 s keyframes, no B-frames)
 * and AAC over RTMP (FLV) in real time, from a test pattern and a tone. `video` picks what is
 * sent instead (another codec, to be refused).
 */
export function publishRtmp(url: string, opts: PublishOptions = {}): Publisher {
  return publish(url, 'flv', opts);
}

/** The same source as MPEG-TS to an SRT listener (`srt://host:port?streamid=…&passphrase=…`), as OBS sends SRT. */
export function publishSrt(url: string, opts: PublishOptions = {}): Publisher {
  return publish(url, 'mpegts', opts);
}

export interface PublishOptions {
  seconds?: number;
  size?: string;
  fps?: number;
  video?: string[];
  audio?: string[] | null;
}

function publish(url: string, format: 'flv' | 'mpegts', opts: PublishOptions): Publisher {
  const { seconds = 30, size = '640x360', fps = 30 } = opts;
  const video = opts.video ?? [
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-g',
    String(fps * 2),
    '-keyint_min',
    String(fps * 2),
    '-bf',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-b:v',
    '800k',
  ];
  const audio = opts.audio === null ? ['-an'] : (opts.audio ?? ['-c:a', 'aac', '-b:a', '96k']);
  // biome-ignore format: option/value pairs read best side by side
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'warning', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`,
    ...(opts.audio === null ? [] : ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000']),
    '-t', String(seconds),
    ...video, ...audio,
    '-f', format, url,
  ];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
    if (log.length > 20_000) log = log.slice(-10_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    log: () => log,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls the stream until `until` holds. */
export function waitForStream(
  api: <T>(path: string, init?: RequestInit) => Promise<{ status: number; body: T }>,
  id: string,
  until: (s: LiveStreamBody) => boolean,
  timeoutMs = 30_000,
): Promise<LiveStreamBody> {
  return waitForValue(
    async () => (await api<{ data: LiveStreamBody }>(`/v1/live-streams/${id}`)).body.data,
    until,
    { timeoutMs, intervalMs: 200, what: `live stream ${id}` },
  );
}
