import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AmfError, amfObject, decodeAmf0, ecmaArray, encodeAmf0, isEcmaArray } from './amf0.ts';

describe('AMF0', () => {
  it('round-trips the values RTMP commands use', () => {
    const values = [
      'connect',
      1,
      amfObject({
        app: 'live',
        tcUrl: 'rtmp://h/live',
        fpad: false,
        capabilities: 239,
        nested: amfObject({ x: null }),
      }),
      null,
      undefined,
      true,
      -0.5,
      ['a', 2, [false]],
      ecmaArray({ width: 640, height: 360, encoder: 'Lavf59' }),
      'é'.repeat(40_000), // > 65535 bytes: a long string
      new Date(1_700_000_000_000),
    ];
    const decoded = decodeAmf0(encodeAmf0(...values));
    assert.deepEqual(decoded, values);
    assert.equal(isEcmaArray(decoded[8]), true);
    assert.equal(isEcmaArray(decoded[2]), false);
    // Encoding the decoded values again gives the same bytes (markers kept).
    assert.deepEqual(encodeAmf0(...decoded), encodeAmf0(...values));
  });

  it('keeps "__proto__" as a plain key', () => {
    const bytes = Buffer.concat([
      Buffer.from([0x03, 0x00, 0x09]),
      Buffer.from('__proto__'),
      encodeAmf0(amfObject({ polluted: true })),
      Buffer.from([0, 0, 9]),
    ]);
    const [obj] = decodeAmf0(bytes) as [Record<string, unknown>];
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(obj), ['__proto__']);
  });

  it('rejects malformed input with AmfError', () => {
    const cases: [string, Buffer][] = [
      ['truncated number', Buffer.from([0x00, 1, 2, 3])],
      ['string longer than the buffer', Buffer.from([0x02, 0x00, 0x10, 0x41])],
      ['long string longer than the buffer', Buffer.from([0x0c, 0xff, 0xff, 0xff, 0xff, 0x41])],
      ['object without end', Buffer.from([0x03, 0x00, 0x01, 0x61, 0x05])],
      ['empty key without end marker', Buffer.from([0x03, 0x00, 0x00, 0x05])],
      ['strict array count lies', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x05])],
      ['reference marker', Buffer.from([0x07, 0x00, 0x01])],
      ['AMF3 switch', Buffer.from([0x11, 0x01])],
      ['unknown marker', Buffer.from([0x42])],
    ];
    for (const [name, bytes] of cases) assert.throws(() => decodeAmf0(bytes), AmfError, name);
  });

  it('bounds nesting depth and value count', () => {
    const nested = (n: number) =>
      Buffer.concat([
        ...Array.from({ length: n }, () => Buffer.from([0x0a, 0, 0, 0, 1])),
        Buffer.from([0x05]),
      ]);
    assert.equal(decodeAmf0(nested(16)).length, 1);
    assert.throws(() => decodeAmf0(nested(17)), /nested too deeply/);
    const many = encodeAmf0(new Array(20_000).fill(null));
    assert.throws(() => decodeAmf0(many), /too many values/);
    assert.equal((decodeAmf0(many, { maxValues: 30_000 })[0] as unknown[]).length, 20_000);
  });
});
