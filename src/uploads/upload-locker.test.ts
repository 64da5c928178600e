import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ERRORS } from '@tus/utils';
import { waitFor } from '../../test/helpers/wait.ts';
import type { Db } from '../db/database.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { DatabaseLocker } from './upload-locker.ts';

/** What @tus/server turns into its 500 "failed to acquire lock before timeout". */
const isLockTimeout = (e: unknown) => e === ERRORS.ERR_LOCK_TIMEOUT;

const fast = { leaseMs: 400, heartbeatMs: 50, pollMs: 20, acquireTimeoutMs: 3_000 };

for (const dialect of TEST_DIALECTS) {
  describe(`tus locks shared through ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let t: TestDatabase;
    // Two lockers on two connections: two api nodes.
    let node1: DatabaseLocker;
    let node2: DatabaseLocker;
    let db2: Db;

    beforeEach(async () => {
      t = await openTestDatabase(dialect);
      db2 = t.connect();
      node1 = new DatabaseLocker(t.db, fast);
      node2 = new DatabaseLocker(db2, fast);
    });
    afterEach(() => t.close());

    test('a second node waits, asks the holder to let go, and takes over once it has', async () => {
      const held = node1.newLock('upload1');
      let asked = 0;
      await held.lock(new AbortController().signal, async () => {
        asked++;
        // What @tus/server does when asked: end the request, then unlock.
        await sleep(30);
        await held.unlock();
      });
      const started = Date.now();
      const next = node2.newLock('upload1');
      await next.lock(new AbortController().signal, () => {});
      assert.equal(asked, 1, 'the holder was asked exactly once');
      assert.ok(Date.now() - started < 2_000);
      // Other uploads are not affected.
      const other = node1.newLock('upload2');
      await other.lock(new AbortController().signal, () => {});
      await other.unlock();
      await next.unlock();
    });

    test('a holder that never lets go times the waiter out; one that died loses its lock at lease end', async () => {
      const stubborn = node1.newLock('upload1');
      await stubborn.lock(new AbortController().signal, () => {});
      const waiter = new DatabaseLocker(db2, { ...fast, acquireTimeoutMs: 300 }).newLock('upload1');
      await assert.rejects(
        waiter.lock(new AbortController().signal, () => {}),
        isLockTimeout,
      );

      // A crashed node stops renewing: simulated by a lease in the past and no heartbeat.
      await t.db.deleteFrom('upload_locks').execute();
      await t.db
        .insertInto('upload_locks')
        .values({ upload_id: 'upload3', holder: 'gone', expires_at: Date.now() - 1, release_requested: 0 })
        .execute();
      const heir = node2.newLock('upload3');
      await heir.lock(new AbortController().signal, () => {});
      const row = await t.db
        .selectFrom('upload_locks')
        .selectAll()
        .where('upload_id', '=', 'upload3')
        .executeTakeFirst();
      assert.notEqual(row?.holder, 'gone');
      await heir.unlock();
      assert.equal(await t.db.selectFrom('upload_locks').selectAll().executeTakeFirst(), undefined);
      await stubborn.unlock();
    });

    test('a holder whose lease was taken ends its request', async () => {
      const holder = node1.newLock('upload1');
      let asked = false;
      await holder.lock(new AbortController().signal, () => {
        asked = true;
      });
      // Another node took it over (say this one was paused past its lease).
      await t.db.updateTable('upload_locks').set({ holder: 'someone-else' }).execute();
      await waitFor(() => asked, {
        timeoutMs: 5000,
        intervalMs: 20,
        what: 'the holder to be asked to let go',
      });
      await holder.unlock();
      assert.equal(
        (await t.db.selectFrom('upload_locks').select('holder').executeTakeFirst())?.holder,
        'someone-else',
        "unlocking does not remove another holder's lock",
      );
    });

    test('an aborted wait gives up at once', async () => {
      const held = node1.newLock('upload1');
      await held.lock(new AbortController().signal, () => {});
      const abort = new AbortController();
      const waiting = node2.newLock('upload1').lock(abort.signal, () => {});
      setTimeout(() => abort.abort(), 50);
      await assert.rejects(waiting, isLockTimeout);
      await held.unlock();
    });
  });
}
