import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openTestDatabase, postgresSkip, TEST_DIALECTS } from '../../db/test-databases.ts';

// The room's hot lookups have indexes: new guests per address (every guest join), a room's
// presence rows (every viewer count), a recording's broadcast (the chat replay).
for (const dialect of TEST_DIALECTS)
  test(`room indexes (${dialect})`, { skip: postgresSkip(dialect) }, async () => {
    const t = await openTestDatabase(dialect);
    try {
      const names =
        dialect === 'sqlite'
          ? (await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(t.db))
              .rows
          : (
              await sql<{
                name: string;
              }>`select indexname as name from pg_indexes where schemaname = current_schema()`.execute(t.db)
            ).rows;
      const have = new Set(names.map((r) => r.name));
      for (const name of [
        'live_chat_viewers_address_idx',
        'live_room_presence_stream_idx',
        'live_broadcasts_asset_idx',
      ])
        assert.ok(have.has(name), `${name} exists`);
      if (dialect === 'sqlite') {
        const plan = await sql<{ detail: string }>`explain query plan select count(*) from live_chat_viewers
          where live_stream_id = 'a' and address_hash = 'b' and created_at > 'c'`.execute(t.db);
        assert.match(plan.rows.map((r) => r.detail).join(' '), /live_chat_viewers_address_idx/);
      }
    } finally {
      await t.close();
    }
  });
