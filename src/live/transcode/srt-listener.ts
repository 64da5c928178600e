/**
 * SrtListener: SRT ingest for one live stream, through ffmpeg's SRT listener (libsrt).
 *
 * ffmpeg listens on the stream's port, takes ONE caller, and copies what it sends to MPEG-TS on
 * stdout, which the caller of this class feeds to the LiveTranscoder. Once the caller leaves
 * ffmpeg exits and this emits 'end'; the lead starts a new listener for the next publish.
 *
 * - Security is SRT's own: AES with the stream's passphrase (`pbkeylen` 16), and
 *   `enforced_encryption` so a caller with a wrong or no passphrase fails the handshake inside
 *   libsrt. ffmpeg never sees such a caller: the listener goes on waiting for the right one.
 *   ffmpeg's listener does not check the caller's `streamid`; the passphrase is what keys it.
 * - The options are given to ffmpeg as options, not in the URL: no escaping of the passphrase,
 *   and it is not echoed in ffmpeg's "Input #0, from '…'" line. (It is on ffmpeg's command line,
 *   readable by local users of this machine; ffmpeg offers no other way.)
 * - What the source is comes from ffmpeg's own input description on stderr, read before
 *   'publish' is emitted (see ffmpeg-input-description.ts).
 * - A caller that goes silent (network cut, frozen encoder): libsrt drops the connection after
 *   its peer idle timeout (5 s, SRTO_PEERIDLETIMEO, not settable from ffmpeg 5.1), ffmpeg's read
 *   fails and it exits: 'end' (measured in the tests). `latency` is in MICROseconds in ffmpeg.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { stderrExcerpt } from '../../media/run-ffmpeg.ts';
import { type InputDescription, InputDescriptionReader } from './ffmpeg-input-description.ts';
import type { LiveSource } from './live-ladder.ts';
import { killGroup, trackChild } from './process-group.ts';

export interface SrtListenerOptions {
  ffmpegPath: string;
  host: string;
  port: number;
  /** 10–79 characters (SRT's rule; ffmpeg accepts up to 64, so 10–64 here). */
  passphrase: string;
  /** The stream this port belongs to (for logs; ffmpeg's listener cannot check the caller's). */
  streamId: string;
  log: Logger;
  /** SRT receive latency, ms (default 120, SRT's own default; raise it for long, lossy paths). */
  latencyMs?: number;
  /** After the caller connects, ffmpeg must have described the source within this (default 10 s). */
  describeTimeoutMs?: number;
  /** How long ffmpeg may read the caller's stream to describe it (default 3 s). */
  analyzeSeconds?: number;
  /** stop(): SIGKILL after this grace (default 3 s). */
  stopGraceMs?: number;
}

export interface SrtPublish {
  source: LiveSource;
  /** MPEG-TS bytes (video and audio as the caller sent them). */
  stream: Readable;
  description: InputDescription;
}

export interface SrtListenerEvents {
  publish: [SrtPublish];
  /** The caller left (or the stream failed after publish). */
  end: [{ reason: string }];
  /** The listener failed before any publish (port taken, not a stream, …). */
  error: [Error];
}

const MAX_DESCRIPTION_LINES = 300;
const STDERR_TAIL_BYTES = 4096;

export class SrtListener extends EventEmitter<SrtListenerEvents> {
  private readonly opts: SrtListenerOptions;
  private child: ChildProcess | null = null;
  private exited: Promise<void> | null = null;
  private published = false;
  private stopping = false;
  private killedFor: string | null = null;
  private stderrTail = '';
  private describeTimer: NodeJS.Timeout | null = null;

  constructor(opts: SrtListenerOptions) {
    super();
    if (opts.passphrase.length < 10 || opts.passphrase.length > 64) {
      throw new Error('SrtListener: the passphrase must be 10 to 64 characters');
    }
    if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
      throw new Error(`SrtListener: bad port ${opts.port}`);
    }
    this.opts = opts;
  }

  start(): void {
    if (this.child) throw new Error('SrtListener: already started');
    const { opts } = this;
    const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
    // biome-ignore format: option/value pairs
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'info', '-nostats',
      '-mode', 'listener',
      '-passphrase', opts.passphrase, '-pbkeylen', '16', '-enforced_encryption', '1',
      '-latency', String(Math.round((opts.latencyMs ?? 120) * 1000)),
      // The size is known at the first keyframe (SPS): 3 s covers a 2 s GOP wherever the caller
      // joins it. Measured with a 2 s-GOP caller: 'publish' 2.5 s after it starts at 2 s, 3.4 s at 3 s, 4.2 s at 5 s.
      '-probesize', '5000000', '-analyzeduration', String(Math.round((opts.analyzeSeconds ?? 3) * 1e6)),
      '-f', 'mpegts', '-i', `srt://${host}:${opts.port}`,
      '-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy',
      '-f', 'mpegts', 'pipe:1',
    ];
    const child = spawn(opts.ffmpegPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      detached: true,
    });
    this.child = child;
    trackChild(child);
    opts.log.info({ port: opts.port, streamId: opts.streamId }, 'srt listener waiting for a caller');

    const reader = new InputDescriptionReader();
    let lines = 0;
    let partial = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
      if (this.published || lines > MAX_DESCRIPTION_LINES) return;
      const split = (partial + text).split('\n');
      partial = (split.pop() ?? '').slice(-2000);
      for (const line of split) {
        lines++;
        if (!this.describeTimer && /^Input #0/.test(line)) this.armDescribeTimer();
        reader.push(line);
        if (reader.done) {
          this.onDescribed(reader.description);
          return;
        }
      }
      if (lines > MAX_DESCRIPTION_LINES)
        this.kill('ffmpeg described the SRT input in more lines than expected');
    });
    // ffmpeg prints the description only once it has probed the stream, i.e. after a caller
    // connected and sent some seconds; the first bytes on stdout follow it.
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.killedFor ??= `ffmpeg could not be started: ${err.message}`;
      });
      child.once('close', (code, signal) => {
        if (this.describeTimer) clearTimeout(this.describeTimer);
        this.onExit(code, signal);
        resolve();
      });
    });
  }

  /** Stops listening (or ends the stream): SIGTERM, then SIGKILL after the grace. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    this.stopping = true;
    if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGTERM');
    const grace = setTimeout(() => this.kill('did not stop'), this.opts.stopGraceMs ?? 3000);
    await this.exited;
    clearTimeout(grace);
  }

  private armDescribeTimer(): void {
    const ms = this.opts.describeTimeoutMs ?? 10_000;
    this.describeTimer = setTimeout(() => {
      if (!this.published)
        this.kill(`the SRT caller's stream was not described within ${Math.round(ms / 1000)} s`);
    }, ms);
  }

  private onDescribed(d: InputDescription): void {
    const child = this.child;
    if (!child?.stdout || this.published) return;
    if (!d.video) {
      this.kill('the SRT stream has no video');
      return;
    }
    if (!d.video.width || !d.video.height) {
      const secs = this.opts.analyzeSeconds ?? 3;
      this.kill(`the video size could not be read within ${secs} s: send a keyframe at least every 2 s`);
      return;
    }
    this.published = true;
    if (this.describeTimer) clearTimeout(this.describeTimer);
    const source: LiveSource = {
      width: d.video.width ?? 0,
      height: d.video.height ?? 0,
      fps: d.video.fps,
      videoBitrate: d.video.bitrate,
      // MPEG-TS carries no GOP description: unknown until measured, so the ladder transcodes
      // the top rung rather than copy a source whose segments might not line up.
      keyframeIntervalMs: null,
      hasAudio: d.audio !== null,
      videoCodec: d.video.codec,
      audioCodec: d.audio?.codec ?? null,
      audioCodecString:
        d.audio?.codec === 'aac' ? (d.audio.profile === 'HE-AAC' ? 'mp4a.40.5' : 'mp4a.40.2') : null,
    };
    this.opts.log.info(
      { port: this.opts.port, streamId: this.opts.streamId, source },
      'srt caller publishing',
    );
    this.emit('publish', { source, stream: child.stdout, description: d });
  }

  private kill(why: string): void {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.killedFor ??= why;
    killGroup(child, 'SIGKILL');
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const excerpt = redact(stderrExcerpt(this.stderrTail), this.opts.passphrase);
    let reason: string;
    if (this.killedFor) reason = this.killedFor;
    else if (this.stopping) reason = 'stopped';
    else if (code === 0) reason = 'the caller left';
    else reason = excerpt || `ffmpeg exited with ${signal ?? `code ${code}`}`;
    this.opts.log.info({ port: this.opts.port, code, signal, reason }, 'srt listener exited');
    if (this.published) {
      this.emit('end', { reason });
    } else if (!this.stopping) {
      // 'error' without a listener throws: the lead always listens; a test that forgets learns.
      this.emit('error', new Error(`SRT listener on port ${this.opts.port} failed: ${reason}`));
    } else {
      this.emit('end', { reason });
    }
  }
}

/** Never let the passphrase reach a log or an API answer, whatever ffmpeg echoes. */
export function redact(text: string, passphrase: string): string {
  let out = text.replace(/passphrase=[^&\s'"]*/g, 'passphrase=***');
  if (passphrase) out = out.split(passphrase).join('***');
  return out;
}
