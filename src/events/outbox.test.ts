import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS, type TestDatabase } from '../db/test-databases.ts';
import { outboxHead, readOutbox, recordEvent } from './outbox.ts';
import { unwrapKey, WRITER_IDLE_LIMIT_MS } from './outbox-horizon.ts';

const seqs = (page: { events: { seq: number }[] }) => page.events.map((e) => e.seq);

for (const dialect of TEST_DIALECTS) {
  describe(`outbox reads on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await openTestDatabase(dialect);
    });
    after(async () => {
      await t?.close();
    });

    test('pages in seq order; `through` is where the next read starts, past what a filter left out', async () => {
      const start = await outboxHead(t.db);
      await t.db.transaction().execute(async (trx) => {
        await recordEvent(trx, 'asset.created', 'assetaaaa1');
        await recordEvent(trx, 'asset.updated', 'assetaaaa1');
      });
      await recordEvent(t.db, 'asset.created', 'assetbbbb2'); // no transaction: it makes one
      await recordEvent(t.db, 'job.dead', null);
      const head = await outboxHead(t.db);
      assert.equal(head, start + 4);

      const first = await readOutbox(t.db, start, 3);
      assert.deepEqual(seqs(first), [start + 1, start + 2, start + 3]);
      assert.equal(first.through, start + 3, 'a full page ends at its last event');
      const second = await readOutbox(t.db, first.through, 3);
      assert.deepEqual(seqs(second), [start + 4]);
      assert.equal(second.through, head, 'a short page ends at the horizon');
      assert.deepEqual(await readOutbox(t.db, head, 3), { events: [], through: head });

      const created = await readOutbox(t.db, start, 10, { types: ['asset.created'] });
      assert.deepEqual(
        created.events.map((e) => e.asset_id),
        ['assetaaaa1', 'assetbbbb2'],
      );
      assert.equal(created.through, head, 'past the job.dead event the filter left out');
      const one = await readOutbox(t.db, start, 10, { assetId: 'assetaaaa1', types: ['asset.updated'] });
      assert.deepEqual(seqs(one), [start + 2]);
    });

    test('reads outside a transaction only (a transaction could hold an older snapshot)', async () => {
      await assert.rejects(
        t.db.transaction().execute((trx) => readOutbox(trx, 0, 10)),
        /outside a transaction/,
      );
    });
  });
}

describe('outbox reads on postgres: writers still at work hold readers back, and nothing else does', {
  skip: postgresSkip('postgres'),
}, () => {
  let t: TestDatabase;
  let other: TestDatabase;
  /** Another process's connections, writing while a transaction of ours is open. */
  let writer: Db;
  before(async () => {
    t = await openTestDatabase('postgres');
    other = await openTestDatabase('postgres');
    writer = t.connect();
  });
  after(async () => {
    await t?.close();
    await other?.close();
  });

  test('an event that commits after a higher one is handed out before it, never skipped', async () => {
    const start = await outboxHead(t.db);
    const low = await t.db.startTransaction().execute();
    await recordEvent(low, 'asset.updated', 'lowlowlow1');
    await recordEvent(writer, 'asset.updated', 'highhigh01'); // commits at once, higher seq
    const visible = await t.db.selectFrom('events').select('seq').where('seq', '>', start).execute();
    assert.deepEqual(
      visible.map((r) => r.seq),
      [start + 2],
      'the higher seq is visible while the lower is not',
    );
    assert.deepEqual(await readOutbox(t.db, start, 10), { events: [], through: start });
    assert.equal(await outboxHead(t.db), start);
    await low.commit().execute();
    const page = await readOutbox(t.db, start, 10);
    assert.deepEqual(seqs(page), [start + 1, start + 2]);
    assert.equal(page.through, start + 2);
  });

  test('a writer that rolls back leaves a gap that holds nobody back', async () => {
    const start = await outboxHead(t.db);
    const doomed = await t.db.startTransaction().execute();
    await recordEvent(doomed, 'asset.updated', 'doomeddoom');
    await recordEvent(writer, 'asset.updated', 'afterafter');
    assert.equal((await readOutbox(t.db, start, 10)).events.length, 0);
    await doomed.rollback().execute();
    const page = await readOutbox(t.db, start, 10);
    assert.deepEqual(
      page.events.map((e) => e.asset_id),
      ['afterafter'],
    );
  });

  test('an unrelated transaction with a transaction id, or a writer of another installation, is not waited for', async () => {
    const start = await outboxHead(t.db);
    const unrelated = await t.db.startTransaction().execute();
    await sql`insert into instance_settings (key, value) values ('outbox-test', 'x')`.execute(unrelated);
    const elsewhere = await other.db.startTransaction().execute();
    await recordEvent(elsewhere, 'asset.updated', 'elsewhere1');
    try {
      await recordEvent(writer, 'asset.updated', 'herehere01');
      assert.deepEqual(
        (await readOutbox(t.db, start, 10)).events.map((e) => e.asset_id),
        ['herehere01'],
      );
    } finally {
      await unrelated.rollback().execute();
      await elsewhere.rollback().execute();
    }
  });

  test('a writer left idle in its transaction is ended by the server after the limit, and readers go on', async () => {
    const start = await outboxHead(t.db);
    await assert.rejects(
      t.db.transaction().execute(async (trx) => {
        await recordEvent(trx, 'asset.updated', 'idleidle01');
        const { rows } = await sql<{ ms: string }>`
          select setting as ms from pg_settings where name = 'idle_in_transaction_session_timeout'`.execute(
          trx,
        );
        assert.equal(Number(rows[0]?.ms), WRITER_IDLE_LIMIT_MS);
        // The same, shortened so the test need not wait a minute: the writer hangs past it.
        await sql`select set_config('idle_in_transaction_session_timeout', '200', true)`.execute(trx);
        await recordEvent(writer, 'asset.updated', 'notstuck01');
        assert.equal(
          (await readOutbox(t.db, start, 10)).events.length,
          0,
          'held back while the writer lives',
        );
        await sleep(1000);
        await sql`select 1`.execute(trx);
      }),
      /connection/i,
    );
    assert.deepEqual(
      (await readOutbox(t.db, start, 10)).events.map((e) => e.asset_id),
      ['notstuck01'],
    );
  });

  test('a sequence far past 2^31: lock keys wrap around and still hold readers back', async () => {
    // Just below 2 × 2^31: the held writer's key is 2^31 − 3, the sequence moves on past 2^32.
    const start = 2 ** 32 - 3;
    await sql`select setval('events_seq_seq', ${start})`.execute(t.db);
    assert.equal(await outboxHead(t.db), start);
    const low = await t.db.startTransaction().execute();
    await recordEvent(low, 'asset.updated', 'wraplow001');
    for (let i = 0; i < 10; i++)
      await recordEvent(writer, 'asset.updated', `wrapped${String(i).padStart(3, '0')}`);
    assert.deepEqual(await readOutbox(t.db, start, 100), { events: [], through: start });
    await low.commit().execute();
    const page = await readOutbox(t.db, start, 100);
    assert.equal(page.events[0]?.asset_id, 'wraplow001');
    assert.deepEqual(
      seqs(page),
      Array.from({ length: 11 }, (_, i) => start + 1 + i),
    );
    assert.equal(page.through, start + 11);
  });
});

test('unwrapKey reads a 31-bit lock key back as the value nearest the sequence', () => {
  const M = 2 ** 31;
  assert.equal(unwrapKey(5, 10), 5);
  assert.equal(unwrapKey(12, 10), 12, 'announced after the sequence was read: ahead of it');
  assert.equal(unwrapKey((M + 3) % M, M + 5), M + 3);
  assert.equal(unwrapKey(M - 2, M + 5), M - 2, 'a key from before the wrap');
  assert.equal(unwrapKey(1, M - 2), M + 1, 'a key from after the wrap');
  assert.equal(unwrapKey((5 * M + 7) % M, 5 * M + 100), 5 * M + 7);
});
