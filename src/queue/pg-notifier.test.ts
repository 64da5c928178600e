import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../test/helpers/wait.ts';
import { openTestDatabase, postgresSkip, type TestDatabase } from '../db/test-databases.ts';
import { PostgresNotifier } from './pg-notifier.ts';
import { JobQueue } from './queue.ts';

describe('LISTEN/NOTIFY wake-up on PostgreSQL', { skip: postgresSkip('postgres') }, () => {
  let t: TestDatabase;
  let sender: PostgresNotifier;
  let receiver: PostgresNotifier;
  before(async () => {
    t = await openTestDatabase('postgres');
    sender = new PostgresNotifier(t.url);
    receiver = new PostgresNotifier(t.url);
    await Promise.all([sender.start(), receiver.start()]);
  });
  after(async () => {
    await Promise.all([sender.close(), receiver.close()]);
    await t.close();
  });

  test('another process hears an enqueue when its transaction commits, not before, and never after a rollback', async () => {
    const queue = new JobQueue({ db: t.db, notifier: sender });
    const heard: string[] = [];
    const off = receiver.subscribe((type) => heard.push(type));

    await t.db.transaction().execute(async (trx) => {
      await queue.enqueue(trx, 'transcode', { n: 1 });
      await sleep(150);
      assert.deepEqual(heard, [], 'nothing before the commit');
    });
    await waitFor(() => heard.length > 0, { timeoutMs: 5000, intervalMs: 20, what: 'the wake-up' });
    assert.deepEqual(heard, ['transcode']);

    await assert.rejects(
      t.db.transaction().execute(async (trx) => {
        await queue.enqueue(trx, 'probe', {});
        throw new Error('roll back');
      }),
    );
    await queue.enqueue(t.db, 'later', {}, { delayMs: 60_000 });
    await sleep(200);
    assert.deepEqual(heard, ['transcode'], 'no wake-up for a rolled-back or delayed job');
    off();
  });
});
