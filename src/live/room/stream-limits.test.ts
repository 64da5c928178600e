import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../shared/errors.ts';
import { StreamLimits } from './stream-limits.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : String(err);
  }
  return null;
};

test('event streams: per address (IPv6 by /64) and per process, given back once', () => {
  const limits = new StreamLimits({ perAddress: 2, max: 5 });
  const a1 = limits.take('203.0.113.1');
  limits.take('203.0.113.1');
  assert.equal(
    code(() => limits.take('203.0.113.1')),
    'FH_ERR_ROOM_STREAMS_PER_ADDRESS',
  );
  a1();
  a1(); // twice: counted once
  limits.take('203.0.113.1');
  limits.take('2001:db8:1:1::1');
  limits.take('2001:db8:1:1::ffff');
  assert.equal(
    code(() => limits.take('2001:db8:1:1:abcd::1')),
    'FH_ERR_ROOM_STREAMS_PER_ADDRESS',
  );
  limits.take('198.51.100.1');
  assert.equal(limits.open, 5);
  assert.equal(
    code(() => limits.take('198.51.100.2')),
    'FH_ERR_ROOM_FULL',
  );
});
