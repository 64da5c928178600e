import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { postgresSkip, TEST_DIALECTS } from '../db/test-databases.ts';
import { JobQueue } from '../queue/queue.ts';
import { type ManualClock, manualClock, openTestDatabase, type TestDatabase } from '../queue/testing.ts';
import { backupDedupeKey, backupRunRequest, nextBackupSlot, scheduleNextBackup } from './backup-schedule.ts';

const at = (iso: string) => new Date(iso);

describe('the next slot', () => {
  test('is strictly after now: a slot that is now is the one just due, so the next one follows', () => {
    const every5s = '*/5 * * * * *';
    assert.equal(
      nextBackupSlot(every5s, at('2030-01-01T00:00:03.000Z'))?.toISOString(),
      '2030-01-01T00:00:05.000Z',
    );
    assert.equal(
      nextBackupSlot(every5s, at('2030-01-01T00:00:04.999Z'))?.toISOString(),
      '2030-01-01T00:00:05.000Z',
    );
    assert.equal(
      nextBackupSlot(every5s, at('2030-01-01T00:00:05.000Z'))?.toISOString(),
      '2030-01-01T00:00:10.000Z',
    );
    assert.equal(
      nextBackupSlot(every5s, at('2030-01-01T00:00:05.001Z'))?.toISOString(),
      '2030-01-01T00:00:10.000Z',
    );
  });

  test('five fields: minutes; a daily slot is at that hour of the server’s time zone', () => {
    assert.equal(
      nextBackupSlot('*/15 * * * *', at('2030-01-01T10:07:00.000Z'))?.toISOString(),
      '2030-01-01T10:15:00.000Z',
    );
    const now = new Date(2030, 0, 1, 3, 0, 0, 1); // local time, just past 03:00
    assert.equal(nextBackupSlot('0 3 * * *', now)?.getTime(), new Date(2030, 0, 2, 3, 0, 0, 0).getTime());
  });

  test('an expression with no slot left (a date in the past) has none', () => {
    assert.equal(nextBackupSlot('0 0 0 1 1 * 2020', at('2030-01-01T00:00:00.000Z')), null);
  });

  test('the job of a slot: keyed by the slot, delayed until it (never negative)', () => {
    const slot = at('2030-01-01T03:00:00.000Z');
    const req = backupRunRequest('0 3 * * *', slot, slot.getTime() - 2500);
    assert.deepEqual(req, {
      payload: { slot: '2030-01-01T03:00:00.000Z', cron: '0 3 * * *' },
      options: { dedupeKey: 'backup:2030-01-01T03:00:00.000Z', delayMs: 2500 },
    });
    assert.equal(backupRunRequest('0 3 * * *', slot, slot.getTime() + 10).options.delayMs, 0);
    assert.equal(backupDedupeKey(slot), 'backup:2030-01-01T03:00:00.000Z');
  });
});

for (const dialect of TEST_DIALECTS) {
  describe(`scheduling on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    const EVERY_10S = '*/10 * * * * *';
    let t: TestDatabase;
    let clock: ManualClock;

    beforeEach(async () => {
      t = await openTestDatabase(dialect);
      clock = manualClock(Date.parse('2030-01-01T00:00:03.000Z'));
    });
    afterEach(async () => {
      await t.close();
    });

    test('every node asks for the same slot: one job, delayed until the slot', async () => {
      // Two nodes: each its own queue and connections on the one database.
      const nodeA = { db: t.db, queue: new JobQueue({ db: t.db, now: clock.now }) };
      const otherDb = t.connect();
      const nodeB = { db: otherDb, queue: new JobQueue({ db: otherDb, now: clock.now }) };
      const a = await scheduleNextBackup(nodeA, EVERY_10S, clock.now());
      clock.advance(1500);
      const b = await scheduleNextBackup(nodeB, EVERY_10S, clock.now());
      assert.equal(a.slot?.toISOString(), '2030-01-01T00:00:10.000Z');
      assert.equal(b.slot?.toISOString(), a.slot?.toISOString());
      assert.ok(a.jobId);
      assert.equal(b.jobId, a.jobId);
      const jobs = await nodeA.queue.list({ type: 'backup.run' });
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0]?.runAt, '2030-01-01T00:00:10.000Z');
      assert.equal(jobs[0]?.dedupeKey, 'backup:2030-01-01T00:00:10.000Z');
      assert.equal(jobs[0]?.maxAttempts, 1);
      assert.deepEqual(jobs[0]?.payload, { slot: '2030-01-01T00:00:10.000Z', cron: EVERY_10S });
      assert.deepEqual(await nodeA.queue.claim(['backup.run'], 1, 'w', 60_000), [], 'not before its slot');
      clock.advance(5500);
      assert.equal((await nodeA.queue.claim(['backup.run'], 1, 'w', 60_000))[0]?.id, a.jobId);

      // Past the slot, the next one is asked for.
      clock.advance(1);
      const next = await scheduleNextBackup(nodeB, EVERY_10S, clock.now());
      assert.equal(next.slot?.toISOString(), '2030-01-01T00:00:20.000Z');
      assert.notEqual(next.jobId, a.jobId);
    });

    test('a node whose clock is behind does not bring back a slot that has run', async () => {
      const node = { db: t.db, queue: new JobQueue({ db: t.db, now: clock.now }) };
      const first = await scheduleNextBackup(node, EVERY_10S, clock.now());
      clock.advance(7000);
      const [job] = await node.queue.claim(['backup.run'], 1, 'w', 60_000);
      assert.equal(job?.id, first.jobId);
      // The run records its row (as the engine does), and the job completes quickly.
      await t.db
        .insertInto('backups')
        .values({
          id: '20300101T000010Z-abcdef',
          trigger: 'schedule',
          target: '/backups',
          status: 'succeeded',
          objects_mode: 'all',
          started_at: '2030-01-01T00:00:10.020Z',
          heartbeat_at: '2030-01-01T00:00:11.000Z',
        })
        .execute();
      assert.equal(await node.queue.complete(job?.id ?? '', 'w'), true);

      // A node 2 s behind still sees 00:00:10 as the next slot; the key is free again, yet the
      // run of that slot has started: nothing is enqueued.
      const behind = await scheduleNextBackup(node, EVERY_10S, Date.parse('2030-01-01T00:00:09.000Z'));
      assert.equal(behind.slot?.toISOString(), '2030-01-01T00:00:10.000Z');
      assert.equal(behind.jobId, null);
      assert.equal((await node.queue.list({ type: 'backup.run' })).length, 1);
      // A node on time asks for the following slot.
      const onTime = await scheduleNextBackup(node, EVERY_10S, Date.parse('2030-01-01T00:00:11.000Z'));
      assert.equal(onTime.slot?.toISOString(), '2030-01-01T00:00:20.000Z');
      assert.ok(onTime.jobId);
    });
  });
}
