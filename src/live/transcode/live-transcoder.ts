/**
 * LiveTranscoder: one ffmpeg per live stream, fed on stdin, one fMP4 byte stream per rung on
 * file descriptors 3, 4, … (see live-ffmpeg-args.ts).
 *
 * What it watches, and why:
 * - Speed. ffmpeg's `speed=` is an average since the start, useless an hour in, so the speed here
 *   is measured over the last few seconds of progress. It only counts as lagging while ffmpeg is
 *   the bottleneck, i.e. while writes to its stdin are held back: a publisher that stalls also
 *   makes media time fall behind the clock, and shrinking the ladder would not help that.
 *   'lagging' fires once per episode after `lagThresholdSeconds`; the caller shrinks the ladder
 *   (restarts with fewer rungs).
 * - Backpressure. ffmpeg writes its outputs from one thread: a rung whose pipe is full blocks
 *   every other rung, and the input with them. So every rung's pipe is always read, into a
 *   bounded buffer behind the rung's Readable; a consumer that stops reading until that buffer
 *   passes `maxBufferedBytesPerRung` gets its stream destroyed ('rung-dropped' says which and
 *   why), and that rung's bytes are discarded from then on. The other rungs go on.
 * - Exit. 'exit' carries a reason a person can read: the input ended, we stopped it, or the last
 *   lines of stderr (ffmpeg runs at `-loglevel warning`, so they are the errors).
 * - Time. No output within `startTimeoutMs`, or a run past `maxDurationMs`: killed. `stop()` ends
 *   stdin (ffmpeg flushes the last fragments and exits) and SIGKILLs the process group after a
 *   grace; an abort signal SIGKILLs at once. Node reaps the child: no zombie.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { setPriority } from 'node:os';
import { Readable, type Writable } from 'node:stream';
import type { Logger } from 'pino';
import { progressBlocks, stderrExcerpt } from '../../media/run-ffmpeg.ts';
import { type LivePreset, type LiveRtpOutputs, liveTranscodeArgs } from './live-ffmpeg-args.ts';
import type { LiveRung } from './live-ladder.ts';
import { WindowedSpeed } from './live-progress.ts';
import { killGroup, trackChild } from './process-group.ts';

export interface LiveTranscoderOptions {
  ffmpegPath: string;
  rungs: LiveRung[];
  inputFormat: 'flv' | 'mpegts';
  log: Logger;
  preset?: LivePreset;
  /** With a copied top rung: the source's keyframe interval (see liveTranscodeArgs). */
  sourceKeyframeIntervalMs?: number | null;
  /** ffmpeg's fragment length (`-frag_duration`), s: the packager's parts (default 1/3). */
  fragmentSeconds?: number;
  /** Seconds of speed < 1 (with ffmpeg the bottleneck) before 'lagging' (default 5). */
  lagThresholdSeconds?: number;
  /** Below this windowed speed a moment counts as lagging (default 0.97: rounding and jitter). */
  lagSpeed?: number;
  /** Killed when no media comes out within this (default 20 s). */
  startTimeoutMs?: number;
  /** Killed after this long whatever happens (default: none). */
  maxDurationMs?: number;
  /** stop(): SIGKILL if ffmpeg has not exited this long after its stdin ended (default 5 s). */
  stopGraceMs?: number;
  /** A rung whose consumer lets this much pile up is dropped (default 32 MiB). */
  maxBufferedBytesPerRung?: number;
  signal?: AbortSignal;
  /** Run at this niceness (0–19). */
  niceness?: number;
  /** One encoded rung (and the audio as Opus) also as RTP to local ports, for WebRTC viewers. */
  rtp?: LiveRtpOutputs | null;
}

export interface LiveTranscoderProgress {
  outTimeSeconds: number;
  fps: number | null;
  /** Media s per wall s over the last ~3 s (null at first). */
  speed: number | null;
  /** Frames ffmpeg has dropped since it started (its `drop_frames`). */
  dropFrames: number;
}
export interface LiveTranscoderLagging {
  speed: number;
  /** How long it has been lagging, s. */
  seconds: number;
}
export interface LiveTranscoderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** 'input ended', 'stopped', 'aborted', 'no output within 20 s', or ffmpeg's last errors. */
  reason: string;
  /** True when ffmpeg ended by itself without an error (input ended) or because we stopped it. */
  clean: boolean;
}

export interface LiveTranscoderEvents {
  progress: [LiveTranscoderProgress];
  lagging: [LiveTranscoderLagging];
  'rung-dropped': [{ name: string; reason: string }];
  exit: [LiveTranscoderExit];
}

const SPEED_WINDOW_MS = 3000;
const STDERR_TAIL_BYTES = 4096;

export class LiveTranscoder extends EventEmitter<LiveTranscoderEvents> {
  readonly outputs: ReadonlyMap<string, Readable>;
  private readonly opts: LiveTranscoderOptions;
  private readonly log: Logger;
  private child: ChildProcess | null = null;
  private input: Readable | null = null;
  private onInputData: ((chunk: Buffer) => void) | null = null;
  private exited: Promise<void> | null = null;
  private exitInfo: LiveTranscoderExit | null = null;
  private stopping = false;
  private killedFor: string | null = null;
  private stderrTail = Buffer.alloc(0);
  private readonly speed = new WindowedSpeed(SPEED_WINDOW_MS);
  private blockedSince: number | null = null;
  private lastBlockedAt = 0;
  private lagSince: number | null = null;
  private lagReported = false;
  private sawOutput = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(opts: LiveTranscoderOptions) {
    super();
    if (opts.rungs.length === 0) throw new Error('LiveTranscoder: no rungs');
    this.opts = opts;
    this.log = opts.log;
    const outputs = new Map<string, Readable>();
    for (const rung of opts.rungs) outputs.set(rung.name, new Readable({ read() {} }));
    this.outputs = outputs;
  }

  /** Starts ffmpeg and feeds it `input` (FLV or MPEG-TS bytes). Call once. */
  start(input: Readable): void {
    if (this.child) throw new Error('LiveTranscoder: already started');
    const { opts } = this;
    const args = liveTranscodeArgs({ format: opts.inputFormat }, opts.rungs, {
      ...(opts.preset ? { preset: opts.preset } : {}),
      ...(opts.fragmentSeconds ? { fragmentSeconds: opts.fragmentSeconds } : {}),
      sourceKeyframeIntervalMs: opts.sourceKeyframeIntervalMs ?? null,
      rtp: opts.rtp ?? null,
    });
    const stdio: ('pipe' | 'ignore')[] = ['pipe', 'pipe', 'pipe', ...opts.rungs.map(() => 'pipe' as const)];
    // Its own process group, as src/media/process.ts does: a Ctrl-C reaches the server, whose
    // shutdown decides; and a kill reaches any helper ffmpeg might fork.
    const child = spawn(opts.ffmpegPath, args, { stdio, shell: false, detached: true });
    this.child = child;
    trackChild(child);
    if (opts.niceness && child.pid) {
      try {
        setPriority(child.pid, opts.niceness);
      } catch {
        // not allowed here: it only costs the priority
      }
    }
    this.log.info({ pid: child.pid, rungs: opts.rungs.map((r) => r.name) }, 'live transcoder started');

    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        // spawn failed (no binary): 'close' still follows with code -2 / null
        this.killedFor ??= `ffmpeg could not be started: ${err.message}`;
      });
      child.once('close', (code, signal) => {
        for (const t of this.timers) clearTimeout(t);
        this.onExit(code, signal);
        resolve();
      });
    });

    this.feed(input, child.stdin as Writable);
    child.stdout?.on(
      'data',
      progressBlocks((b) => this.onProgress(b.outTimeSeconds, b.fps, b.dropFrames)),
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = Buffer.concat([this.stderrTail, chunk]);
      if (this.stderrTail.length > STDERR_TAIL_BYTES) {
        this.stderrTail = this.stderrTail.subarray(this.stderrTail.length - STDERR_TAIL_BYTES);
      }
    });
    opts.rungs.forEach((rung, i) => {
      const pipe = child.stdio[3 + i] as Readable | null;
      const out = this.outputs.get(rung.name) as Readable;
      if (pipe) this.drain(rung.name, pipe, out);
    });

    const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
    this.timers.push(
      setTimeout(() => {
        if (!this.sawOutput) this.kill(`no output within ${Math.round(startTimeoutMs / 1000)} s`);
      }, startTimeoutMs),
    );
    if (opts.maxDurationMs) {
      const limit = opts.maxDurationMs;
      this.timers.push(
        setTimeout(() => this.kill(`time limit of ${Math.round(limit / 1000)} s reached`), limit),
      );
    }
    if (opts.signal) {
      if (opts.signal.aborted) this.kill('aborted');
      else opts.signal.addEventListener('abort', () => this.kill('aborted'), { once: true });
    }
  }

  /**
   * Ends ffmpeg's input, so it writes its last fragments and exits; SIGKILL after the grace.
   * Resolves once the process is gone.
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo) return;
    this.stopping = true;
    if (this.input && this.onInputData) this.input.off('data', this.onInputData);
    child.stdin?.end();
    const grace = setTimeout(
      () => this.kill('did not exit after its input ended'),
      this.opts.stopGraceMs ?? 5000,
    );
    await this.exited;
    clearTimeout(grace);
  }

  /** The last exit, once ffmpeg has exited. */
  get exit(): LiveTranscoderExit | null {
    return this.exitInfo;
  }

  private feed(input: Readable, stdin: Writable): void {
    this.input = input;
    // EPIPE when ffmpeg exits before the input ends: its exit says why, not this.
    stdin.on('error', () => {});
    // Our own pump rather than pipe(): it records when ffmpeg holds the input back, which is
    // what tells "ffmpeg too slow" from "publisher too slow" (see the header).
    const onData = (chunk: Buffer) => {
      if (stdin.destroyed || stdin.writableEnded) return;
      if (!stdin.write(chunk)) {
        input.pause();
        this.blockedSince = Date.now();
        stdin.once('drain', () => {
          this.lastBlockedAt = Date.now();
          this.blockedSince = null;
          if (!this.stopping) input.resume();
        });
      }
    };
    this.onInputData = onData;
    input.on('data', onData);
    input.once('end', () => {
      if (!stdin.writableEnded) stdin.end();
    });
    input.once('error', (err) => {
      this.log.warn({ err }, 'live transcoder input failed');
      if (!stdin.writableEnded) stdin.end();
    });
  }

  private drain(name: string, pipe: Readable, out: Readable): void {
    const cap = this.opts.maxBufferedBytesPerRung ?? 32 * 1024 * 1024;
    let discarding = false;
    pipe.on('data', (chunk: Buffer) => {
      if (discarding) return;
      if (out.destroyed) {
        discarding = true; // the consumer does not want it any more
        return;
      }
      if (out.readableLength + chunk.length > cap) {
        discarding = true;
        const reason = `the reader of rung ${name} fell ${Math.round(cap / 1024)} KiB behind; the rung was dropped`;
        // Destroyed without an error: an 'error' nobody listens to would take the process down.
        // A reader still there sees a premature close; 'rung-dropped' says why.
        out.destroy();
        this.log.warn({ rung: name }, reason);
        this.emit('rung-dropped', { name, reason });
        return;
      }
      out.push(chunk);
    });
    pipe.once('end', () => {
      if (!discarding && !out.destroyed) out.push(null);
    });
    pipe.on('error', () => {});
  }

  private onProgress(outTime: number | null, fps: number | null, dropFrames: number | null): void {
    if (outTime === null || outTime <= 0) return;
    this.sawOutput = true;
    const now = Date.now();
    const speed = this.speed.add(now, outTime);
    this.emit('progress', { outTimeSeconds: outTime, fps, speed, dropFrames: dropFrames ?? 0 });
    const lagSpeed = this.opts.lagSpeed ?? 0.97;
    const ffmpegIsTheBottleneck = this.blockedSince !== null || now - this.lastBlockedAt < SPEED_WINDOW_MS;
    if (speed !== null && speed < lagSpeed && ffmpegIsTheBottleneck) {
      this.lagSince ??= now;
      const seconds = (now - this.lagSince) / 1000;
      if (!this.lagReported && seconds >= (this.opts.lagThresholdSeconds ?? 5)) {
        this.lagReported = true;
        this.log.warn({ speed, seconds }, 'live transcoder is not keeping up');
        this.emit('lagging', { speed, seconds });
      }
    } else if (speed !== null && speed >= lagSpeed) {
      this.lagSince = null;
      this.lagReported = false;
    }
  }

  private kill(why: string): void {
    const child = this.child;
    if (!child || this.exitInfo) return;
    this.killedFor ??= why;
    killGroup(child, 'SIGKILL');
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    let reason: string;
    let clean = false;
    if (this.killedFor) {
      reason = this.killedFor;
    } else if (code === 0) {
      reason = this.stopping ? 'stopped' : 'input ended';
      clean = true;
    } else {
      const excerpt = stderrExcerpt(this.stderrTail.toString('utf8'));
      reason = excerpt || (signal ? `ffmpeg was killed by ${signal}` : `ffmpeg exited with code ${code}`);
    }
    if (this.stopping && this.killedFor === null) clean = true;
    this.exitInfo = { code, signal, reason, clean };
    // A rung whose pipe never ended (killed): end its stream so readers finish.
    for (const out of this.outputs.values()) if (!out.destroyed && !out.readableEnded) out.push(null);
    this.log.info({ code, signal, reason }, 'live transcoder exited');
    this.emit('exit', this.exitInfo);
  }
}
