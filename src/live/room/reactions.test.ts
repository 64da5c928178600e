import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { waitFor } from '../../../test/helpers/wait.ts';
import { openTestDatabase, postgresSkip, type TestDatabase } from '../../db/test-databases.ts';
import { ReactionAggregator } from './reactions.ts';

let db: TestDatabase;
const skip = postgresSkip('postgres');

before(async () => {
  if (skip) return;
  db = await openTestDatabase('postgres');
  const now = new Date().toISOString();
  await sql`insert into live_streams (id, status, stream_key, stream_key_hash, srt_passphrase, latency_mode,
      reconnect_window, record, created_at, updated_at)
    values ('stream0000000001', 'idle', 'k', 'kh', 'p', 'standard', 60, 0, ${now}, ${now})`.execute(db.db);
});
after(async () => db?.close());

const hearts = async () =>
  (
    await sql<{ data: string }>`select data from live_room_events where type = 'reactions'`.execute(db.db)
  ).rows.reduce((n, r) => n + ((JSON.parse(r.data) as { counts: { heart?: number } }).counts.heart ?? 0), 0);

test('taps that arrive during a flush slower than 500 ms are written without another tap', {
  skip,
}, async () => {
  const reactions = new ReactionAggregator({ db: db.db });
  const other = db.connect();
  try {
    await other.connection().execute(async (c) => {
      // The first flush waits on this lock for over a second.
      await sql`begin`.execute(c);
      await sql`lock table live_room_events in access exclusive mode`.execute(c);
      reactions.add('stream0000000001', 'heart', 1);
      await new Promise((r) => setTimeout(r, 700)); // the flush is running (and stuck) now
      reactions.add('stream0000000001', 'heart', 2); // its timer fires during the flush
      await new Promise((r) => setTimeout(r, 600));
      await sql`commit`.execute(c);
    });
    await waitFor(async () => (await hearts()) === 3, { timeoutMs: 3000, what: 'all 3 hearts written' });
  } finally {
    await reactions.close();
  }
});
