import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkReader, MSG, type RtmpMessage, RtmpProtocolError, writeChunks } from './chunk-stream.ts';

function collect(maxMessageBytes = 1 << 20) {
  const messages: RtmpMessage[] = [];
  const reader = new ChunkReader({ maxMessageBytes, onMessage: (m) => messages.push(m) });
  return { reader, messages };
}

function payload(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function setChunkSize(n: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(n);
  return writeChunks({ csid: 2, type: MSG.setChunkSize, streamId: 0, timestamp: 0, payload: p }, 128);
}

/** A session-like byte stream: interleaved csids, a chunk size change, an extended timestamp, compressed headers. */
function sampleStream(): { bytes: Buffer; expected: Omit<RtmpMessage, 'csid'>[] } {
  const expected: Omit<RtmpMessage, 'csid'>[] = [];
  const parts: Buffer[] = [];
  const add = (csid: number, m: Omit<RtmpMessage, 'csid'>, chunkSize: number) => {
    parts.push(writeChunks({ ...m, csid }, chunkSize));
    expected.push(m);
  };
  add(3, { type: MSG.commandAmf0, streamId: 0, timestamp: 0, payload: payload(300, 1) }, 128);
  parts.push(setChunkSize(4096));
  expected.push({ type: MSG.setChunkSize, streamId: 0, timestamp: 0, payload: Buffer.from([0, 0, 0x10, 0]) });
  add(6, { type: MSG.video, streamId: 1, timestamp: 33, payload: payload(10_000, 2) }, 4096);
  add(4, { type: MSG.audio, streamId: 1, timestamp: 40, payload: payload(5, 3) }, 4096);
  // Past 0xFFFFFF: the extended timestamp, repeated in each type-3 continuation.
  add(6, { type: MSG.video, streamId: 1, timestamp: 0x01000010, payload: payload(9000, 4) }, 4096);
  add(4, { type: MSG.audio, streamId: 1, timestamp: 0, payload: Buffer.alloc(0) }, 4096);
  // Compressed headers by hand on csid 4: type 1 (delta 23, new length), type 2 (delta 23), type 3 (delta again).
  const t1 = Buffer.from([0x44, 0, 0, 23, 0, 0, 3, MSG.audio, 1, 2, 3]);
  const t2 = Buffer.from([0x84, 0, 0, 23, 4, 5, 6]);
  const t3 = Buffer.from([0xc4, 7, 8, 9]);
  parts.push(t1, t2, t3);
  expected.push(
    { type: MSG.audio, streamId: 1, timestamp: 23, payload: Buffer.from([1, 2, 3]) },
    { type: MSG.audio, streamId: 1, timestamp: 46, payload: Buffer.from([4, 5, 6]) },
    { type: MSG.audio, streamId: 1, timestamp: 69, payload: Buffer.from([7, 8, 9]) },
  );
  // A csid above 63 (2-byte basic header) and above 319 (3-byte).
  const two = writeChunks(
    { csid: 2, type: MSG.dataAmf0, streamId: 1, timestamp: 5, payload: payload(10, 5) },
    4096,
  );
  two[0] = 0x00;
  parts.push(Buffer.concat([Buffer.from([0x00, 100 - 64]), two.subarray(1)]));
  expected.push({ type: MSG.dataAmf0, streamId: 1, timestamp: 5, payload: payload(10, 5) });
  const three = writeChunks(
    { csid: 2, type: MSG.dataAmf0, streamId: 1, timestamp: 6, payload: payload(10, 6) },
    4096,
  );
  parts.push(Buffer.concat([Buffer.from([0x01, (400 - 64) & 0xff, (400 - 64) >> 8]), three.subarray(1)]));
  expected.push({ type: MSG.dataAmf0, streamId: 1, timestamp: 6, payload: payload(10, 6) });
  return { bytes: Buffer.concat(parts), expected };
}

const strip = (ms: RtmpMessage[]) => ms.map(({ csid: _, ...m }) => m);

describe('chunk reader', () => {
  it('reads interleaved, compressed and extended-timestamp chunks', () => {
    const { bytes, expected } = sampleStream();
    const { reader, messages } = collect();
    reader.push(bytes);
    assert.deepEqual(strip(messages), expected);
    assert.equal(reader.chunkSize, 4096);
    assert.deepEqual(
      messages.slice(-2).map((m) => m.csid),
      [100, 400],
    );
  });

  it('gives the same messages for a split at every byte boundary, and byte by byte', () => {
    const { bytes, expected } = sampleStream();
    for (let cut = 1; cut < bytes.length; cut++) {
      const { reader, messages } = collect();
      reader.push(bytes.subarray(0, cut));
      reader.push(bytes.subarray(cut));
      assert.deepEqual(strip(messages), expected, `split at ${cut}`);
    }
    const { reader, messages } = collect();
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
    assert.deepEqual(strip(messages), expected);
  });

  it('refuses a message longer than the limit from its header, before buffering it', () => {
    const { reader } = collect(1000);
    const header = Buffer.from([0x06, 0, 0, 0, 0x00, 0x03, 0xe9, MSG.video, 1, 0, 0, 0]); // length 1001
    assert.throws(() => reader.push(header), RtmpProtocolError);
    const huge = collect(8 << 20);
    assert.throws(
      () => huge.reader.push(Buffer.from([0x06, 0, 0, 0, 0xff, 0xff, 0xff, MSG.video, 1, 0, 0, 0])),
      /over the/,
    );
  });

  it('bounds chunk streams and unfinished bytes, rejects chunk size 0, clamps huge chunk sizes', () => {
    const many = collect();
    many.reader.chunkSize = 1; // each message below stays unfinished after its first 1-byte chunk
    assert.throws(() => {
      for (let csid = 64; csid < 64 + 70; csid++) {
        many.reader.push(Buffer.from([0x00, csid - 64, 0, 0, 0, 0, 0, 2, MSG.audio, 1, 0, 0, 0, 1]));
      }
    }, /too many chunk streams/);

    const unfinished = collect(1000);
    unfinished.reader.chunkSize = 999; // 1000-byte messages stay one byte short
    assert.throws(() => {
      for (let csid = 3; csid < 10; csid++) {
        unfinished.reader.push(
          Buffer.concat([
            Buffer.from([csid, 0, 0, 0, 0, 0x03, 0xe8, MSG.video, 1, 0, 0, 0]),
            Buffer.alloc(999),
          ]),
        );
      }
    }, /unfinished/);

    assert.throws(() => collect().reader.push(setChunkSize(0)), /Set Chunk Size of 0/);
    const big = collect();
    big.reader.push(setChunkSize(0x7fffffff));
    assert.equal(big.reader.chunkSize, 0xffffff);
  });

  it('rejects a first chunk without a full header, and dies after an error', () => {
    const { reader } = collect();
    assert.throws(() => reader.push(Buffer.from([0xc5])), /starts without a full header/);
    assert.throws(() => reader.push(Buffer.from([0x05])), /already failed/);
  });

  it('drops an aborted message', () => {
    const { reader, messages } = collect();
    const first = writeChunks(
      { csid: 6, type: MSG.video, streamId: 1, timestamp: 1, payload: payload(300, 7) },
      128,
    );
    reader.push(first.subarray(0, 12 + 128)); // first chunk only
    const abort = Buffer.alloc(4);
    abort.writeUInt32BE(6);
    reader.push(writeChunks({ csid: 2, type: MSG.abort, streamId: 0, timestamp: 0, payload: abort }, 128));
    reader.push(
      writeChunks({ csid: 6, type: MSG.video, streamId: 1, timestamp: 2, payload: payload(20, 8) }, 128),
    );
    assert.deepEqual(
      messages.filter((m) => m.type === MSG.video).map((m) => [m.timestamp, m.payload.length]),
      [[2, 20]],
    );
  });
});
