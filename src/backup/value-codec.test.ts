import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnKind, decodeValue, encodeValue } from './value-codec.ts';

test('values become JSON-safe: big integers, bytes, dates, booleans', () => {
  assert.equal(encodeValue(null), null);
  assert.equal(encodeValue(undefined), null);
  assert.equal(encodeValue(42n), 42);
  assert.deepEqual(encodeValue(9007199254740993n), { $int: '9007199254740993' });
  assert.deepEqual(encodeValue(-9007199254740993n), { $int: '-9007199254740993' });
  assert.equal(encodeValue(1.25), 1.25);
  assert.equal(encodeValue(true), true);
  assert.equal(encodeValue(new Date('2024-01-02T03:04:05.678Z')), '2024-01-02T03:04:05.678Z');
  assert.deepEqual(encodeValue(new Uint8Array([0, 255, 7])), { $base64: 'AP8H' });
  assert.deepEqual(encodeValue(Buffer.from('hi')), { $base64: 'aGk=' });
  // JSON has no NaN: kept as a marked string, read back as the number.
  assert.ok(Number.isNaN(decodeValue(encodeValue(Number.NaN), 'real', 'sqlite') as number));
});

test('a value is converted for the column it goes into, on either dialect', () => {
  // SQLite's 0/1 ↔ PostgreSQL's booleans.
  assert.equal(decodeValue(1, 'boolean', 'postgres'), true);
  assert.equal(decodeValue(0, 'boolean', 'postgres'), false);
  assert.equal(decodeValue(true, 'boolean', 'sqlite'), 1);
  assert.equal(decodeValue(false, 'integer', 'sqlite'), 0);
  assert.equal(decodeValue(true, 'integer', 'postgres'), 1);
  // Big integers: PostgreSQL takes the text, node:sqlite a bigint.
  assert.equal(decodeValue({ $int: '9007199254740993' }, 'integer', 'postgres'), '9007199254740993');
  assert.equal(decodeValue({ $int: '9007199254740993' }, 'integer', 'sqlite'), 9007199254740993n);
  // Times: SQLite's CURRENT_TIMESTAMP is UTC without a zone; PostgreSQL would read it as local.
  assert.equal(decodeValue('2024-01-02 03:04:05', 'timestamp', 'postgres'), '2024-01-02T03:04:05Z');
  assert.equal(decodeValue('2024-01-02T03:04:05.678Z', 'timestamp', 'postgres'), '2024-01-02T03:04:05.678Z');
  assert.equal(decodeValue(1704164645678, 'timestamp', 'postgres'), '2024-01-02T03:04:05.678Z');
  assert.equal(decodeValue('2024-01-02T03:04:05.678Z', 'timestamp', 'sqlite'), '2024-01-02T03:04:05.678Z');
  assert.deepEqual(decodeValue({ $base64: 'AP8H' }, 'bytes', 'postgres'), Buffer.from([0, 255, 7]));
  assert.equal(decodeValue(null, 'boolean', 'postgres'), null);
});

test('column kinds from what each database calls its types', () => {
  assert.equal(columnKind('boolean', 'postgres'), 'boolean');
  assert.equal(columnKind('bigint', 'postgres'), 'integer');
  assert.equal(columnKind('timestamp with time zone', 'postgres'), 'timestamp');
  assert.equal(columnKind('bytea', 'postgres'), 'bytes');
  assert.equal(columnKind('double precision', 'postgres'), 'real');
  assert.equal(columnKind('text', 'postgres'), 'text');
  // SQLite: the declared type as the migrations wrote it (better-auth's booleans are `integer` there).
  assert.equal(columnKind('integer', 'sqlite'), 'integer');
  assert.equal(columnKind('bigint', 'sqlite'), 'integer');
  assert.equal(columnKind('date', 'sqlite'), 'timestamp');
  assert.equal(columnKind('double precision', 'sqlite'), 'real');
  assert.equal(columnKind('blob', 'sqlite'), 'bytes');
  assert.equal(columnKind('text', 'sqlite'), 'text');
});
