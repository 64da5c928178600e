import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { openTestDatabase, postgresSkip, TEST_DIALECTS } from '../../db/test-databases.ts';
import { BURST, diagnose, secondsUntilToken, takeMessageSlot, tokensAt } from './rate-limit.ts';
import { roomRepo } from './room.repo.ts';

test('the bucket refills at BURST per 10 s, never past BURST', () => {
  assert.equal(tokensAt(0, 0, 2000), 1);
  assert.equal(tokensAt(0, 0, 60_000), BURST);
  assert.equal(secondsUntilToken(0), 2);
  assert.equal(secondsUntilToken(0.9), 1);
});

test('diagnose says which limit refused', () => {
  const now = 100_000;
  assert.deepEqual(diagnose(undefined, now, 0), { kind: 'unknown_viewer' });
  assert.deepEqual(diagnose({ bucket_tokens: 5, bucket_at: now, last_message_at: now - 1000 }, now, 10), {
    kind: 'slow_mode',
    retryAfter: 9,
  });
  assert.deepEqual(diagnose({ bucket_tokens: 0, bucket_at: now, last_message_at: now }, now, 0), {
    kind: 'rate_limited',
    retryAfter: 2,
  });
  assert.deepEqual(diagnose({ bucket_tokens: 5, bucket_at: now, last_message_at: null }, now, 0), {
    kind: 'banned',
  });
});

for (const dialect of TEST_DIALECTS) {
  describe(`the conditional update (${dialect})`, { skip: postgresSkip(dialect) }, async () => {
    const opened = await (postgresSkip(dialect) ? null : openTestDatabase(dialect));
    after(() => opened?.close());
    const db = () => {
      if (!opened) throw new Error('no database');
      return opened.db;
    };
    const stream = 'stream0000000001';
    const insert = async (
      id: string,
      extra: { address_hash?: string; kind?: 'guest' | 'user'; user_id?: string } = {},
    ) =>
      roomRepo.insertViewer(db(), {
        id,
        live_stream_id: stream,
        user_id: extra.user_id ?? null,
        name: id,
        kind: extra.kind ?? 'guest',
        address_hash: extra.address_hash ?? null,
        last_message_at: null,
        bucket_tokens: BURST,
        bucket_at: 0,
        created_at: new Date().toISOString(),
      });
    const take = (viewerId: string, now: number, slowModeSeconds = 0) =>
      takeMessageSlot(db(), { streamId: stream, viewerId, now, slowModeSeconds });

    test('five at once, then one per 2 s', async () => {
      await insert('viewer000000000a');
      const now = 1_000_000;
      for (let i = 0; i < BURST; i++)
        assert.equal(await take('viewer000000000a', now), true, `message ${i + 1}`);
      assert.equal(await take('viewer000000000a', now), false);
      assert.equal(await take('viewer000000000a', now + 1000), false);
      assert.equal(await take('viewer000000000a', now + 2000), true);
      assert.equal(await take('viewer000000000a', now + 2000), false);
    });

    test('slow mode: one message per period, whatever the bucket holds', async () => {
      await insert('viewer000000000b');
      const now = 2_000_000;
      assert.equal(await take('viewer000000000b', now, 30), true);
      assert.equal(await take('viewer000000000b', now + 29_000, 30), false);
      assert.equal(await take('viewer000000000b', now + 30_000, 30), true);
    });

    test('a ban by guest id or by address hash refuses; an expired time-out does not', async () => {
      await insert('viewer000000000c', { address_hash: 'hash-c' });
      await insert('viewer000000000d', { address_hash: 'hash-c' });
      const now = 3_000_000;
      await roomRepo.insertBan(db(), {
        id: 'ban0000000000001',
        live_stream_id: stream,
        viewer_id: 'viewer000000000c',
        name: 'c',
        user_id: null,
        address_hash: 'hash-c',
        until: now + 60_000,
        reason: null,
        created_by: null,
        created_at: new Date().toISOString(),
      });
      assert.equal(await take('viewer000000000c', now), false);
      assert.equal(await take('viewer000000000d', now), false, 'same address, another guest id');
      assert.equal(await take('viewer000000000c', now + 61_000), true, 'the time-out is over');
    });
  });
}
