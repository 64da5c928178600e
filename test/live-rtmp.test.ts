// The RTMP receiver against real ffmpeg publishers (and hostile raw clients) over real sockets.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { amfObject, encodeAmf0 } from '../src/live/rtmp/amf0.ts';
import { MSG, writeChunks } from '../src/live/rtmp/chunk-stream.ts';
import { createRtmpServer, type RtmpServer } from '../src/live/rtmp/rtmp-server.ts';
import type { LivePublish, PublishAttempt } from '../src/live/rtmp/types.ts';

const log = pino({ level: 'silent' });
const LIMITS = {
  handshakeTimeoutMs: 1000,
  publishTimeoutMs: 2000,
  idleTimeoutMs: 2000,
  readyTimeoutMs: 8000,
};

/** A server whose authorize accepts keys starting with "good" once at a time (what the lead's does with the DB). */
async function startServer(tls?: { cert: string; key: string }) {
  const attempts: PublishAttempt[] = [];
  const live = new Set<string>();
  const publishes: LivePublish[] = [];
  let onPublish: (p: LivePublish) => void = () => {};
  const server = createRtmpServer({
    log,
    tls,
    limits: LIMITS,
    async authorize(attempt) {
      attempts.push(attempt);
      if (!attempt.streamKey.startsWith('good')) return { accept: false, reason: 'unknown key' };
      if (live.has(attempt.streamKey)) return { accept: false, reason: 'already live' };
      live.add(attempt.streamKey);
      return { accept: true };
    },
    onPublish(p) {
      publishes.push(p);
      p.on('end', () => live.delete(p.attempt.streamKey));
      onPublish(p);
    },
  });
  const port = await server.listen(0, '127.0.0.1');
  const nextPublish = () => new Promise<LivePublish>((r) => (onPublish = r));
  return { server, port, attempts, publishes, nextPublish };
}

function ffmpegPublish(
  url: string,
  seconds: number,
  video = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '60'],
) {
  const child = spawn(
    'ffmpeg',
    [
      '-nostdin',
      '-loglevel',
      'error',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x360:rate=30',
      '-f',
      'lavfi',
      '-i',
      'sine',
      '-t',
      String(seconds),
      ...video,
      '-c:a',
      'aac',
      '-f',
      'flv',
      url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; stderr: string }>((r) =>
    child.on('close', (code) => r({ code, stderr })),
  );
  return { child, exit };
}

/** Decodes an FLV stream with ffprobe and counts its frames. */
function probe(flv: Readable): Promise<{ video: number; audio: number; codecs: string[] }> {
  const child = spawn('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-show_entries',
    'stream=codec_name,codec_type,nb_read_frames',
    '-of',
    'json',
    '-f',
    'flv',
    '-i',
    'pipe:0',
  ]);
  flv.pipe(child.stdin);
  child.stdin.on('error', () => {});
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffprobe exit ${code}`));
      const streams = JSON.parse(out).streams as {
        codec_name: string;
        codec_type: string;
        nb_read_frames: string;
      }[];
      const count = (t: string) => Number(streams.find((s) => s.codec_type === t)?.nb_read_frames ?? 0);
      resolve({ video: count('video'), audio: count('audio'), codecs: streams.map((s) => s.codec_name) });
    });
  });
}

/** A raw TCP client: resolves with what it received and how long the server took to close it. */
function rawClient(port: number, script: (socket: net.Socket) => void) {
  const socket = net.connect(port, '127.0.0.1');
  const started = Date.now();
  let received = Buffer.alloc(0);
  socket.on('data', (d) => (received = Buffer.concat([received, d])));
  socket.on('error', () => {});
  socket.on('connect', () => script(socket));
  return new Promise<{ closedAfterMs: number; received: Buffer }>((r) =>
    socket.on('close', () => r({ closedAfterMs: Date.now() - started, received })),
  );
}

const C0C1 = () => Buffer.concat([Buffer.from([3]), Buffer.alloc(1536, 7)]);
/** Plain handshake, then `after` once S0S1S2 is in. */
function handshake(socket: net.Socket, after: () => void) {
  let got = 0;
  socket.write(C0C1());
  const onData = (d: Buffer) => {
    got += d.length;
    if (got >= 3073) {
      socket.off('data', onData);
      socket.write(Buffer.alloc(1536, 9));
      after();
    }
  };
  socket.on('data', onData);
}

const command = (csid: number, streamId: number, ...values: Parameters<typeof encodeAmf0>) =>
  writeChunks({ csid, type: MSG.commandAmf0, streamId, timestamp: 0, payload: encodeAmf0(...values) }, 128);

describe('RTMP receiver with real ffmpeg', { timeout: 120_000 }, () => {
  const servers: RtmpServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  it('takes a publish, describes it, serves decodable FLV twice, and shrugs off hostile clients', async () => {
    const { server, port, attempts, nextPublish } = await startServer();
    servers.push(server);
    const publishing = nextPublish();
    const ffmpeg = ffmpegPublish(`rtmp://127.0.0.1:${port}/live/good-key-1`, 6);
    const publish = await publishing;
    assert.deepEqual(publish.attempt, {
      app: 'live',
      streamKey: 'good-key-1',
      remoteAddress: '127.0.0.1',
      secure: false,
    });

    // Hostile clients on the same port while ffmpeg publishes.
    const garbage = rawClient(port, (s) => s.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
    const stalled = rawClient(port, (s) => s.write(C0C1().subarray(0, 700)));
    const hugeMessage = rawClient(port, (s) =>
      handshake(s, () => s.write(Buffer.from([0x06, 0, 0, 0, 0xff, 0xff, 0xff, MSG.video, 1, 0, 0, 0]))),
    );
    const hugeChunk = rawClient(port, (s) =>
      handshake(s, () => {
        const p = Buffer.alloc(4);
        p.writeUInt32BE(0x7fffffff);
        s.write(writeChunks({ csid: 2, type: MSG.setChunkSize, streamId: 0, timestamp: 0, payload: p }, 128));
        // Then a 9 MB "frame": over the 8 MiB message limit.
        s.write(Buffer.from([0x06, 0, 0, 0, 0x8c, 0xa0, 0x00, MSG.video, 1, 0, 0, 0]));
        s.write(Buffer.alloc(64 * 1024));
      }),
    );
    const slowloris = rawClient(port, (s) => {
      const bytes = C0C1();
      let i = 0;
      const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write(bytes.subarray(i, ++i))), 100);
      s.on('close', () => clearInterval(t));
    });
    const slowAfterHandshake = rawClient(port, (s) =>
      handshake(s, () => {
        const connect = command(3, 0, 'connect', 1, amfObject({ app: 'live' }));
        let i = 0;
        const t = setInterval(
          () => (s.destroyed ? clearInterval(t) : s.write(connect.subarray(i, ++i))),
          100,
        );
        s.on('close', () => clearInterval(t));
      }),
    );

    const info = await publish.ready;
    assert.equal(info.videoCodec, 'h264');
    assert.equal(info.audioCodec, 'aac');
    assert.equal(info.width, 640);
    assert.equal(info.height, 360);
    assert.equal(info.fps, 30);
    assert.match(info.videoCodecString ?? '', /^avc1\.[0-9a-f]{6}$/);
    assert.equal(info.audioCodecString, 'mp4a.40.2');
    assert.match(info.encoder ?? '', /^Lavf/);

    // A second publisher on the live key is refused.
    const second = ffmpegPublish(`rtmp://127.0.0.1:${port}/live/good-key-1`, 2);
    const secondExit = await second.exit;
    assert.notEqual(secondExit.code, 0);
    assert.match(secondExit.stderr, /Publishing refused/);
    assert.equal(attempts.filter((a) => a.streamKey === 'good-key-1').length, 2);

    const first = probe(publish.openFlv());
    await new Promise((r) => setTimeout(r, 2500)); // longer than one GOP (2 s): the first reader has started
    const secondFlv = probe(publish.openFlv()); // ends the first one
    const firstResult = await first;
    assert.ok(firstResult.video > 0, `first FLV decoded ${firstResult.video} video frames`);

    const hostile = await Promise.all([
      garbage,
      stalled,
      hugeMessage,
      hugeChunk,
      slowloris,
      slowAfterHandshake,
    ]);
    const [g, st, hm, hc, sl, sah] = hostile.map((h) => h.closedAfterMs);
    assert.ok((g as number) < 500, `garbage closed after ${g} ms`);
    assert.ok((st as number) >= 900 && (st as number) < 2500, `mid-handshake stall closed after ${st} ms`);
    assert.ok((hm as number) < 1000, `huge message length closed after ${hm} ms`);
    assert.ok((hc as number) < 1000, `huge chunk + message closed after ${hc} ms`);
    assert.ok((sl as number) >= 900 && (sl as number) < 2500, `slowloris closed after ${sl} ms`);
    assert.ok((sah as number) >= 1900 && (sah as number) < 3500, `slow connect closed after ${sah} ms`);

    const ended = new Promise((r) => publish.once('end', r));
    const exit = await ffmpeg.exit;
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(await ended, 'client-closed');
    const secondResult = await secondFlv;
    assert.ok(secondResult.video >= 30, `second FLV decoded ${secondResult.video} video frames`);
    assert.ok(secondResult.audio > 0);
    assert.deepEqual(secondResult.codecs.sort(), ['aac', 'h264']);
    // 6 s at 30 fps: both readers together saw no more than the publish sent, the second most of its end.
    assert.ok(firstResult.video + secondResult.video <= 180);
    const stats = publish.stats();
    assert.ok(stats.bytesIn > 100_000);
    assert.ok(stats.keyframeIntervalMs !== null && stats.keyframeIntervalMs <= 2000);
    assert.ok(stats.fps !== null && Math.abs(stats.fps - 30) < 1.5, `fps ${stats.fps}`);
  });

  it('refuses a wrong key before answering the publish, and says nothing about the key', async () => {
    const { server, port, attempts, publishes } = await startServer();
    servers.push(server);
    const ffmpeg = ffmpegPublish(`rtmp://127.0.0.1:${port}/live/wrong-key-XYZ`, 2);
    const exit = await ffmpeg.exit;
    assert.notEqual(exit.code, 0);
    assert.match(exit.stderr, /Server error: Publishing refused/);
    assert.equal(attempts.at(-1)?.streamKey, 'wrong-key-XYZ');

    // The same through a raw client, keeping every byte the server sent.
    const raw = await rawClient(port, (s) =>
      handshake(s, () => {
        s.write(command(3, 0, 'connect', 1, amfObject({ app: 'live' })));
        s.write(command(3, 0, 'createStream', 2, null));
        s.write(command(5, 1, 'publish', 0, null, 'secret-key-ABC?x=1', 'live'));
      }),
    );
    assert.equal(attempts.at(-1)?.streamKey, 'secret-key-ABC');
    assert.ok(raw.received.includes('NetStream.Publish.BadName'));
    assert.ok(!raw.received.includes('secret'), 'no trace of the key');
    assert.ok(!raw.received.includes('NetStream.Publish.Start'));
    assert.equal(publishes.length, 0);
  });

  it('reports another codec by name (flv1) so it can be refused with a reason', async () => {
    const { server, port, nextPublish } = await startServer();
    servers.push(server);
    const publishing = nextPublish();
    const ffmpeg = ffmpegPublish(`rtmp://127.0.0.1:${port}/live/good-flv1`, 2, ['-c:v', 'flv1']);
    const publish = await publishing;
    const info = await publish.ready;
    assert.equal(info.videoCodec, 'flv1');
    assert.equal(info.videoCodecString, null);
    assert.equal(info.audioCodec, 'aac');
    const ended = new Promise((r) => publish.once('end', r));
    publish.close('codec not supported');
    assert.equal(await ended, 'kicked');
    await ffmpeg.exit;
  });

  it("answers ffmpeg's digest handshake in kind (ffmpeg checks S1 and S2 when it plays)", async () => {
    const { server, port } = await startServer();
    servers.push(server);
    const child: ChildProcess = spawn('ffmpeg', [
      '-nostdin',
      '-loglevel',
      'debug',
      '-i',
      `rtmp://127.0.0.1:${port}/live/x`,
      '-t',
      '1',
      '-f',
      'null',
      '-',
    ]);
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    await new Promise((r) => child.on('close', r));
    // A non-zero server version makes ffmpeg check the digests; it logs the version it got.
    assert.match(stderr, /Server version 5\.0\.3\.1/);
    assert.doesNotMatch(stderr, /Server response validating failed|Signature mismatch/);
    assert.match(stderr, /Playback is not offered here/);
  });

  it('takes an RTMPS publish with a self-signed certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtmps-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const tls = {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
    const { server, port, nextPublish } = await startServer(tls);
    servers.push(server);
    const publishing = nextPublish();
    const ffmpeg = ffmpegPublish(`rtmps://127.0.0.1:${port}/live/good-tls`, 3);
    const publish = await publishing;
    assert.equal(publish.attempt.secure, true);
    const info = await publish.ready;
    assert.equal(info.width, 640);
    const result = await probe(publish.openFlv());
    assert.ok(result.video > 0);
    assert.equal((await ffmpeg.exit).code, 0);
    // A plain-TCP client on the TLS port is dropped within the handshake timeout.
    const plain = await rawClient(port, (s) => s.write(C0C1()));
    assert.ok(plain.closedAfterMs < 2500);
  });
});
