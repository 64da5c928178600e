import type { ServerResponse } from 'node:http';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../shared/errors.ts';
import { readRoomLog, roomLogHead } from './room-log.ts';

/** Something that says "the log has new rows" (PostgreSQL NOTIFY); polling carries on without it. */
export interface RoomWakeup {
  subscribe(listener: () => void): () => void;
}

const PAGE = 1000;
/** How long a new connection waits for the reader's place in the log (the database may be down). */
const ATTACH_TIMEOUT_MS = 10_000;
const KEEPALIVE_MS = 15_000;
/** A writer still at work held the horizon back: look again this soon, not at the next poll. */
const HELD_BACK_RETRY_MS = 20;
/**
 * A connection whose socket has this much unsent is not keeping up (a stalled phone, a paused
 * tab): it is dropped (the page reconnects and gets a fresh snapshot) rather than buffered for
 * without limit.
 */
export const MAX_UNSENT_BYTES = 256 * 1024;

/** One open event stream. Until its snapshot is written, events for it wait in `pending`. */
export class RoomConnection {
  readonly streamId: string;
  readonly res: ServerResponse;
  pending: { type: string; id: string | undefined; chunk: string }[] | null = [];
  closed = false;
  /**
   * After `start`: the snapshot's message ids, left out of what is delivered until a read that
   * began after `start` has gone past everything committed before it (a read in flight when
   * the snapshot was taken may still bring them).
   */
  skip: ReadonlySet<string> | null = null;
  /** Reads begun before `start`: the ones that may still bring the snapshot's messages. */
  skipThroughRead = 0;

  constructor(streamId: string, res: ServerResponse) {
    this.streamId = streamId;
    this.res = res;
  }
}

/**
 * The fan-out reader: ONE per process, for all of its rooms. Each poll is one query on the room
 * log (whatever the number of rooms and connections); each event is formatted once, and each
 * connection of a room gets one write per batch with every event of that batch. On SQLite it
 * polls every `pollMs`; with a wake-up (PostgreSQL NOTIFY) it reads at once when a writer commits,
 * and polls every `safetyPollMs` in case a notification was lost.
 */
export class RoomFeed {
  readonly #db: Db;
  readonly #pollMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #rooms = new Map<string, Set<RoomConnection>>();
  /** Per room: changes whenever events of the room are delivered (a cached snapshot is good until then). */
  readonly #epochs = new Map<string, number>();
  #epoch = 0;
  #connections = 0;
  #cursor: number | null = null;
  #starting: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  #polling = false;
  #again = false;
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  readonly #emptyListeners: ((streamId: string) => void)[] = [];
  readonly #attachTimeoutMs: number;
  /**
   * Changes whenever the reader stops: a read (or a start) begun before must not touch the cursor
   * of the reader started after (it would set it back, or forward past events not yet delivered).
   */
  #generation = 0;
  /** Reads of the log begun so far (see RoomConnection.skip). */
  #reads = 0;
  /** Connections whose `skip` is still set. */
  readonly #skipping = new Set<RoomConnection>();
  /** Counters for tests and the bench: batches read, events delivered, slow connections dropped. */
  readonly stats = { polls: 0, events: 0, writes: 0, dropped: 0 };

  constructor(deps: {
    db: Db;
    pollMs: number;
    wakeup?: RoomWakeup;
    onError?: (err: unknown) => void;
    attachTimeoutMs?: number;
  }) {
    this.#db = deps.db;
    this.#attachTimeoutMs = deps.attachTimeoutMs ?? ATTACH_TIMEOUT_MS;
    this.#pollMs = deps.pollMs;
    this.#onError = deps.onError ?? (() => {});
    if (deps.wakeup) this.#unsubscribe = deps.wakeup.subscribe(() => this.#pollNow());
  }

  /** Connections per room on this process (presence). */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [streamId, conns] of this.#rooms) counts.set(streamId, conns.size);
    return counts;
  }

  get connections(): number {
    return this.#connections;
  }

  /**
   * Registers a connection before its snapshot is read, so that no event committed meanwhile is
   * missed: they wait in the connection until `start`. Resolves once the reader has its place in
   * the log.
   */
  async attach(streamId: string, res: ServerResponse): Promise<RoomConnection> {
    // Closed (the process is stopping): nothing would ever write to or end this connection.
    if (this.#closed) throw new AppError('FH_ERR_BUSY', undefined, { retry_after: 3 });
    const conn = new RoomConnection(streamId, res);
    let room = this.#rooms.get(streamId);
    if (!room) {
      room = new Set();
      this.#rooms.set(streamId, room);
      this.#epochs.set(streamId, ++this.#epoch);
    }
    room.add(conn);
    this.#connections++;
    this.#ensureRunning();
    // The database down when the first viewer comes: the reader keeps trying, this one does not
    // wait for ever (the page's EventSource tries again by itself).
    let timer: NodeJS.Timeout | undefined;
    const started = await Promise.race([
      this.#starting?.then(() => true) ?? Promise.resolve(true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.#attachTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (!started || this.#closed) {
      this.detach(conn);
      throw new AppError('FH_ERR_BUSY', undefined, { retry_after: 3 });
    }
    return conn;
  }

  /** Called with a room's id when this process's last connection to it leaves. */
  onRoomEmpty(listener: (streamId: string) => void): void {
    this.#emptyListeners.push(listener);
  }

  /**
   * The room's delivery epoch: a snapshot read after it was taken, while it is unchanged, is
   * complete for any connection attached meanwhile (what it lacks is still to be delivered).
   */
  epoch(streamId: string): number | undefined {
    return this.#epochs.get(streamId);
  }

  /** Writes the snapshot, then what arrived meanwhile (messages the snapshot holds left out). */
  start(conn: RoomConnection, snapshot: string, messageIds: ReadonlySet<string>): void {
    if (conn.closed) return;
    const pending = conn.pending ?? [];
    conn.pending = null;
    let chunk = snapshot;
    for (const e of pending) if (!(e.type === 'message' && e.id && messageIds.has(e.id))) chunk += e.chunk;
    this.#write(conn, Buffer.from(chunk));
    if (messageIds.size > 0 && !conn.closed) {
      conn.skip = messageIds;
      conn.skipThroughRead = this.#reads;
      this.#skipping.add(conn);
    }
  }

  detach(conn: RoomConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.pending = null;
    conn.skip = null;
    this.#skipping.delete(conn);
    const room = this.#rooms.get(conn.streamId);
    if (room?.delete(conn)) this.#connections--;
    if (room && room.size === 0) {
      this.#rooms.delete(conn.streamId);
      this.#epochs.delete(conn.streamId);
      for (const listener of this.#emptyListeners) listener(conn.streamId);
    }
    if (this.#connections === 0) this.#stop();
  }

  /** An event for this process's connections of a room only (the viewer count each process works out). */
  sendLocal(streamId: string, type: string, data: unknown): void {
    const room = this.#rooms.get(streamId);
    if (!room) return;
    const chunk = format(type, JSON.stringify(data));
    const bytes = Buffer.from(chunk);
    for (const conn of room) {
      if (conn.pending) conn.pending.push({ type, id: undefined, chunk });
      else this.#write(conn, bytes);
    }
  }

  close(): void {
    this.#closed = true;
    this.#unsubscribe?.();
    this.#stop();
    for (const room of this.#rooms.values()) for (const conn of room) conn.res.end();
    this.#rooms.clear();
    this.#skipping.clear();
    this.#connections = 0;
  }

  #ensureRunning(): void {
    if (this.#timer || this.#closed) return;
    const generation = this.#generation;
    this.#starting = (async () => {
      while (generation === this.#generation) {
        try {
          const head = await roomLogHead(this.#db);
          if (generation === this.#generation) this.#cursor = head;
          return;
        } catch (err) {
          this.#onError(err);
          await new Promise((r) => setTimeout(r, this.#pollMs));
        }
      }
    })();
    this.#timer = setInterval(() => void this.#poll(), this.#pollMs);
    this.#keepalive = setInterval(() => this.#ping(), KEEPALIVE_MS);
  }

  #stop(): void {
    this.#generation++;
    clearInterval(this.#timer);
    clearInterval(this.#keepalive);
    clearTimeout(this.#soon);
    this.#timer = undefined;
    this.#keepalive = undefined;
    this.#cursor = null;
    this.#starting = null;
  }

  #pollNow(): void {
    if (this.#timer) void this.#poll();
  }

  async #poll(): Promise<void> {
    // One read at a time; a wake-up during a read makes another right after it.
    if (this.#polling) {
      this.#again = true;
      return;
    }
    if (this.#cursor === null) return;
    this.#polling = true;
    const generation = this.#generation;
    try {
      do {
        this.#again = false;
        const read = ++this.#reads;
        const page = await readRoomLog(this.#db, this.#cursor, PAGE);
        // Stopped meanwhile (and perhaps started again, from a later place): this read is void.
        if (generation !== this.#generation || this.#cursor === null) return;
        this.stats.polls++;
        this.#cursor = page.through;
        if (page.events.length) this.#deliver(page.events);
        // Everything committed before this read began is delivered now: snapshots taken before
        // it can no longer be repeated by the log.
        if (!page.heldBack && page.events.length < PAGE) this.#settle(read);
        if (page.events.length === PAGE) this.#again = true;
        else if (page.heldBack) {
          clearTimeout(this.#soon);
          this.#soon = setTimeout(() => void this.#poll(), HELD_BACK_RETRY_MS);
        }
      } while (this.#again && this.#cursor !== null);
    } catch (err) {
      // The database is unreachable for a moment: the next poll tries again from the same place.
      this.#onError(err);
    } finally {
      this.#polling = false;
      // A wake-up that came during a void read is for the reader started since: read now.
      if (generation !== this.#generation && this.#again && this.#cursor !== null) void this.#poll();
    }
  }

  #settle(read: number): void {
    for (const conn of this.#skipping)
      if (read > conn.skipThroughRead) {
        conn.skip = null;
        this.#skipping.delete(conn);
      }
  }

  #deliver(events: { live_stream_id: string; type: string; data: string }[]): void {
    // Grouped per room: one chunk each, every event formatted once.
    const chunks = new Map<string, { type: string; id: string | undefined; chunk: string }[]>();
    for (const e of events) {
      if (!this.#rooms.has(e.live_stream_id)) continue;
      let list = chunks.get(e.live_stream_id);
      if (!list) {
        list = [];
        chunks.set(e.live_stream_id, list);
      }
      list.push({
        type: e.type,
        id: e.type === 'message' ? messageId(e.data) : undefined,
        chunk: format(e.type, e.data),
      });
      this.stats.events++;
    }
    for (const [streamId, list] of chunks) {
      const room = this.#rooms.get(streamId);
      if (!room) continue;
      this.#epochs.set(streamId, ++this.#epoch);
      const joined =
        list.length === 1 ? (list[0] as { chunk: string }).chunk : list.map((e) => e.chunk).join('');
      // Encoded once for the whole room: each connection's write is then one shared buffer.
      const bytes = Buffer.from(joined);
      for (const conn of room) {
        if (conn.pending) conn.pending.push(...list);
        else if (conn.skip) {
          const skip = conn.skip;
          const own = list.filter((e) => !(e.type === 'message' && e.id && skip.has(e.id)));
          if (own.length === list.length) this.#write(conn, bytes);
          else if (own.length) this.#write(conn, Buffer.from(own.map((e) => e.chunk).join('')));
        } else this.#write(conn, bytes);
      }
    }
  }

  /**
   * The event stream's response is not chunked (see sseHeaders), so this is one socket write of
   * the shared bytes: with 2,000 connections the writes are most of a batch's cost (profiled:
   * chunked encoding made each one three buffers).
   */
  #write(conn: RoomConnection, chunk: Buffer): void {
    const res = conn.res;
    if (res.destroyed || res.writableEnded) return;
    if (res.writableLength > MAX_UNSENT_BYTES) {
      this.stats.dropped++;
      this.detach(conn);
      res.destroy();
      return;
    }
    res.write(chunk);
    this.stats.writes++;
  }

  #ping(): void {
    for (const room of this.#rooms.values())
      for (const conn of room) if (!conn.pending) this.#write(conn, KEEPALIVE);
  }
}

const KEEPALIVE = Buffer.from(': keep-alive\n\n');

/**
 * Starts an event stream's response. It is the connection's only response and ends when the
 * connection does, so it goes without chunked encoding (removing Transfer-Encoding makes Node
 * send the body as is and close the connection after it): every event is then written as the
 * bytes all connections share, with no framing of its own.
 */
export function startEventStream(res: ServerResponse): void {
  res.removeHeader('transfer-encoding');
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    // Said outright: a body without a length or chunks ends when the connection closes.
    connection: 'close',
  });
  res.write('retry: 3000\n\n');
}

/** One Server-Sent Event; `data` is JSON (one line: JSON.stringify escapes line breaks). */
export function format(type: string, data: string): string {
  return `event: ${type}\ndata: ${data}\n\n`;
}

function messageId(data: string): string | undefined {
  // The id is the first field written (presentMessage's order): no need to parse the whole event.
  const m = /^\{"id":"([a-z0-9]+)"/.exec(data);
  return m?.[1];
}
