import type { Db } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import type { ClientClass } from './client-class.ts';
import type { QoeContent } from './content-lookup.ts';
import type { ViewReport } from './report.ts';
import {
  applyReports,
  compareReports,
  needsReplay,
  newViewState,
  summarise,
  type ViewState,
} from './view-reducer.ts';
import { type Executor, type OpenViewRow, type ViewEvent, viewsRepo } from './views.repo.ts';

/** Who watches: what a view keeps of the client (computed before the transaction). */
export interface ViewClient extends ClientClass {
  country: string;
}

/** One request's reports of one view (`sid`), as received. */
export interface ReportBatch {
  sid: string;
  content: QoeContent;
  client: ViewClient;
  /** Sorted or not: the writer applies them in (ts, sn) order. */
  reports: ViewReport[];
  /** The server's clock when the request arrived (epoch ms). */
  receivedAt: number;
}

/** What became of a request's reports. */
export interface WriteResult {
  /** Added to their view (or already there: a retried request). */
  stored: number;
  /** Of those, the ones that were there already. */
  duplicates: number;
  /** For a view already closed: acknowledged and dropped. */
  late: number;
  /** Naming another playback id than their view's (`sid`) first report: dropped. */
  mismatched: number;
}

interface Waiting {
  batches: ReportBatch[];
  resolve(result: WriteResult): void;
  reject(err: unknown): void;
}

/** The reports of one view in a flush, each with the request it came from. */
interface ViewGroup {
  sid: string;
  items: { report: ViewReport; batch: ReportBatch; owner: Waiting }[];
}

/** Tally per request, kept apart until the transaction that wrote it commits. */
type Tally = Map<Waiting, WriteResult>;

/**
 * Reports one view keeps: hls.js sends one every 10 s and a few per state change, so this is
 * about two days of playback; beyond it a view's reports are dropped (counted as late).
 */
export const MAX_REPORTS_PER_VIEW = 20_000;

const isFull = (state: string) => (JSON.parse(state) as ViewState).reports >= MAX_REPORTS_PER_VIEW;

/** Seconds a client is told to wait when the database failed (Retry-After). */
const RETRY_AFTER_SECONDS = 5;

const keyOf = (viewId: string, r: { ts: number; sn: number; event: string }) =>
  `${viewId}\u0000${r.ts}\u0000${r.sn}\u0000${r.event}`;

/**
 * Group commit of player reports. A request hands its parsed reports over and waits; a flush
 * starts as soon as the previous one has finished (never on a timer), takes everything queued, and
 * writes it in one transaction: for each view (in `sid` order), its row is read and locked, or
 * made; its new reports go into its timeline, deduplicated on (view, ts, sn, event); its state
 * moves on (or, for a report older than the last applied, is recomputed from the whole
 * timeline), and its row is written. The requests are answered after the commit: an answer means
 * stored. Under load a flush carries many requests, so the cost of a transaction is shared; idle,
 * a request is written at once.
 *
 * Two processes may write the same view at once (`serve`'s HTTP processes share one SQLite file,
 * api nodes one PostgreSQL): SQLite's transactions take the write lock first (BEGIN IMMEDIATE);
 * on PostgreSQL the view's row is locked (FOR UPDATE) before it is read, and two processes making
 * the same view meet on the unique `sid`: the loser reads the winner's view and goes on from it.
 *
 * When a flush fails, each of its views is tried again in a transaction of its own, so one view
 * that cannot be written fails only its own requests (a coded 503 the player retries).
 */
export class ReportWriter {
  readonly #db: Db;
  readonly #onError: (err: unknown) => void;
  #queue: Waiting[] = [];
  #running: Promise<void> | null = null;
  #flushes = 0;

  constructor(deps: { db: Db; onError?: (err: unknown) => void }) {
    this.#db = deps.db;
    this.#onError = deps.onError ?? (() => {});
  }

  /** Stores the reports; resolves once they are committed, rejects (FH_ERR_QOE_UNAVAILABLE) when they could not be. */
  write(batches: ReportBatch[]): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ batches, resolve, reject });
      this.#kick();
    });
  }

  /** Flushes so far (each one transaction, or one per view after a failure): requests share them under load. */
  get flushes(): number {
    return this.#flushes;
  }

  /** Waits for the writes under way (the requests waiting for them are answered). */
  async close(): Promise<void> {
    await this.#running;
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = (async () => {
      while (this.#queue.length > 0) {
        // Once round the event loop first (setImmediate: no timer, no fixed wait): the requests
        // read in the same turn join this flush. SQLite answers within microtasks, so without it
        // a flush would never yield, and each request would be a transaction of its own.
        await new Promise((resolve) => setImmediate(resolve));
        const taken = this.#queue;
        this.#queue = [];
        await this.#flush(taken);
      }
    })().finally(() => {
      this.#running = null;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async #flush(waiting: Waiting[]): Promise<void> {
    this.#flushes++;
    const groups = groupBySid(waiting);
    const failed = new Set<Waiting>();
    const done: Tally = new Map();
    try {
      const tally = await viewsRepo.transaction(this.#db, (trx) => this.#writeViews(trx, groups));
      addTally(done, tally);
    } catch (err) {
      this.#onError(err);
      if (groups.length === 1) {
        for (const w of waiting) failed.add(w);
      } else {
        // One view at a time: a view that cannot be written fails its own requests only. Two
        // failures in a row look like the database, not a view: the rest fail without trying.
        let failuresInARow = 0;
        for (const group of groups) {
          const owners = new Set(group.items.map((i) => i.owner));
          if (failuresInARow >= 2 || [...owners].every((o) => failed.has(o))) {
            for (const o of owners) failed.add(o);
            continue;
          }
          try {
            addTally(done, await viewsRepo.transaction(this.#db, (trx) => this.#writeViews(trx, [group])));
            failuresInARow = 0;
          } catch (groupErr) {
            if (groupErr !== err) this.#onError(groupErr);
            failuresInARow++;
            for (const o of owners) failed.add(o);
          }
        }
      }
    }
    for (const w of waiting) {
      if (failed.has(w))
        w.reject(new AppError('FH_ERR_QOE_UNAVAILABLE', undefined, { retry_after: RETRY_AFTER_SECONDS }));
      else w.resolve(done.get(w) ?? emptyResult());
    }
  }

  /** Writes the views of `groups` (sorted by sid) in `trx`; returns what became of each request's reports. */
  async #writeViews(trx: Executor, groups: readonly ViewGroup[]): Promise<Tally> {
    const tally: Tally = new Map();
    const count = (owner: Waiting, field: keyof WriteResult, n = 1) => {
      const result = tally.get(owner) ?? emptyResult();
      result[field] += n;
      tally.set(owner, result);
    };
    const rows = new Map(
      (
        await viewsRepo.lockBySid(
          trx,
          groups.map((g) => g.sid),
        )
      ).map((r) => [r.sid, r]),
    );
    const events: ViewEvent[] = [];
    const existing: { group: ViewGroup; row: OpenViewRow; items: ViewGroup['items'] }[] = [];

    for (const group of groups) {
      let row = rows.get(group.sid);
      if (!row) {
        const made = await this.#makeView(trx, group);
        if (made) {
          for (const item of made.items) count(item.owner, 'stored');
          for (const item of made.mismatched) count(item.owner, 'mismatched');
          for (const item of made.repeated) {
            count(item.owner, 'stored');
            count(item.owner, 'duplicates');
          }
          events.push(...made.items.map((i) => eventOf(made.id, i.report)));
          continue;
        }
        // Made meanwhile by another process (its transaction committed first): go on from its row.
        row = (await viewsRepo.lockBySid(trx, [group.sid]))[0];
        if (!row) throw new Error(`view of session ${group.sid} neither made nor found`);
      }
      // A closed view is counted already; a full one has all a view may keep (its timeline is
      // replayed whole when a report comes out of order, so it must stay bounded).
      if (row.closed_at !== null || isFull(row.state)) {
        for (const item of group.items) count(item.owner, 'late');
        continue;
      }
      const playbackId = row.playback_id;
      const mine = group.items.filter((i) => i.batch.content.playback_id === playbackId);
      for (const item of group.items) if (!mine.includes(item)) count(item.owner, 'mismatched');
      if (mine.length === 0) continue;
      existing.push({ group, row, items: mine });
      events.push(...mine.map((i) => eventOf(row.id, i.report)));
    }

    const added = new Set(
      (await viewsRepo.insertEvents(trx, dedupeEvents(events))).map((k) => keyOf(k.view_id, k)),
    );
    for (const { row, items } of existing) {
      const fresh: ViewReport[] = [];
      for (const item of items) {
        count(item.owner, 'stored');
        // Taken out of `added` as it is used: a report sent twice in one flush is new once.
        if (added.delete(keyOf(row.id, item.report))) fresh.push(item.report);
        else count(item.owner, 'duplicates');
      }
      if (fresh.length === 0) continue;
      const content = (items[0] as ViewGroup['items'][number]).batch.content;
      let state = JSON.parse(row.state) as ViewState;
      if (needsReplay(state, fresh)) {
        const timeline = await viewsRepo.timeline(trx, row.id);
        state = applyReports(newViewState(state.offset), timeline.map(reportOfEvent), content.ladder);
      } else {
        state = applyReports(state, fresh, content.ladder);
      }
      const receivedAt = Math.max(row.received_at, ...items.map((i) => i.batch.receivedAt));
      await viewsRepo.updateView(trx, row.id, viewColumns(state, receivedAt));
    }
    return tally;
  }

  /**
   * Makes the view of a session not seen before, with its first reports applied. Its clock offset
   * is the first request's: the server's time then minus the newest `ts` that request carried.
   */
  async #makeView(trx: Executor, group: ViewGroup) {
    const first = (group.items[0] as ViewGroup['items'][number]).batch;
    const seen = new Set<string>();
    const items: ViewGroup['items'] = [];
    const mismatched: ViewGroup['items'] = [];
    const repeated: ViewGroup['items'] = [];
    for (const item of group.items) {
      if (item.batch.content.playback_id !== first.content.playback_id) mismatched.push(item);
      else if (seen.has(keyOf('', item.report))) repeated.push(item);
      else {
        seen.add(keyOf('', item.report));
        items.push(item);
      }
    }
    const offset = first.receivedAt - Math.max(...first.reports.map((r) => r.ts));
    const state = applyReports(
      newViewState(offset),
      items.map((i) => i.report),
      first.content.ladder,
    );
    const id = newId();
    const receivedAt = Math.max(...items.map((i) => i.batch.receivedAt));
    const made = await viewsRepo.insertView(trx, {
      id,
      sid: group.sid,
      playback_id: first.content.playback_id,
      asset_id: first.content.asset_id,
      live_stream_id: first.content.live_stream_id,
      device_type: first.client.device_type,
      os: first.client.os,
      browser: first.client.browser,
      country: first.client.country,
      closed_at: null,
      ...viewColumns(state, receivedAt),
    });
    return made ? { id, items, mismatched, repeated } : null;
  }
}

function groupBySid(waiting: readonly Waiting[]): ViewGroup[] {
  const groups = new Map<string, ViewGroup>();
  for (const owner of waiting) {
    for (const batch of owner.batches) {
      let group = groups.get(batch.sid);
      if (!group) {
        group = { sid: batch.sid, items: [] };
        groups.set(batch.sid, group);
      }
      for (const report of batch.reports) group.items.push({ report, batch, owner });
    }
  }
  const sorted = [...groups.values()].sort((a, b) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0));
  for (const g of sorted) g.items.sort((a, b) => compareReports(a.report, b.report));
  return sorted;
}

/** The row's columns that follow from the state: metrics, times on the server's clock, the state. */
function viewColumns(state: ViewState, receivedAt: number) {
  return {
    ...summarise(state, { closed: false }),
    started_at: (state.firstTs ?? 0) + state.offset,
    last_report_at: (state.lastTs ?? 0) + state.offset,
    received_at: receivedAt,
    report_count: state.reports,
    state: JSON.stringify(state),
  };
}

const eventOf = (viewId: string, r: ViewReport): ViewEvent => ({
  view_id: viewId,
  ts: r.ts,
  sn: r.sn,
  event: r.event,
  state: r.state,
  data: JSON.stringify(r.data),
});

const reportOfEvent = (e: ViewEvent): ViewReport => ({
  ts: Number(e.ts),
  sn: Number(e.sn),
  event: e.event,
  state: e.state as ViewReport['state'],
  data: JSON.parse(e.data),
});

function dedupeEvents(events: readonly ViewEvent[]): ViewEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const key = keyOf(e.view_id, e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const emptyResult = (): WriteResult => ({ stored: 0, duplicates: 0, late: 0, mismatched: 0 });

function addTally(into: Tally, from: Tally): void {
  for (const [owner, r] of from) {
    const result = into.get(owner) ?? emptyResult();
    result.stored += r.stored;
    result.duplicates += r.duplicates;
    result.late += r.late;
    result.mismatched += r.mismatched;
    into.set(owner, result);
  }
}
