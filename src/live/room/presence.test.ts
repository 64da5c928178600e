import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openTestDatabase, postgresSkip, TEST_DIALECTS } from '../../db/test-databases.ts';
import { PRESENCE_FRESH_MS, PRESENCE_INTERVAL_MS } from './presence.ts';
import { roomRepo as repo } from './room.repo.ts';

// "Viewers now … accurate within 10 s": the rows of a process that died without a word (its
// clean stop deletes them) stop counting PRESENCE_FRESH_MS after its last report, and viewers
// hear the new sum at the next report of a live process.
test('a crashed process stops counting within 10 s', () => {
  assert.ok(PRESENCE_FRESH_MS + PRESENCE_INTERVAL_MS <= 10_000);
});

for (const dialect of TEST_DIALECTS)
  test(`viewer counts sum the processes heard from lately (${dialect})`, {
    skip: postgresSkip(dialect),
  }, async () => {
    const t = await openTestDatabase(dialect);
    try {
      const t0 = 1_800_000_000_000;
      const sum = async (now: number) =>
        (await repo.viewerCounts(t.db, ['room1'], now - PRESENCE_FRESH_MS)).get('room1') ?? 0;
      await repo.writePresence(t.db, 'node-a', new Map([['room1', 2]]), t0);
      await repo.writePresence(t.db, 'node-b', new Map([['room1', 3]]), t0);
      assert.equal(await sum(t0 + PRESENCE_INTERVAL_MS), 5);
      // node-b dies at t0; node-a goes on reporting.
      for (
        let at = t0 + PRESENCE_INTERVAL_MS;
        at <= t0 + 4 * PRESENCE_INTERVAL_MS;
        at += PRESENCE_INTERVAL_MS
      ) {
        await repo.writePresence(t.db, 'node-a', new Map([['room1', 2]]), at);
        assert.equal(await sum(at), at - t0 <= PRESENCE_FRESH_MS ? 5 : 2, `at +${at - t0} ms`);
      }
    } finally {
      await t.close();
    }
  });
