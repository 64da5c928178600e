import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { before, describe, it } from 'node:test';
import { recordLiveFmp4 } from '../../../test/fixtures/live-fmp4.ts';
import { AppError } from '../../shared/errors.ts';
import { type Fmp4Fragment, type Fmp4Init, type Fmp4Item, readFmp4 } from './fmp4-reader.ts';

async function readAll(chunks: Iterable<Buffer> | AsyncIterable<Buffer>, maxBoxBytes?: number) {
  const items: Fmp4Item[] = [];
  for await (const item of readFmp4(Readable.from(chunks), maxBoxBytes ? { maxBoxBytes } : {}))
    items.push(item);
  const inits = items.flatMap((i) => ('init' in i ? [i.init] : []));
  const fragments = items.flatMap((i) => ('fragment' in i ? [i.fragment] : []));
  return { inits, fragments };
}

function* split(buf: Buffer, sizes: () => number): Generator<Buffer> {
  for (let at = 0; at < buf.length; ) {
    const n = Math.max(1, sizes());
    yield buf.subarray(at, at + n);
    at += n;
  }
}

function box(type: string, body: Buffer, size?: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(size ?? body.length + 8, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

async function rejection(chunks: Buffer[], maxBoxBytes?: number): Promise<AppError> {
  try {
    await readAll(chunks, maxBoxBytes);
  } catch (e) {
    assert.ok(e instanceof AppError, `not an AppError: ${e}`);
    assert.equal(e.code, 'FH_ERR_LIVE_MEDIA_INVALID');
    return e;
  }
  assert.fail('the stream was read without an error');
}

describe('readFmp4 on real ffmpeg output', () => {
  let stream: Buffer;
  let whole: { inits: Fmp4Init[]; fragments: Fmp4Fragment[] };
  const started = Date.now();

  before(async () => {
    stream = await recordLiveFmp4(4, 30);
    whole = await readAll([stream]);
  });

  it('reads the init segment: tracks, timescales, codec strings', () => {
    assert.equal(whole.inits.length, 1);
    const init = whole.inits[0] as Fmp4Init;
    assert.deepEqual(
      init.tracks.map((t) => t.kind),
      ['video', 'audio'],
    );
    const [video, audio] = init.tracks;
    assert.match(video?.codec ?? '', /^avc1\.[0-9a-f]{6}$/);
    assert.equal(audio?.codec, 'mp4a.40.2');
    assert.ok((video?.timescale ?? 0) > 0 && audio?.timescale === 44100);
    assert.equal(init.bytes.toString('latin1', 4, 8), 'ftyp');
  });

  it('reads each fragment: 10-frame parts at 30 fps, keyframe every 2 s, contiguous times, prft clock', () => {
    const f = whole.fragments;
    assert.ok(f.length >= 11, `${f.length} fragments`);
    let expected = 0;
    for (const [i, fragment] of f.entries()) {
      assert.ok(
        Math.abs(fragment.startTime - expected) < 1e-6,
        `fragment ${i} starts at ${fragment.startTime}`,
      );
      expected = fragment.startTime + fragment.duration;
      // 2 s GOP of 1/3 s fragments: a keyframe leads every sixth.
      assert.equal(fragment.startsWithKeyframe, i % 6 === 0, `fragment ${i} keyframe flag`);
      if (i < f.length - 1)
        assert.ok(Math.abs(fragment.duration - 1 / 3) < 1e-4, `fragment ${i}: ${fragment.duration}`);
      assert.ok(fragment.wallClock !== null && Math.abs(fragment.wallClock - started) < 120_000);
      assert.equal(fragment.bytes.toString('latin1', 4, 8), 'prft');
    }
    assert.ok(Math.abs(expected - 4) < 0.05, `total ${expected}`);
    const bytes = whole.inits[0]?.bytes.length ?? 0;
    const all = f.reduce((n, x) => n + x.bytes.length, bytes);
    // Everything but ffmpeg's trailing mfra index is in the init or a fragment.
    assert.ok(stream.length - all < 1024, `${stream.length - all} bytes unaccounted`);
  });

  it('gives the same result when every chunk is one byte', async () => {
    // The init and the first 4 fragments (ffmpeg writes nothing between them), one byte at a time.
    const expected = whole.fragments.slice(0, 4);
    const cut = expected.reduce((n, x) => n + x.bytes.length, whole.inits[0]?.bytes.length ?? 0);
    const one = await readAll(split(stream.subarray(0, cut), () => 1));
    assert.ok(one.inits[0]?.bytes.equals(whole.inits[0]?.bytes as Buffer));
    assert.equal(one.fragments.length, 4);
    assert.ok(one.fragments.every((x, i) => x.bytes.equals(expected[i]?.bytes as Buffer)));
    assert.deepEqual(
      one.fragments.map((x) => [x.startTime, x.duration, x.startsWithKeyframe, x.wallClock]),
      expected.map((x) => [x.startTime, x.duration, x.startsWithKeyframe, x.wallClock]),
    );
  });

  it('gives the same result for random chunk splits', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 20; round++) {
      const r = await readAll(split(stream, () => random() % 40_000));
      assert.equal(r.fragments.length, whole.fragments.length);
      assert.deepEqual(
        r.fragments.map((x) => [x.startTime, x.duration, x.startsWithKeyframe, x.wallClock]),
        whole.fragments.map((x) => [x.startTime, x.duration, x.startsWithKeyframe, x.wallClock]),
      );
      assert.ok(r.fragments.every((x, i) => x.bytes.equals(whole.fragments[i]?.bytes as Buffer)));
    }
  });

  it('ends with a clear error when the stream stops inside a box', async () => {
    const e = await rejection([stream.subarray(0, stream.length - 5000)]);
    assert.match(e.message, /ended inside a box/);
  });
});

describe('readFmp4 on hostile input', () => {
  const ftyp = box('ftyp', Buffer.from('isom\0\0\0\0isom', 'latin1'));

  it('refuses a box larger than the limit before buffering it', async () => {
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(0xfffffff0, 0);
    huge.write('mdat', 4, 'latin1');
    const e = await rejection([ftyp, huge]);
    assert.match(e.message, /exceeds the .* limit/);
    const large = Buffer.alloc(16);
    large.writeUInt32BE(1, 0);
    large.write('moov', 4, 'latin1');
    large.writeBigUInt64BE(2n ** 62n, 8);
    assert.match((await rejection([ftyp, large])).message, /exceeds/);
  });

  it('refuses size 0, sizes below the header and non-text box types', async () => {
    assert.match((await rejection([ftyp, box('moov', Buffer.alloc(0), 0)])).message, /size 0/);
    assert.match(
      (await rejection([ftyp, box('moov', Buffer.alloc(0), 3)])).message,
      /smaller than its header/,
    );
    assert.match(
      (await rejection([Buffer.from([0, 0, 0, 16, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0])])).message,
      /not text/,
    );
  });

  it('refuses a truncated box, fragments before the init, a moov that lies about its children', async () => {
    assert.match(
      (await rejection([ftyp, box('moov', Buffer.alloc(100)).subarray(0, 50)])).message,
      /ended inside/,
    );
    assert.match((await rejection([box('moof', Buffer.alloc(8))])).message, /before the init/);
    const lying = box('moov', box('trak', Buffer.alloc(4), 4000));
    assert.match((await rejection([ftyp, lying])).message, /malformed moov/);
  });

  it('reads deep nesting within the size limit without recursion trouble', async () => {
    let nested: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 10_000; i++) nested = box('trak', nested);
    const e = await rejection([ftyp, box('moov', nested)], 1024 * 1024);
    assert.match(e.message, /malformed moov/);
  });

  it('survives random garbage after a valid init, every time with an AppError', async () => {
    const real = await recordLiveFmp4(4, 30);
    let seed = 99;
    for (let round = 0; round < 200; round++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const copy = Buffer.from(real.subarray(0, 60_000));
      // Flip a few bytes anywhere past the ftyp, then read: a clean end or an AppError, never another throw.
      for (let k = 0; k < 4; k++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        copy[24 + (seed % (copy.length - 24))] = seed & 0xff;
      }
      try {
        await readAll([copy], 1024 * 1024);
      } catch (e) {
        assert.ok(e instanceof AppError && e.code === 'FH_ERR_LIVE_MEDIA_INVALID', String(e));
      }
    }
  });
});
