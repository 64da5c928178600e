import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlvFeed, type FlvPrelude, TAG } from './flv-writer.ts';

const prelude: FlvPrelude = {
  hasAudio: true,
  hasVideo: true,
  metadata: Buffer.from('meta'),
  videoSequenceHeader: Buffer.from([0x17, 0, 0, 0, 0, 1]),
  audioSequenceHeader: Buffer.from([0xaf, 0, 0x12, 0x10]),
};

function tags(flv: Buffer): { type: number; ts: number; size: number }[] {
  assert.equal(flv.toString('latin1', 0, 3), 'FLV');
  const out = [];
  let pos = 13;
  while (pos < flv.length) {
    const size = flv.readUIntBE(pos + 1, 3);
    out.push({
      type: flv[pos] as number,
      ts: flv.readUIntBE(pos + 4, 3) | ((flv[pos + 7] as number) << 24),
      size,
    });
    assert.equal(flv.readUInt32BE(pos + 11 + size), 11 + size, 'PreviousTagSize');
    pos += 11 + size + 4;
  }
  return out;
}

const frame = (ts: number, keyframe: boolean, size = 1000) => ({
  type: TAG.video,
  timestamp: ts,
  data: Buffer.alloc(size, keyframe ? 0x17 : 0x27),
  keyframe,
  sequenceHeader: false,
});

async function readAll(feed: FlvFeed): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of feed.readable) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('FLV feed', () => {
  it('starts with header, metadata and sequence headers, then the next keyframe', async () => {
    const feed = new FlvFeed(() => prelude, 1 << 20);
    feed.offer(frame(0, false), false); // before a keyframe: skipped
    feed.offer(
      {
        type: TAG.audio,
        timestamp: 10,
        data: Buffer.from([0xaf, 1, 1]),
        keyframe: false,
        sequenceHeader: false,
      },
      false,
    );
    feed.offer(frame(2000, true), false);
    feed.offer(frame(2033, false), false);
    feed.finish();
    const t = tags(await readAll(feed));
    assert.deepEqual(
      t.map((x) => [x.type, x.ts]),
      [
        [TAG.script, 0],
        [TAG.video, 2000],
        [TAG.audio, 2000],
        [TAG.video, 2000],
        [TAG.video, 2033],
      ],
    );
  });

  it('writes 32-bit timestamps with the extension byte', async () => {
    const feed = new FlvFeed(() => prelude, 1 << 20);
    feed.offer(frame(0x01234567, true), false);
    feed.finish();
    assert.equal(tags(await readAll(feed)).at(-1)?.ts, 0x01234567);
  });

  it('a stalled reader loses frames up to the next keyframe instead of growing memory', async () => {
    const limit = 64 * 1024;
    const feed = new FlvFeed(() => prelude, limit);
    // Nobody reads: 1000 frames of 10 kB, a keyframe every 30.
    for (let i = 0; i < 1000; i++) {
      feed.offer(frame(i * 33, i % 30 === 0, 10_000), false);
      assert.ok(feed.queuedByteCount <= limit + 20_000);
    }
    assert.ok(feed.stats.drops > 0);
    // The reader comes back: it gets a well-formed FLV whose every jump starts at a keyframe.
    const parts: Buffer[] = [];
    feed.readable.on('data', (c: Buffer) => parts.push(c));
    for (let i = 1000; i < 1100; i++) {
      feed.offer(frame(i * 33, i % 30 === 0, 10_000), false);
      await new Promise((r) => setImmediate(r));
    }
    feed.finish();
    await new Promise((r) => feed.readable.on('end', r));
    const video = tags(Buffer.concat(parts)).filter((x) => x.type === TAG.video && x.size === 10_000);
    assert.ok(video.length > 30);
    const isKeyframeTime = (ts: number) => (ts / 33) % 30 === 0;
    assert.ok(isKeyframeTime(video[0]?.ts as number), 'starts at a keyframe');
    for (let i = 1; i < video.length; i++) {
      const gap = (video[i]?.ts as number) - (video[i - 1]?.ts as number);
      if (gap !== 33) assert.ok(isKeyframeTime(video[i]?.ts as number), `resumed at ${video[i]?.ts}`);
    }
  });

  it('abort ends the stream at once', async () => {
    const feed = new FlvFeed(() => prelude, 1 << 20);
    feed.offer(frame(0, true), false);
    feed.abort();
    feed.offer(frame(33, false), false);
    const data = await readAll(feed); // ends: nothing was asked for before the abort, so nothing came
    assert.equal(data.length, 0);
  });
});
