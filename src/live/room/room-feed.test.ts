import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { waitFor } from '../../../test/helpers/wait.ts';
import { openDatabase } from '../../db/database.ts';
import { openTestDatabase, postgresSkip, type TestDatabase } from '../../db/test-databases.ts';
import { AppError } from '../../shared/errors.ts';
import { RoomFeed, startEventStream } from './room-feed.ts';
import { appendRoomEvent } from './room-log.ts';

/** Real HTTP responses for the feed to write to, and what each client received. */
class Responses {
  readonly #server: Server;
  readonly #waiting: ((res: ServerResponse) => void)[] = [];
  readonly clients: IncomingMessage[] = [];

  constructor() {
    this.#server = createServer((_req, res) => this.#waiting.shift()?.(res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  /** A response (server side) and the text its client has received so far. */
  async open(): Promise<{ res: ServerResponse; text: () => string; ended: () => boolean }> {
    const port = (this.#server.address() as AddressInfo).port;
    const res = new Promise<ServerResponse>((resolve) => this.#waiting.push(resolve));
    let text = '';
    let ended = false;
    get(`http://127.0.0.1:${port}/`, (client) => {
      this.clients.push(client);
      client.setEncoding('utf8');
      client.on('data', (d: string) => {
        text += d;
      });
      client.on('close', () => {
        ended = true;
      });
    }).on('error', () => {
      ended = true;
    });
    const r = await res;
    startEventStream(r);
    return { res: r, text: () => text, ended: () => ended };
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.destroy();
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('room feed: closed, or its database down', () => {
  const http = new Responses();
  before(() => http.listen());
  after(() => http.close());

  test('attach after close is refused and keeps nothing', async () => {
    const t = await openTestDatabase('sqlite');
    const feed = new RoomFeed({ db: t.db, pollMs: 50 });
    try {
      feed.close();
      const r = await http.open();
      await assert.rejects(
        feed.attach('s1', r.res),
        (e: unknown) => e instanceof AppError && e.code === 'FH_ERR_BUSY',
      );
      assert.equal(feed.connections, 0);
      assert.equal(feed.counts().size, 0);
    } finally {
      await t.close();
    }
  });

  test('the database down when the first connection comes: attach gives up, the connection is not kept', async () => {
    // A real PostgreSQL client to a port nothing listens on.
    const down = openDatabase('postgres://postgres@127.0.0.1:1/none');
    const feed = new RoomFeed({ db: down, pollMs: 50, attachTimeoutMs: 400 });
    try {
      const r = await http.open();
      const began = Date.now();
      await assert.rejects(
        feed.attach('s1', r.res),
        (e: unknown) => e instanceof AppError && e.code === 'FH_ERR_BUSY',
      );
      assert.ok(Date.now() - began < 3000);
      assert.equal(feed.connections, 0);
    } finally {
      feed.close();
      await down.destroy();
    }
  });
});

describe('room feed on PostgreSQL', { skip: postgresSkip('postgres') }, () => {
  let db: TestDatabase;
  const http = new Responses();

  before(async () => {
    db = await openTestDatabase('postgres');
    await http.listen();
  });
  after(async () => {
    await http.close();
    await db?.close();
  });

  test('a connection attached while a read is in flight gets a snapshot message once', async () => {
    const wake: (() => void)[] = [];
    const feed = new RoomFeed({
      db: db.db,
      pollMs: 60_000, // only the wake-ups below read
      wakeup: {
        subscribe: (l) => {
          wake.push(l);
          return () => {};
        },
      },
    });
    try {
      const first = await http.open();
      feed.start(await feed.attach('s1', first.res), 'event: snapshot\ndata: {}\n\n', new Set());
      await db.db.transaction().execute((trx) => appendRoomEvent(trx, 's1', 'message', { id: 'mmmmmmmm01' }));
      // Hold the reader's query on the log: it is in flight while the second connection attaches.
      const other = db.connect();
      await other.connection().execute(async (c) => {
        await sql`begin`.execute(c);
        await sql`lock table live_room_events in access exclusive mode`.execute(c);
        for (const l of wake) l();
        await new Promise((r) => setTimeout(r, 200));
        const second = await http.open();
        const conn = await feed.attach('s1', second.res);
        // Its snapshot (read meanwhile) holds the message already.
        feed.start(conn, 'event: snapshot\ndata: {"messages":["mmmmmmmm01"]}\n\n', new Set(['mmmmmmmm01']));
        await sql`commit`.execute(c);
        await waitFor(() => count(first.text(), '"id":"mmmmmmmm01"') === 1, { what: 'the first connection' });
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(count(second.text(), 'event: message'), 0, second.text());
        // A later message reaches it as usual.
        await db.db
          .transaction()
          .execute((trx) => appendRoomEvent(trx, 's1', 'message', { id: 'mmmmmmmm02' }));
        for (const l of wake) l();
        await waitFor(() => count(second.text(), '"id":"mmmmmmmm02"') === 1, { what: 'the next message' });
      });
    } finally {
      feed.close();
    }
  });

  test('a read that spans a stop and a restart does not move the new reader (no stale event after a snapshot)', async () => {
    const wake: (() => void)[] = [];
    const feed = new RoomFeed({
      db: db.db,
      pollMs: 60_000,
      wakeup: {
        subscribe: (l) => {
          wake.push(l);
          return () => {};
        },
      },
    });
    try {
      const first = await http.open();
      const a = await feed.attach('s2', first.res);
      feed.start(a, 'event: snapshot\ndata: {}\n\n', new Set());
      await db.db.transaction().execute((trx) => appendRoomEvent(trx, 's2', 'settings', { paused: true }));
      const other = db.connect();
      await other.connection().execute(async (c) => {
        await sql`begin`.execute(c);
        await sql`lock table live_room_events in access exclusive mode`.execute(c);
        for (const l of wake) l(); // a read, held by the lock
        await new Promise((r) => setTimeout(r, 200));
        feed.detach(a); // the last connection leaves: the reader stops
        const second = await http.open();
        const b = await feed.attach('s2', second.res); // and starts again, past the event
        feed.start(b, 'event: snapshot\ndata: {"paused":true}\n\n', new Set());
        await sql`commit`.execute(c);
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(count(second.text(), 'event: settings'), 0, second.text());
        // The new reader reads on from its own place.
        await db.db.transaction().execute((trx) => appendRoomEvent(trx, 's2', 'settings', { paused: false }));
        for (const l of wake) l();
        await waitFor(() => count(second.text(), '"paused":false') === 1, { what: 'the next event' });
        assert.equal(count(second.text(), 'event: settings'), 1, second.text());
      });
    } finally {
      feed.close();
    }
  });
});
