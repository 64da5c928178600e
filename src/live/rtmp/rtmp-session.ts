// One RTMP connection, from the first handshake byte to the end of its publish.
//
// Transport-agnostic (the server gives it a socket's write/end/destroy; the fuzz test gives it
// a recorder), and it never throws out of receive(): any malformed input ends this session and
// no other. The command flow is publish-only:
//   connect → _result; releaseStream / FCPublish / createStream → _result;
//   publish → authorize() first, then onStatus Publish.Start, or a refusal and the end;
//   @setDataFrame onMetaData, audio and video → the LivePublish;
//   FCUnpublish / deleteStream / closeStream / the socket closing → the end.
import type { Logger } from 'pino';
import { type AmfObject, type AmfValue, amfObject, decodeAmf0, encodeAmf0 } from './amf0.ts';
import { ChunkReader, MSG, type RtmpMessage, RtmpProtocolError, writeChunks } from './chunk-stream.ts';
import { answerC1, HANDSHAKE_SIZE, RTMP_VERSION } from './handshake.ts';
import { RtmpPublish } from './live-publish.ts';
import type { LivePublish, PublishAttempt, PublishEndReason, PublishVerdict, RtmpLimits } from './types.ts';

export interface SessionTransport {
  write(bytes: Buffer): void;
  /** Flush what was written, then close (the transport destroys it after a grace period). */
  end(): void;
  destroy(): void;
  /** Bytes written but not yet sent: a peer that does not read is cut off. */
  writableLength(): number;
}

export interface SessionOptions {
  transport: SessionTransport;
  remoteAddress: string;
  secure: boolean;
  limits: RtmpLimits;
  authorize(attempt: PublishAttempt): Promise<PublishVerdict>;
  onPublish(publish: LivePublish): void;
  log: Logger;
  /** Called once when the session is over, whatever the reason. */
  onClose?(): void;
}

/** Our outgoing chunk size and the acknowledgement window we announce (common server values). */
const OUT_CHUNK_SIZE = 4096;
const ACK_WINDOW = 5_000_000;
const MAX_UNSENT_BYTES = 1024 * 1024;
const PUBLISH_STREAM_ID = 1;
const MAX_NAME_LENGTH = 1024;

/** What every refused publisher receives, whatever the reason: it must say nothing about the key. */
export const REFUSAL_STATUS = {
  code: 'NetStream.Publish.BadName',
  description: 'Publishing refused.',
} as const;

type Phase = 'c0c1' | 'c2' | 'chunks' | 'closed';

export class RtmpSession {
  phase: Phase = 'c0c1';
  private pending: Buffer = Buffer.alloc(0);
  private reader: ChunkReader;
  private lastAckAt = 0;
  private app: string | null = null;
  private publishing: RtmpPublish | null = null;
  private publishRequested = false;
  private createdStreams = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleTimer: NodeJS.Timeout | null = null;
  private publishTimer: NodeJS.Timeout | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;

  private readonly opts: SessionOptions;

  constructor(opts: SessionOptions) {
    this.opts = opts;
    this.reader = new ChunkReader({
      maxMessageBytes: opts.limits.maxMessageBytes,
      onMessage: (m) => this.onMessage(m),
    });
    this.handshakeTimer = this.timer(opts.limits.handshakeTimeoutMs, () =>
      this.fail('timeout', 'handshake timed out'),
    );
    this.publishTimer = this.timer(opts.limits.publishTimeoutMs, () =>
      this.fail('timeout', 'no publish in time'),
    );
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Bytes from the peer. Never throws. */
  receive(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    try {
      this.consume(chunk);
    } catch (err) {
      const known = err instanceof RtmpProtocolError || (err as Error).name === 'AmfError';
      this.fail('error', known ? (err as Error).message : `unexpected: ${(err as Error).message}`);
    }
  }

  /** The peer closed the connection or it broke. */
  transportClosed(error?: Error): void {
    if (this.phase === 'closed') return;
    this.finish(
      error ? 'error' : 'client-closed',
      error ? `connection error: ${error.message}` : 'peer closed',
      false,
    );
  }

  /** Server-side end (publish.close(), server shutdown): a status if publishing, then the close. */
  kick(reason: string): void {
    if (this.phase === 'closed') return;
    if (this.publishing) {
      this.sendStatus('status', 'NetStream.Unpublish.Success', 'Publishing ended by the server.');
    }
    this.finish('kicked', reason, true);
  }

  private consume(chunk: Buffer): void {
    if (this.phase === 'chunks') {
      this.pushChunks(chunk);
      return;
    }
    // The handshake: fixed sizes, so only this much is ever buffered.
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.phase === 'c0c1') {
      if ((this.pending[0] as number) !== RTMP_VERSION) {
        // 6 would be RTMPE (encrypted RTMP): not offered.
        throw new RtmpProtocolError(`handshake version ${this.pending[0]} is not 3`);
      }
      if (this.pending.length < 1 + HANDSHAKE_SIZE) return;
      const answer = answerC1(this.pending.subarray(1, 1 + HANDSHAKE_SIZE));
      this.opts.transport.write(answer.bytes);
      this.pending = this.pending.subarray(1 + HANDSHAKE_SIZE);
      this.phase = 'c2';
    }
    if (this.phase === 'c2') {
      if (this.pending.length < HANDSHAKE_SIZE) return;
      // C2 is not checked: clients fill it differently and nothing depends on it.
      const rest = this.pending.subarray(HANDSHAKE_SIZE);
      this.pending = Buffer.alloc(0);
      this.phase = 'chunks';
      this.clear(this.handshakeTimer);
      if (rest.length) this.pushChunks(rest);
    }
  }

  private pushChunks(chunk: Buffer): void {
    this.reader.push(chunk);
    if (this.phase !== 'closed' && this.reader.bytesIn - this.lastAckAt >= ACK_WINDOW) {
      this.lastAckAt = this.reader.bytesIn;
      const ack = Buffer.alloc(4);
      ack.writeUInt32BE(this.reader.bytesIn >>> 0);
      this.sendControl(MSG.acknowledgement, ack);
    }
  }

  private onMessage(m: RtmpMessage): void {
    if (this.phase === 'closed') return;
    switch (m.type) {
      case MSG.commandAmf0:
        this.onCommand(m, decodeAmf0(m.payload));
        break;
      case MSG.commandAmf3:
        // AMF3 command messages start with a format byte; the body is AMF0 in practice.
        if (m.payload.length > 0) this.onCommand(m, decodeAmf0(m.payload.subarray(1)));
        break;
      case MSG.dataAmf0:
        this.onData(m.payload);
        break;
      case MSG.dataAmf3:
        if (m.payload.length > 0) this.onData(m.payload.subarray(1));
        break;
      case MSG.audio:
      case MSG.video:
        // Media before the publish is accepted (or after a refusal) is dropped.
        if (this.publishing) {
          this.idleTimer?.refresh();
          this.publishing.handleMedia(m.type, m.timestamp, m.payload);
        }
        break;
      default:
        // Control messages (chunk size and abort acted on by the reader), acks, user control,
        // peer bandwidth, shared objects: nothing to do for a publish-only server.
        break;
    }
  }

  private onCommand(m: RtmpMessage, values: AmfValue[]): void {
    const [name, txn] = values;
    if (typeof name !== 'string') throw new RtmpProtocolError('command without a name');
    const transaction = typeof txn === 'number' ? txn : 0;
    switch (name) {
      case 'connect':
        this.onConnect(transaction, values[2]);
        break;
      case 'releaseStream':
      case 'FCPublish':
        this.requireConnected(name);
        this.sendCommand(0, '_result', transaction, null, undefined);
        break;
      case 'createStream':
        this.requireConnected(name);
        if (++this.createdStreams > 8) throw new RtmpProtocolError('too many createStream calls');
        this.sendCommand(0, '_result', transaction, null, PUBLISH_STREAM_ID);
        break;
      case 'publish':
        this.requireConnected(name);
        this.onPublishCommand(m.streamId, values[3]);
        break;
      case 'play':
      case 'play2':
        this.sendStatus('error', 'NetStream.Play.Failed', 'Playback is not offered here.', m.streamId);
        this.finish('error', 'play requested', true);
        break;
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        if (this.publishing) this.finish('client-closed', name, true);
        break;
      default:
        // _checkbw, getStreamLength, _result to our nothing, …: ignored.
        break;
    }
  }

  private requireConnected(command: string): void {
    if (this.app === null) throw new RtmpProtocolError(`${command} before connect`);
  }

  private onConnect(transaction: number, command: AmfValue): void {
    if (this.app !== null) throw new RtmpProtocolError('connect sent twice');
    const obj = (
      typeof command === 'object' && command !== null && !Array.isArray(command) ? command : {}
    ) as AmfObject;
    const rawApp = typeof obj.app === 'string' ? obj.app : '';
    this.app = rawApp.split('?')[0]?.replace(/\/+$/, '').slice(0, MAX_NAME_LENGTH) ?? '';
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    };
    this.sendControl(MSG.windowAckSize, u32(ACK_WINDOW));
    this.sendControl(MSG.setPeerBandwidth, Buffer.concat([u32(ACK_WINDOW), Buffer.from([2])]));
    this.sendControl(MSG.setChunkSize, u32(OUT_CHUNK_SIZE));
    this.outChunkSize = OUT_CHUNK_SIZE;
    const encoding = typeof obj.objectEncoding === 'number' ? obj.objectEncoding : 0;
    this.sendCommand(
      0,
      '_result',
      transaction,
      amfObject({ fmsVer: 'FMS/3,0,1,123', capabilities: 31 }),
      amfObject({
        level: 'status',
        code: 'NetConnection.Connect.Success',
        description: 'Connection succeeded.',
        objectEncoding: encoding,
      }),
    );
  }

  private onPublishCommand(streamId: number, nameValue: AmfValue): void {
    if (this.publishRequested) throw new RtmpProtocolError('publish sent twice');
    this.publishRequested = true;
    this.clear(this.publishTimer);
    const name = typeof nameValue === 'string' ? nameValue.slice(0, MAX_NAME_LENGTH) : '';
    const attempt: PublishAttempt = {
      app: this.app ?? '',
      streamKey: name.split('?')[0] ?? '',
      remoteAddress: this.opts.remoteAddress,
      secure: this.opts.secure,
    };
    const { limits } = this.opts;
    let authorizeTimer: NodeJS.Timeout | null = null;
    const verdict = new Promise<PublishVerdict>((resolve) => {
      authorizeTimer = this.timer(limits.authorizeTimeoutMs, () =>
        resolve({ accept: false, reason: 'authorize did not answer in time' }),
      );
      if (!attempt.streamKey) {
        resolve({ accept: false, reason: 'empty stream name' });
        return;
      }
      Promise.resolve()
        .then(() => this.opts.authorize(attempt))
        .then(resolve, (err: Error) =>
          resolve({ accept: false, reason: `authorize failed: ${err.message}` }),
        );
    });
    void verdict.then((v) => {
      this.clear(authorizeTimer);
      if (this.phase === 'closed') return;
      if (!v.accept) {
        this.opts.log.info({ app: attempt.app, reason: v.reason }, 'rtmp: publish refused');
        this.sendStatus('error', REFUSAL_STATUS.code, REFUSAL_STATUS.description, streamId);
        this.finish('kicked', 'publish refused', true);
        return;
      }
      this.accept(attempt, streamId);
    });
  }

  private accept(attempt: PublishAttempt, streamId: number): void {
    const publish = new RtmpPublish(
      attempt,
      { bytesIn: () => this.reader.bytesIn, kick: (reason) => this.kick(reason) },
      this.opts.limits,
      this.opts.log,
    );
    this.publishing = publish;
    // User Control "Stream Begin" for the publishing stream, then the status clients wait for.
    const begin = Buffer.alloc(6);
    begin.writeUInt32BE(streamId, 2);
    this.sendControl(MSG.userControl, begin);
    this.sendStatus('status', 'NetStream.Publish.Start', 'Publishing started.', streamId);
    this.idleTimer = this.timer(this.opts.limits.idleTimeoutMs, () =>
      this.fail('timeout', 'no media in time'),
    );
    this.opts.log.info({ app: attempt.app }, 'rtmp: publish accepted');
    try {
      this.opts.onPublish(publish);
    } catch (err) {
      this.opts.log.error({ err }, 'rtmp: onPublish threw');
      this.kick('onPublish failed');
    }
  }

  private onData(payload: Buffer): void {
    if (!this.publishing) return;
    const values = decodeAmf0(payload);
    // ffmpeg and OBS send ['@setDataFrame', 'onMetaData', {...}]; some send ['onMetaData', {...}].
    const start = values[0] === '@setDataFrame' ? 1 : 0;
    if (values[start] !== 'onMetaData') return;
    const meta = values[start + 1];
    if (typeof meta === 'object' && meta !== null && !Array.isArray(meta) && !(meta instanceof Date)) {
      this.publishing.handleMetadata(meta, payload.length);
    }
  }

  private outChunkSize = 128;

  private send(csid: number, type: number, streamId: number, payload: Buffer): void {
    if (this.phase === 'closed') return;
    this.opts.transport.write(
      writeChunks({ csid, type, streamId, timestamp: 0, payload }, this.outChunkSize),
    );
    if (this.opts.transport.writableLength() > MAX_UNSENT_BYTES) this.fail('error', 'peer does not read');
  }

  private sendControl(type: number, payload: Buffer): void {
    this.send(2, type, 0, payload);
  }

  private sendCommand(streamId: number, ...values: AmfValue[]): void {
    this.send(streamId === 0 ? 3 : 5, MSG.commandAmf0, streamId, encodeAmf0(...values));
  }

  private sendStatus(
    level: 'status' | 'error',
    code: string,
    description: string,
    streamId = PUBLISH_STREAM_ID,
  ): void {
    this.sendCommand(streamId, 'onStatus', 0, null, amfObject({ level, code, description }));
  }

  private fail(reason: PublishEndReason, detail: string): void {
    this.finish(reason, detail, false);
  }

  private finish(reason: PublishEndReason, detail: string, graceful: boolean): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending = Buffer.alloc(0);
    this.opts.log.debug({ reason, detail, publishing: this.publishing !== null }, 'rtmp: session ended');
    if (graceful) this.opts.transport.end();
    else this.opts.transport.destroy();
    this.publishing?.end(reason);
    this.opts.onClose?.();
  }

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private clear(t: NodeJS.Timeout | null): void {
    if (!t) return;
    clearTimeout(t);
    this.timers.delete(t);
  }
}
