import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseAacConfig, parseAvcConfig, parseSps } from './media-info.ts';

/** One frame of H.264 as ffmpeg makes it, in FLV, so both the SPS and the AVC configuration record are real. */
function ffmpegFlv(size: string, extra: string[] = []): Buffer {
  const r = spawnSync(
    'ffmpeg',
    [
      '-nostdin',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=30`,
      '-frames:v',
      '1',
      '-c:v',
      'libx264',
      ...extra,
      '-f',
      'flv',
      'pipe:1',
    ],
    { maxBuffer: 16 << 20 },
  );
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
}

/** The payload of the first FLV video tag (the AVC sequence header). */
function firstVideoTag(flv: Buffer): Buffer {
  let pos = 13;
  while (pos + 11 <= flv.length) {
    const type = flv[pos] as number;
    const size = flv.readUIntBE(pos + 1, 3);
    if (type === 9) return flv.subarray(pos + 11, pos + 11 + size);
    pos += 11 + size + 4;
  }
  throw new Error('no video tag');
}

describe('media info', () => {
  const cases: [string, string[], number, number][] = [
    ['1280x720', [], 1280, 720],
    ['1920x1080', [], 1920, 1080], // coded as 1088 lines, cropped by 8
    ['640x360', [], 640, 360], // 368 coded, cropped
    ['320x180', ['-profile:v', 'baseline'], 320, 180],
    ['642x362', ['-pix_fmt', 'yuv444p'], 642, 362], // High 4:4:4: crop units of one pixel
    ['1280x720', ['-pix_fmt', 'yuv422p', '-flags', '+ildct+ilme', '-x264opts', 'interlaced=1'], 1280, 720],
  ];
  for (const [size, extra, width, height] of cases) {
    it(`reads ${width}x${height} from ffmpeg's SPS (${extra.join(' ') || 'defaults'})`, () => {
      const tag = firstVideoTag(ffmpegFlv(size, extra));
      assert.equal(tag[0], 0x17); // keyframe, AVC
      assert.equal(tag[1], 0); // sequence header
      const config = parseAvcConfig(tag.subarray(5));
      assert.equal(config.width, width);
      assert.equal(config.height, height);
      assert.match(config.codecString, /^avc1\.[0-9a-f]{6}$/);
      assert.equal(config.codecString.slice(5, 7), (tag[6] as number).toString(16).padStart(2, '0'));
      assert.equal(config.nalLengthSize, 4);
      assert.equal(config.pps.length, 1);
      assert.deepEqual(parseSps(config.sps[0] as Buffer).width, width);
    });
  }

  it('names the profile in the codec string', () => {
    const baseline = parseAvcConfig(
      firstVideoTag(ffmpegFlv('320x180', ['-profile:v', 'baseline'])).subarray(5),
    );
    assert.equal(baseline.codecString.slice(0, 7), 'avc1.42');
    const high = parseAvcConfig(firstVideoTag(ffmpegFlv('320x180', ['-profile:v', 'high'])).subarray(5));
    assert.equal(high.codecString.slice(0, 7), 'avc1.64');
  });

  it('rejects malformed SPS and records without throwing anything else', () => {
    assert.throws(() => parseSps(Buffer.from([0x67, 100, 0, 31])), /SPS ends early/);
    assert.throws(() => parseSps(Buffer.from([0x68, 1, 2, 3])), /not an SPS/);
    assert.throws(() => parseSps(Buffer.from([0x67, 66, 0, 31, 0, 0, 0, 0, 0, 0])), /exp-Golomb|ends early/);
    assert.throws(
      () => parseAvcConfig(Buffer.from([1, 100, 0, 31, 0xff, 0xe1, 0x00, 0x40, 0x67])),
      /ends early/,
    );
  });

  it('reads AudioSpecificConfig', () => {
    assert.deepEqual(parseAacConfig(Buffer.from([0x12, 0x10])), {
      codecString: 'mp4a.40.2',
      objectType: 2,
      sampleRate: 44100,
      channels: 2,
    });
    assert.equal(parseAacConfig(Buffer.from([0x2b, 0x92, 0x08, 0x00])).codecString, 'mp4a.40.5');
    assert.equal(parseAacConfig(Buffer.from([0xf8, 0x40, 0x88, 0x00])).objectType, 34); // escape: 31, then 32 + 6 bits (000010)
  });
});
