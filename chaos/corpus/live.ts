/**
 * Broken live ingest, sent while a real ffmpeg publishes a good RTMP stream: garbage and stalled
 * RTMP handshakes, garbage after a valid handshake, a chunk claiming a 16 MB message, a wrong
 * key, a codec the node does not take, a truncated FLV published by real ffmpeg, and garbage on
 * an SRT port. Each says what the node did; the good stream must still be on air after each.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { publishRtmp, publishSrt } from '../../test/helpers/live.ts';
import type { CorpusEntry, Harness, LiveHarness } from './harness.ts';
import { cut } from './make.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connects, lets `act` write, and answers `closed` if the node hangs up within `ms`, else `open`. */
function rtmpSocket(
  port: number,
  ms: number,
  act: (s: net.Socket, read: () => Promise<Buffer>) => Promise<void>,
) {
  return new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let waiter: (() => void) | undefined;
    s.on('data', (d) => {
      chunks.push(d);
      waiter?.();
    });
    s.on('error', () => {});
    s.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve('closed');
    });
    const timer = setTimeout(() => {
      if (!closed) {
        s.destroy();
        resolve('open');
      }
    }, ms);
    // Reads until S0+S1+S2 (3073 bytes) are in.
    const read = async () => {
      const deadline = Date.now() + 5000;
      while (Buffer.concat(chunks).length < 3073 && Date.now() < deadline && !closed)
        await new Promise<void>((r) => {
          waiter = r;
          setTimeout(r, 200);
        });
      return Buffer.concat(chunks);
    };
    s.once('connect', () => void act(s, read).catch(() => {}));
  });
}

/** C0+C1, S0+S1+S2 read, C2 sent: a handshake as the spec has it. */
async function handshake(s: net.Socket, read: () => Promise<Buffer>): Promise<void> {
  const c1 = Buffer.concat([Buffer.alloc(8), randomBytes(1528)]);
  s.write(Buffer.concat([Buffer.from([3]), c1]));
  const got = await read();
  s.write(got.subarray(1, 1537)); // C2 echoes S1
}

const onAir = async (l: LiveHarness) => (await l.getStream(l.goodStreamId)).status === 'active';

function liveEntry(
  id: string,
  what: string,
  expect: string,
  run: (h: Harness, l: LiveHarness) => Promise<string>,
): CorpusEntry {
  return {
    id,
    family: 'live',
    what,
    expect,
    live: true,
    async run(h) {
      const l = h.live;
      if (!l) return 'no live node';
      const got = await run(h, l);
      return (await onAir(l)) ? got : `${got}, and the good stream went off air`;
    },
  };
}

export const liveEntries: CorpusEntry[] = [
  liveEntry('rtmp-garbage-handshake', '4 KB of 0x41 instead of an RTMP handshake', 'closed', (_h, l) =>
    rtmpSocket(l.rtmpPort, 15_000, async (s) => {
      s.write(Buffer.alloc(4096, 0x41));
    }),
  ),
  liveEntry('rtmp-stalled-handshake', 'C0 alone, then silence', 'closed', (_h, l) =>
    rtmpSocket(l.rtmpPort, 20_000, async (s) => {
      s.write(Buffer.from([3]));
    }),
  ),
  liveEntry(
    'rtmp-garbage-after-handshake',
    'a valid handshake, then 8 KB of random chunks',
    'closed',
    (_h, l) =>
      rtmpSocket(l.rtmpPort, 20_000, async (s, read) => {
        await handshake(s, read);
        s.write(randomBytes(8192));
      }),
  ),
  liveEntry(
    'rtmp-16mb-message',
    'a valid handshake, then a chunk header claiming a 16 MB command message, then silence',
    'closed',
    (_h, l) =>
      rtmpSocket(l.rtmpPort, 25_000, async (s, read) => {
        await handshake(s, read);
        // fmt 0, csid 3; timestamp 0; length 0xFFFFFF; type 20 (AMF0 command); stream 0
        s.write(Buffer.from([0x03, 0, 0, 0, 0xff, 0xff, 0xff, 20, 0, 0, 0, 0, 0x02, 0x00, 0x07]));
      }),
  ),
  liveEntry('rtmp-wrong-key', 'real ffmpeg publishing with a key nobody has', 'refused', async (_h, l) => {
    const p = publishRtmp(`${l.rtmp}/not-a-key-${randomBytes(6).toString('hex')}`, {
      seconds: 5,
      size: '320x180',
    });
    const exit = await Promise.race([p.exited, wait(20_000).then(() => null)]);
    await p.stop();
    return exit && exit.code !== 0 ? 'refused' : 'published';
  }),
  liveEntry(
    'rtmp-unsupported-codec',
    'real ffmpeg publishing Sorenson H.263 (flv1) video',
    'refused FH_ERR_LIVE_UNSUPPORTED_MEDIA',
    async (_h, l) => {
      const stream = await l.createStream({ reconnect_window: 1, record: false });
      const p = publishRtmp(`${l.rtmp}/${stream.stream_key}`, {
        seconds: 5,
        size: '320x180',
        video: ['-c:v', 'flv1'],
      });
      await Promise.race([p.exited, wait(20_000)]);
      await p.stop();
      for (let i = 0; i < 40; i++) {
        const s = await l.getStream(stream.id);
        if (s.last_error) return `refused ${s.last_error.code}`;
        await wait(250);
      }
      return `no error recorded (${(await l.getStream(stream.id)).status})`;
    },
  ),
  liveEntry(
    'rtmp-truncated-flv',
    'real ffmpeg publishing an FLV cut in half (ends mid-tag) with the right key',
    'on air, then idle',
    async (h, l) => {
      const stream = await l.createStream({ reconnect_window: 1, record: false });
      const flv = join(h.dir, 'cut.flv');
      await writeFile(flv, await cut(await h.make('good.flv'), 0.5));
      const child = spawn(
        'ffmpeg',
        [
          '-nostdin',
          '-loglevel',
          'error',
          '-re',
          '-i',
          flv,
          '-c',
          'copy',
          '-f',
          'flv',
          `${l.rtmp}/${stream.stream_key}`,
        ],
        { stdio: 'ignore' },
      );
      let wasActive = false;
      const deadline = Date.now() + 40_000;
      let status = 'unknown';
      while (Date.now() < deadline) {
        status = (await l.getStream(stream.id)).status;
        if (status === 'active') wasActive = true;
        if (wasActive && status === 'idle') break;
        await wait(300);
      }
      child.kill('SIGKILL');
      return `${wasActive ? 'on air, then ' : 'never on air, '}${status}`;
    },
  ),
  liveEntry(
    'srt-garbage',
    '300 datagrams of random bytes and a fake SRT handshake to a stream’s SRT port, then a real SRT publish',
    'ignored, then on air',
    async (_h, l) => {
      const stream = await l.createStream({ reconnect_window: 1, record: false });
      if (!stream.ingest.srt) return 'no SRT address';
      const url = new URL(stream.ingest.srt.replace(/^srt:/, 'http:'));
      const port = Number(url.port);
      const sock = createSocket('udp4');
      for (let i = 0; i < 300; i++) {
        const junk =
          i % 10 === 0
            ? Buffer.concat([Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 4]), randomBytes(56)])
            : randomBytes(1 + (i % 1400));
        await new Promise<void>((r) => sock.send(junk, port, '127.0.0.1', () => r()));
      }
      sock.close();
      await wait(1000);
      const after = (await l.getStream(stream.id)).status;
      if (after !== 'idle') return `not idle after garbage (${after})`;
      const p = publishSrt(stream.ingest.srt, { seconds: 20, size: '320x180' });
      let status = 'idle';
      for (let i = 0; i < 80 && status !== 'active'; i++) {
        await wait(250);
        status = (await l.getStream(stream.id)).status;
      }
      await p.stop();
      return status === 'active' ? 'ignored, then on air' : `ignored, but the real publish stayed ${status}`;
    },
  ),
];
