import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openTestDatabase, postgresSkip } from '../src/db/test-databases.ts';
import { recordEvent } from '../src/events/outbox.ts';
import { OutboxDispatcher } from '../src/events/outbox-dispatcher.ts';
import { startTestServer } from './helpers/server.ts';

/**
 * Issue 12, item 1: on PostgreSQL a transaction that drew a lower `seq` can commit after one that
 * drew a higher one. Every round here makes exactly that happen while three outbox readers run —
 * a dispatcher on two "nodes", an SSE stream over HTTP and a client paging `GET /v1/events` — and
 * holds the lower one open until the readers have looked. Every reader must end with every
 * event once, in `seq` order. Odd rounds give the later-committing transaction the younger
 * transaction id (the other one took an id first), the case a filter on `xmin` alone gets wrong;
 * every tenth round adds an event whose transaction rolls back (a gap that never fills); and an
 * unrelated transaction holding a transaction id stays open the whole time (readers must not wait
 * for it).
 */
const ROUNDS = 1000;
/** Rounds run in this many lanes at once (each its two transactions), so waits on the disk overlap. */
const LANES = 8;
const POLL_MS = 5;
const EXPECTED = ROUNDS * 2;

interface Seen {
  seq: number;
  tag: string;
}

const isOurs = (assetId: string | null): assetId is string => assetId?.startsWith('ord') ?? false;
const tag = (round: number, which: 'lo' | 'hi' | 'rb') => `ord${String(round).padStart(5, '0')}${which}`;

describe('outbox readers on PostgreSQL', { skip: postgresSkip('postgres') }, () => {
  test(`${ROUNDS} rounds of two event transactions committed out of seq order: no reader loses or repeats one`, async (t) => {
    const database = await openTestDatabase('postgres');
    const server = await startTestServer({
      DATABASE_URL: database.url,
      FRAMEHOUSE_EVENTS_POLL_MS: String(POLL_MS),
      FRAMEHOUSE_WORKER_CONCURRENCY: '0',
      FRAMEHOUSE_RATE_LIMIT_PER_MINUTE: '1000000',
    });
    // Writers and each dispatcher node on connections of their own, as separate processes would be.
    const writers = [database.db, database.connect(), database.connect(), database.connect()];
    const errors: unknown[] = [];
    const unrelated = await database.db.startTransaction().execute();
    try {
      await sql`insert into instance_settings (key, value) values ('events-order-test', 'open')`.execute(
        unrelated,
      );

      // Reader 1: the dispatcher, as two nodes racing for each batch.
      const dispatched: Seen[] = [];
      const dispatchers = [database.connect(), database.connect()].map(
        (db) =>
          new OutboxDispatcher(
            db,
            'events_order_test',
            async (_trx, events) => {
              for (const e of events)
                if (isOurs(e.asset_id)) dispatched.push({ seq: e.seq, tag: e.asset_id });
              return events.length;
            },
            (err) => errors.push(err),
          ),
      );
      for (const d of dispatchers) await d.start(POLL_MS);

      // Reader 2: a live stream over HTTP, from now on.
      const streamed: Seen[] = [];
      const stream = await openStream(`${server.url}/v1/events/stream?type=asset.updated`, (e) => {
        const data = JSON.parse(e.data) as { asset_id: string | null };
        if (isOurs(data.asset_id)) streamed.push({ seq: Number(e.id), tag: data.asset_id });
      });

      // Reader 3: a client paging GET /v1/events with a small page, following next_cursor.
      const paged: Seen[] = [];
      let paging = true;
      const pager = (async () => {
        let cursor = '0';
        while (paging) {
          const res = await server.api<{
            data: Array<{ cursor: string; asset_id: string | null }>;
            next_cursor: string | null;
          }>(`/v1/events?type=asset.updated&limit=7&after=${cursor}`);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          for (const e of res.body.data)
            if (isOurs(e.asset_id)) paged.push({ seq: Number(e.cursor), tag: e.asset_id });
          cursor = res.body.next_cursor ?? cursor;
          if (res.body.data.length === 0) await sleep(POLL_MS);
        }
      })().catch((err: unknown) => errors.push(err));

      // The control: a reader as they all were before, `seq > cursor` up to whatever is visible.
      // It must lose events here, or this run did not make the hazard happen.
      const naive = new Set<string>();
      let naiveReading = true;
      const naiveReader = (async () => {
        const db = database.connect();
        let cursor = 0;
        while (naiveReading) {
          const rows = await db
            .selectFrom('events')
            .select(['seq', 'asset_id'])
            .where('seq', '>', cursor)
            .orderBy('seq')
            .limit(100)
            .execute();
          for (const r of rows) if (isOurs(r.asset_id)) naive.add(r.asset_id);
          cursor = rows.at(-1)?.seq ?? cursor;
          await sleep(POLL_MS);
        }
      })().catch((err: unknown) => errors.push(err));

      const started = performance.now();
      const lane = async (first: number) => {
        const db = writers[first % writers.length] as (typeof writers)[number];
        for (let round = first; round < ROUNDS; round += LANES) {
          const low = await db.startTransaction().execute();
          const high = await db.startTransaction().execute();
          // Odd rounds: `high` takes its transaction id first, so the event that commits last
          // (lower seq) belongs to the younger transaction.
          if (round % 2 === 1) await sql`select pg_current_xact_id()`.execute(high);
          await recordEvent(low, 'asset.updated', tag(round, 'lo'));
          await recordEvent(high, 'asset.updated', tag(round, 'hi'));
          await high.commit().execute();
          if (round % 10 === 0) {
            const doomed = await db.startTransaction().execute();
            await recordEvent(doomed, 'asset.updated', tag(round, 'rb'));
            await doomed.rollback().execute();
          }
          // The readers look while the lower seq is still uncommitted.
          await sleep(2 * POLL_MS);
          await low.commit().execute();
        }
      };
      await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));
      const writing = performance.now() - started;

      const readers = { dispatcher: dispatched, 'SSE stream': streamed, 'GET /v1/events': paged };
      const deadline = Date.now() + 30_000;
      const atEnd = Object.entries(readers)
        .map(([n, r]) => `${n} ${r.length}`)
        .join(', ');
      while (Object.values(readers).some((r) => r.length < EXPECTED) && Date.now() < deadline)
        await sleep(50);
      t.diagnostic(
        `at the end of writing: ${atEnd}; all caught up ${((performance.now() - started - writing) / 1000).toFixed(1)} s later`,
      );
      // Anything delivered twice would come now.
      await sleep(20 * POLL_MS);
      paging = false;
      naiveReading = false;
      await Promise.all([pager, naiveReader]);
      await stream.close();
      for (const d of dispatchers) await d.stop();

      const summary: string[] = [];
      for (const [name, seen] of Object.entries(readers)) {
        const tags = new Set(seen.map((s) => s.tag));
        const lost = EXPECTED - [...tags].filter((x) => !x.endsWith('rb')).length;
        const twice = seen.length - tags.size;
        const outOfOrder = seen.filter((s, i) => i > 0 && s.seq <= (seen[i - 1]?.seq ?? 0)).length;
        summary.push(
          `${name}: ${seen.length} received, ${lost} lost, ${twice} twice, ${outOfOrder} out of order`,
        );
      }
      const naiveLost = EXPECTED - [...naive].filter((x) => !x.endsWith('rb')).length;
      t.diagnostic(
        `${ROUNDS} rounds written in ${(writing / 1000).toFixed(1)} s; ${summary.join('; ')}; ` +
          `the control (seq > cursor) lost ${naiveLost}`,
      );
      assert.deepEqual(errors, []);
      assert.ok(naiveLost > 0, 'the control lost nothing: the readers never saw a gap that filled later');
      for (const [name, seen] of Object.entries(readers)) {
        const tags = seen.map((s) => s.tag);
        assert.equal(tags.filter((x) => x.endsWith('rb')).length, 0, `${name} saw a rolled-back event`);
        assert.equal(new Set(tags).size, tags.length, `${name} received an event twice`);
        assert.equal(tags.length, EXPECTED, `${name} lost ${EXPECTED - tags.length} of ${EXPECTED} events`);
        assert.ok(
          seen.every((s, i) => i === 0 || s.seq > (seen[i - 1]?.seq ?? 0)),
          `${name} received events out of order`,
        );
      }
    } finally {
      await unrelated.rollback().execute();
      await server.stop();
      await database.close();
    }
  });
});

/** A Server-Sent Events client (fetch and a line parser) handing every event to `onEvent`. */
async function openStream(url: string, onEvent: (e: { id: string; event: string; data: string }) => void) {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  assert.equal(res.status, 200);
  const reader = res.body?.getReader();
  assert.ok(reader);
  const decoder = new TextDecoder();
  // The first bytes (the `retry` line) come once the stream has settled where it starts.
  let buffer = decoder.decode((await reader.read()).value, { stream: true });
  const done = (async () => {
    for (;;) {
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const fields = new Map<string, string>();
        for (const line of buffer.slice(0, end).split('\n')) {
          const colon = line.indexOf(': ');
          if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
        }
        buffer = buffer.slice(end + 2);
        const data = fields.get('data');
        if (data !== undefined)
          onEvent({ id: fields.get('id') ?? '', event: fields.get('event') ?? '', data });
        end = buffer.indexOf('\n\n');
      }
      const chunk = await reader.read();
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  })().catch(() => {});
  return {
    close() {
      controller.abort();
      return done;
    },
  };
}
