/**
 * The one place a media tool is spawned. Argument arrays only (never a shell), stdin closed,
 * a hard time limit, SIGKILL on abort: ffmpeg can hang on hostile input and ignore SIGTERM
 * while blocked in a demuxer, so anything gentler could leave a worker stuck.
 *
 * It never rejects on a non-zero exit: callers (probeFile, runFfmpeg) know what the exit means
 * and map it to an AppError. It rejects only when the binary can't be started at all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setPriority } from 'node:os';

export interface ProcessResult {
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Collected stdout when `collectStdout` was set, else an empty buffer. */
  stdout: Buffer;
  /** True when stdout went over `collectStdout` bytes and the process was killed for it. */
  stdoutOverflow: boolean;
  /** The last `stderrTailBytes` of stderr: enough for the error, never the whole log. */
  stderrTail: string;
}

export interface ProcessOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Collect stdout up to this many bytes (the process is killed beyond it). */
  collectStdout?: number | undefined;
  /** Called with each stdout chunk when stdout is not collected (e.g. `-progress pipe:1`). */
  onStdout?: ((chunk: Buffer) => void) | undefined;
  stderrTailBytes?: number | undefined;
  /**
   * Run at this niceness (0–19: yield the CPU to others). Set right after the start, before the
   * tool makes its threads, which inherit it. Where it cannot be set, the process runs as is.
   */
  niceness?: number | undefined;
}

/**
 * Children still running. Being in their own process group, they would outlive a server that
 * exits without shutting down gracefully (a second Ctrl-C): kill them on the way out.
 */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function runProcess(bin: string, args: string[], opts: ProcessOptions): Promise<ProcessResult> {
  const tailBytes = opts.stderrTailBytes ?? 4096;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      resolve(emptyResult({ aborted: true }));
      return;
    }
    // Its own process group: a Ctrl-C in the terminal reaches the server, whose graceful
    // shutdown decides whether the job finishes; it does not kill ffmpeg behind its back.
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
    live.add(child);
    child.once('close', () => live.delete(child));
    if (opts.niceness && child.pid) {
      try {
        setPriority(child.pid, opts.niceness);
      } catch {
        // not allowed here: it only costs the priority
      }
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let stdoutOverflow = false;
    let stderrTail = Buffer.alloc(0);
    let timedOut = false;
    let aborted = false;

    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      if (opts.collectStdout === undefined) {
        opts.onStdout?.(chunk);
        return;
      }
      outBytes += chunk.length;
      if (outBytes > opts.collectStdout) {
        stdoutOverflow = true;
        kill();
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // Keep a bounded tail: a long transcode can log megabytes of warnings.
      stderrTail = Buffer.concat([stderrTail, chunk]);
      if (stderrTail.length > tailBytes) stderrTail = stderrTail.subarray(stderrTail.length - tailBytes);
    });

    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (exitCode, exitSignal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode,
        exitSignal,
        timedOut,
        aborted,
        stdout: Buffer.concat(out),
        stdoutOverflow,
        stderrTail: stderrTail.toString('utf8'),
      });
    });
  });
}

function emptyResult(over: Partial<ProcessResult>): ProcessResult {
  return {
    exitCode: null,
    exitSignal: null,
    timedOut: false,
    aborted: false,
    stdout: Buffer.alloc(0),
    stdoutOverflow: false,
    stderrTail: '',
    ...over,
  };
}

/** The error a cancelled operation rejects with, shaped like the platform's own AbortError. */
export function abortError(signal: AbortSignal | undefined, what: string): Error {
  const err = new Error(`${what} was aborted`, { cause: signal?.reason });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}
