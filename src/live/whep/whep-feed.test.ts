import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { waitForValue } from '../../../test/helpers/wait.ts';
import { readRtp, startsH264Keyframe } from './rtp-packet.ts';
import { type FeedPacket, WhepFeed } from './whep-feed.ts';

/** An RTP packet as ffmpeg's H.264 packetizer makes them: a 12-byte header, then the payload. */
function rtp(o: {
  seq: number;
  ts: number;
  ssrc?: number;
  marker?: boolean;
  payload: number[];
  pt?: number;
}): Buffer {
  const b = Buffer.alloc(12 + o.payload.length);
  b[0] = 0x80;
  b[1] = (o.marker ? 0x80 : 0) | (o.pt ?? 96);
  b.writeUInt16BE(o.seq, 2);
  b.writeUInt32BE(o.ts, 4);
  b.writeUInt32BE(o.ssrc ?? 0x1234, 8);
  Buffer.from(o.payload).copy(b, 12);
  return b;
}
const SPS = [0x67, 0x64, 0x00, 0x1e];
const PPS = [0x68, 0xee];
const FU_IDR_START = [0x7c, 0x85, 1, 2];
const FU_IDR_MID = [0x7c, 0x05, 3];
const FU_IDR_END = [0x7c, 0x45, 4];
const P_SLICE = [0x41, 0x9a];

describe('RTP reading', () => {
  it('finds the payload behind CSRCs and an extension, drops padding, and refuses RTCP', () => {
    const b = Buffer.concat([
      Buffer.from([0xb1, 0x60, 0, 1, 0, 0, 0, 9, 0, 0, 0, 7]), // V=2, padding, extension, 1 CSRC; PT 96
      Buffer.from([0, 0, 0, 5]), // CSRC
      Buffer.from([0xbe, 0xde, 0, 1, 1, 2, 3, 4]), // one-word extension
      Buffer.from([0x65, 0xaa, 0, 2]), // payload + 2 bytes of padding (last byte = 2)
    ]);
    const v = readRtp(b);
    assert.deepEqual(v, {
      payloadType: 96,
      marker: false,
      sequenceNumber: 1,
      timestamp: 9,
      ssrc: 7,
      payloadOffset: 24,
      payloadEnd: 26,
    });
    assert.equal(startsH264Keyframe(b, v), true); // an IDR slice (type 5)
    assert.equal(readRtp(Buffer.from([0x80, 200, 0, 6, ...new Array(24).fill(0)])), null); // a sender report
    assert.equal(readRtp(Buffer.from([0x40, 96, 0, 0])), null);
  });

  it('tells keyframe starts: SPS, IDR, the first FU-A fragment of an IDR, a STAP-A opening with SPS', () => {
    const starts = (payload: number[]) => {
      const b = rtp({ seq: 1, ts: 1, payload });
      return startsH264Keyframe(b, readRtp(b) as NonNullable<ReturnType<typeof readRtp>>);
    };
    assert.equal(starts(SPS), true);
    assert.equal(starts(FU_IDR_START), true);
    assert.equal(starts(FU_IDR_MID), false);
    assert.equal(starts(P_SLICE), false);
    assert.equal(starts([0x78, 0, 4, ...SPS, 0, 2, ...PPS]), true);
    assert.equal(starts([0x78, 0, 2, ...P_SLICE]), false);
  });
});

describe('WhepFeed', () => {
  it('receives RTP on its loopback ports, hands it to viewers, keeps the newest whole keyframe, and closes', async () => {
    const feed = new WhepFeed();
    const ports = await feed.open();
    assert.deepEqual(await feed.open(), ports, 'opened once');
    const got: FeedPacket[] = [];
    const unsubscribe = feed.subscribe((p) => got.push(p));
    const ended: string[] = [];
    feed.onEnd((why) => ended.push(why));
    const sender = createSocket('udp4');
    const send = (b: Buffer, port = ports.video) =>
      new Promise<void>((resolve) => sender.send(b, port, '127.0.0.1', () => resolve()));
    try {
      // A P-frame, then a keyframe (SPS, PPS, IDR in three fragments, marker on the last), then
      // an audio packet and ffmpeg's RTCP report on the same port.
      await send(rtp({ seq: 1, ts: 1000, payload: P_SLICE, marker: true }));
      await send(rtp({ seq: 2, ts: 4000, payload: SPS }));
      await send(rtp({ seq: 3, ts: 4000, payload: PPS }));
      await send(rtp({ seq: 4, ts: 4000, payload: FU_IDR_START }));
      await send(rtp({ seq: 5, ts: 4000, payload: FU_IDR_MID }));
      await send(rtp({ seq: 6, ts: 4000, payload: FU_IDR_END, marker: true }));
      await send(rtp({ seq: 9, ts: 960, payload: [1, 2, 3], pt: 97 }), ports.audio);
      await send(Buffer.from([0x80, 200, 0, 6, ...new Array(24).fill(0)]));
      await waitForValue(
        () => got.length,
        (n) => n === 7,
        { timeoutMs: 2000 },
      );
      assert.deepEqual(
        got.map((p) => [p.kind, p.rtp.sequenceNumber, p.keyframe]),
        [
          ['video', 1, false],
          ['video', 2, true],
          // The IDR's own first fragment is not a second keyframe start: the frame began with the SPS.
          ['video', 3, false],
          ['video', 4, false],
          ['video', 5, false],
          ['video', 6, false],
          ['audio', 9, false],
        ],
      );
      const kept = feed.latestKeyframe();
      assert.deepEqual(
        kept?.packets.map((p) => p.rtp.sequenceNumber),
        [2, 3, 4, 5, 6],
      );
      assert.equal(kept?.source.timestamp, 4000);
      // Another source's keyframe only: the old one is no picture of what is sent now.
      await send(rtp({ seq: 50, ts: 9, ssrc: 0x9999, payload: P_SLICE }));
      await waitForValue(
        () => got.length,
        (n) => n === 8,
        { timeoutMs: 2000 },
      );
      assert.equal(feed.latestKeyframe(), null);
      assert.equal(feed.viewers, 1);
      unsubscribe();
      assert.equal(feed.viewers, 0);
      feed.close();
      assert.deepEqual(ended, ['the broadcast ended']);
      assert.equal(feed.closed, true);
      await assert.rejects(feed.open(), /closed/);
    } finally {
      sender.close();
      feed.close();
    }
  });
});
