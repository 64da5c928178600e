import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest } from './database.ts';
import { openTestDatabase, postgresSkip, TEST_DIALECTS } from './test-databases.ts';

for (const dialect of TEST_DIALECTS) {
  test(`migrations run once and are idempotent (${dialect})`, { skip: postgresSkip(dialect) }, async () => {
    const t = await openTestDatabase(dialect);
    try {
      assert.deepEqual(await migrateToLatest(t.db), [], 'already applied by openTestDatabase');
      const other = t.connect();
      assert.deepEqual(await migrateToLatest(other), []);
      const rows = await t.db.selectFrom('assets').selectAll().execute();
      assert.deepEqual(rows, []);
    } finally {
      await t.close();
    }
  });
}

test('two schemas in one PostgreSQL database each get their own tables', {
  skip: postgresSkip('postgres'),
}, async () => {
  // Kysely looks for its bookkeeping tables in every schema unless told which: a second
  // installation in the same database must still be migrated.
  const first = await openTestDatabase('postgres');
  const second = await openTestDatabase('postgres');
  try {
    for (const t of [first, second]) {
      const r = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables
        where table_schema = current_schema() and table_name in ('assets', 'jobs', 'kysely_migration')`.execute(
        t.db,
      );
      assert.equal(r.rows[0]?.n, 3);
    }
  } finally {
    await first.close();
    await second.close();
  }
});
