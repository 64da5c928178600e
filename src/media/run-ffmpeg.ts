/**
 * runFfmpeg: run one ffmpeg command built by ffmpeg-args.ts, report its progress, and turn its
 * failures into AppErrors. Progress comes from `-progress pipe:1` (key=value lines, a block
 * ending in `progress=continue|end`), which is stable across ffmpeg versions, unlike the
 * human-oriented stats line on stderr.
 */
import { AppError } from '../shared/errors.ts';
import { abortError, runProcess } from './process.ts';

export interface FfmpegProgress {
  /** Media time written so far, seconds. */
  outTimeSeconds: number;
  /** Encoding speed relative to realtime (2 = twice as fast as playback); null until known. */
  speed: number | null;
}

export interface RunFfmpegOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  onProgress?: (p: FfmpegProgress) => void;
  /** Collect stdout (e.g. a thumbnail on `pipe:1`) up to this many bytes; progress is then off. */
  collectStdout?: number;
  /** Run at this niceness (see runProcess). */
  niceness?: number;
}

export async function runFfmpeg(
  bin: string,
  args: string[],
  opts: RunFfmpegOptions,
): Promise<{ stdout?: Buffer }> {
  const parser = opts.onProgress ? progressParser(opts.onProgress) : undefined;
  const run = await runProcess(bin, args, {
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    collectStdout: opts.collectStdout,
    onStdout: parser,
    niceness: opts.niceness,
  });
  if (run.aborted) throw abortError(opts.signal, 'ffmpeg');
  if (run.timedOut) {
    throw new AppError(
      'FH_ERR_MEDIA_TIMEOUT',
      `Processing took longer than the time limit (${Math.round(opts.timeoutMs / 1000)} s).`,
    );
  }
  if (run.stdoutOverflow) {
    throw new AppError('FH_ERR_TRANSCODE_FAILED', `ffmpeg wrote more than ${opts.collectStdout} bytes.`);
  }
  if (run.exitCode !== 0) {
    const excerpt = stderrExcerpt(run.stderrTail);
    const why = run.exitSignal ? `killed by ${run.exitSignal}` : `exit code ${run.exitCode}`;
    // ffmpeg writing into a full disk: not the media's fault, and retried once space returns.
    if (/No space left on device|Disk quota exceeded/i.test(run.stderrTail)) {
      throw new AppError('FH_ERR_STORAGE_FULL', `Transcoding stopped: no space left (${why}).`, {
        stderr: run.stderrTail,
      });
    }
    throw new AppError(
      'FH_ERR_TRANSCODE_FAILED',
      `Transcoding failed (${why})${excerpt ? `: ${excerpt}` : '.'}`,
      {
        stderr: run.stderrTail,
      },
    );
  }
  return opts.collectStdout === undefined ? {} : { stdout: run.stdout };
}

/**
 * The last few non-empty stderr lines, short enough for an error message, with absolute paths
 * replaced: the message may be shown to the asset's owner, our disk layout is not theirs.
 */
export function stderrExcerpt(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) =>
      l
        .replace(/(^|[\s'"(=])(?:file:)?\/[^\s'":]+/g, '$1<path>')
        .replace(/ @ 0x[0-9a-f]+/g, '')
        .trim(),
    )
    .filter(Boolean);
  return lines.slice(-3).join(' | ').slice(-300);
}

/** Longest line kept while waiting for its end: a hostile or broken stream cannot grow it. */
const MAX_PROGRESS_LINE = 4096;

/**
 * Returns a chunk handler for ffmpeg's `-progress` output (key=value lines, each block ending in
 * `progress=continue|end`) that reassembles lines across chunks and calls `onBlock` once per
 * block. out_time_us is microseconds; out_time_ms is ALSO microseconds in ffmpeg (a
 * long-standing naming bug), so either is divided by 1e6. `outTimeSeconds` is null in a block
 * without one; `fps` and `speed` keep their last value.
 */
export function progressBlocks(
  onBlock: (b: {
    outTimeSeconds: number | null;
    fps: number | null;
    speed: number | null;
    /** Frames ffmpeg dropped so far (`drop_frames`), null before it says. */
    dropFrames: number | null;
    end: boolean;
  }) => void,
): (chunk: Buffer | string) => void {
  let partial = '';
  let outTime: number | null = null;
  let fps: number | null = null;
  let speed: number | null = null;
  let dropFrames: number | null = null;
  return (chunk) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = (lines.pop() ?? '').slice(-MAX_PROGRESS_LINE);
    for (const line of lines) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      if (key === 'out_time_us' || (key === 'out_time_ms' && outTime === null)) {
        const us = Number(value);
        if (Number.isFinite(us) && us >= 0) outTime = us / 1e6;
      } else if (key === 'fps') {
        const x = Number.parseFloat(value);
        fps = Number.isFinite(x) ? x : null;
      } else if (key === 'speed') {
        const x = Number.parseFloat(value); // "1.23x", or "N/A" early on
        speed = Number.isFinite(x) ? x : null;
      } else if (key === 'drop_frames') {
        const n = Number.parseInt(value, 10);
        dropFrames = Number.isFinite(n) && n >= 0 ? n : dropFrames;
      } else if (key === 'progress') {
        onBlock({ outTimeSeconds: outTime, fps, speed, dropFrames, end: value === 'end' });
        outTime = null;
      }
    }
  };
}

/** progressBlocks for a job's progress: the blocks that say how far the output got. */
export function progressParser(onProgress: (p: FfmpegProgress) => void): (chunk: Buffer) => void {
  return progressBlocks((b) => {
    if (b.outTimeSeconds !== null) onProgress({ outTimeSeconds: b.outTimeSeconds, speed: b.speed });
  });
}

/** `ffmpeg -version` → its version, or null when the binary is missing or unparseable. */
export async function ffmpegVersion(
  bin: string,
): Promise<{ major: number; minor: number; raw: string } | null> {
  try {
    const run = await runProcess(bin, ['-hide_banner', '-version'], {
      timeoutMs: 10_000,
      collectStdout: 64 * 1024,
    });
    if (run.exitCode !== 0) return null;
    const first = run.stdout.toString('utf8').split('\n')[0] ?? '';
    // "ffmpeg version 5.1.9-0+deb12u1 …", "ffprobe version n6.1", "ffmpeg version 7.0.2-static …"
    const m = /version\s+n?(\d+)\.(\d+)\S*/.exec(first);
    if (!m) return null;
    return { major: Number(m[1]), minor: Number(m[2]), raw: first.trim() };
  } catch {
    return null;
  }
}

/** Names of the filters this ffmpeg build has (e.g. to know whether `zscale` can tonemap). */
export async function ffmpegFilters(bin: string): Promise<Set<string>> {
  const run = await runProcess(bin, ['-hide_banner', '-filters'], {
    timeoutMs: 10_000,
    collectStdout: 1024 * 1024,
  });
  const names = new Set<string>();
  if (run.exitCode !== 0) return names;
  for (const line of run.stdout.toString('utf8').split('\n')) {
    const m = /^\s[A-Z.]{3}\s+(\S+)\s/.exec(line);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}
