// Fuzz: random bytes and mutations of a recorded real ffmpeg publish through the session
// parser. No throw escapes, memory stays bounded, every session ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { RtmpSession, type SessionTransport } from './rtmp-session.ts';
import { DEFAULT_RTMP_LIMITS, type LivePublish } from './types.ts';

const log = pino({ level: 'silent' });

/** Records the bytes a real ffmpeg sends while it publishes 1 s of small video through a real session. */
async function recordPublish(): Promise<Buffer> {
  const received: Buffer[] = [];
  const server = net.createServer((socket) => {
    const session = new RtmpSession({
      transport: {
        write: (b) => socket.write(b),
        end: () => socket.end(),
        destroy: () => socket.destroy(),
        writableLength: () => socket.writableLength,
      },
      remoteAddress: 'test',
      secure: false,
      limits: DEFAULT_RTMP_LIMITS,
      authorize: async () => ({ accept: true }),
      onPublish: (p) => p.openFlv().resume(),
      log,
    });
    socket.on('data', (d: Buffer) => {
      received.push(d);
      session.receive(d);
    });
    socket.on('close', () => session.transportClosed());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const ff = spawn('ffmpeg', [
    '-nostdin',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=160x90:rate=15',
    '-f',
    'lavfi',
    '-i',
    'sine',
    '-t',
    '1',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '5',
    '-c:a',
    'aac',
    '-f',
    'flv',
    `rtmp://127.0.0.1:${port}/live/fuzz`,
  ]);
  const code = await new Promise((r) => ff.on('close', r));
  assert.equal(code, 0);
  server.close();
  return Buffer.concat(received);
}

/** Deterministic PRNG so a failure can be replayed from its seed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function mutate(base: Buffer, rand: () => number): Buffer {
  const out = Buffer.from(base.subarray(0, Math.floor(base.length * (0.2 + rand() * 0.8))));
  const edits = 1 + Math.floor(rand() * 8);
  for (let e = 0; e < edits; e++) {
    const at = 3073 + Math.floor(rand() * (out.length - 3073)); // past C0+C1+C2 mostly, where the parsing is
    const kind = rand();
    if (kind < 0.5) out[at] = Math.floor(rand() * 256);
    else if (kind < 0.7) out.fill(0xff, at, at + Math.floor(rand() * 8));
    else if (kind < 0.85) out.writeUInt32BE(Math.floor(rand() * 0x100000000), Math.min(at, out.length - 4));
    else out.copyWithin(at, Math.floor(rand() * out.length), Math.floor(rand() * out.length));
  }
  return out;
}

/** Runs one session over `bytes` (fed in random pieces); resolves when it has ended. */
async function runSession(
  bytes: Buffer,
  rand: () => number,
): Promise<{ written: number; publishes: number }> {
  let written = 0;
  let publishes = 0;
  const transport: SessionTransport = {
    write: (b) => (written += b.length),
    end: () => {},
    destroy: () => {},
    writableLength: () => 0,
  };
  const opened: LivePublish[] = [];
  const session = new RtmpSession({
    transport,
    remoteAddress: 'fuzz',
    secure: false,
    limits: { ...DEFAULT_RTMP_LIMITS, maxMessageBytes: 1 << 20 },
    authorize: async () => ({ accept: true }),
    onPublish: (p) => {
      publishes++;
      opened.push(p);
      p.openFlv().resume();
    },
    log,
  });
  let pos = 0;
  while (pos < bytes.length && !session.closed) {
    const n = 1 + Math.floor(rand() * 9000);
    session.receive(bytes.subarray(pos, pos + n));
    pos += n;
    // Let authorize's promise settle now and then, so media reaches the publish.
    if (rand() < 0.2) await Promise.resolve();
  }
  await new Promise((r) => setImmediate(r));
  session.transportClosed();
  assert.equal(session.closed, true);
  return { written, publishes };
}

describe('RTMP session fuzz', { timeout: 120_000 }, () => {
  it('survives thousands of mutated and random sessions', async (t) => {
    const recorded = await recordPublish();
    assert.ok(recorded.length > 20_000, `recorded ${recorded.length} bytes`);
    // The recording itself publishes.
    const clean = await runSession(recorded, rng(1));
    assert.equal(clean.publishes, 1);

    const heapBefore = process.memoryUsage().heapUsed;
    let publishes = 0;
    const started = Date.now();
    for (let i = 0; i < 10_000; i++) {
      const rand = rng(1000 + i);
      const bytes = i % 4 === 3 ? randomStream(rand) : mutate(recorded, rand);
      try {
        publishes += (await runSession(bytes, rand)).publishes;
      } catch (err) {
        assert.fail(`seed ${1000 + i}: ${(err as Error).stack}`);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(
      `${recorded.length} bytes recorded; 10000 sessions in ${seconds} s; ${publishes} reached publishing`,
    );
    (globalThis as { gc?: () => void }).gc?.();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(publishes > 100, `${publishes} mutated sessions got as far as publishing`);
    assert.ok(heapGrowth < 200 * 1024 * 1024, `heap grew by ${heapGrowth}`);
    assert.ok(seconds < 60, `took ${seconds} s`);
  });
});

function randomStream(rand: () => number): Buffer {
  // A valid C0, then noise: the handshake passes and the chunk parser gets the rest.
  const b = Buffer.alloc(3073 + Math.floor(rand() * 20_000));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
  b[0] = 3;
  return b;
}
