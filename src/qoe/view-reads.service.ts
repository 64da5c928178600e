import type { Db } from '../db/database.ts';
import { AppError } from '../shared/errors.ts';
import { decodePageCursor, encodePageCursor } from '../shared/page-cursor.ts';
import {
  presentTimeline,
  presentView,
  type StateInterval,
  stateIntervals,
  type TimelineEntry,
  type ViewJson,
} from './view.presenter.ts';
import { listViews, type ViewFilter, viewById, viewEvents } from './view-reads.repo.ts';

export interface ViewListQuery {
  from?: string;
  to?: string;
  asset_id?: string;
  live_stream_id?: string;
  limit: number;
  cursor?: string;
}

/** A timeline longer than this (a day-long live session) is shown from its start, this far. */
const MAX_TIMELINE_EVENTS = 10_000;

const parseTime = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new AppError('FH_ERR_VALIDATION', `${name} is not an ISO-8601 time.`);
  return ms;
};

/** `GET /v1/qoe/views` and `GET /v1/qoe/views/{id}`: single views, as stored. */
export class QoeViewsService {
  readonly #db: Db;

  constructor(deps: { db: Db }) {
    this.#db = deps.db;
  }

  async list(query: ViewListQuery): Promise<{ data: ViewJson[]; next_cursor: string | null }> {
    const filter: ViewFilter = {};
    const from = parseTime(query.from, 'from');
    const to = parseTime(query.to, 'to');
    if (from !== undefined) filter.from = from;
    if (to !== undefined) filter.to = to;
    if (query.asset_id !== undefined) filter.assetId = query.asset_id;
    if (query.live_stream_id !== undefined) filter.liveStreamId = query.live_stream_id;
    let after: { startedAt: number; id: string } | undefined;
    if (query.cursor !== undefined) {
      // The cursor's time is the last view's started_at (epoch ms, as a string).
      const c = decodePageCursor(query.cursor);
      const startedAt = Number(c.createdAt);
      if (!Number.isSafeInteger(startedAt)) throw new AppError('FH_ERR_CURSOR_INVALID');
      after = { startedAt, id: c.id };
    }
    const rows = await listViews(this.#db, filter, query.limit + 1, after);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      data: page.map(presentView),
      next_cursor:
        rows.length > query.limit && last ? encodePageCursor(String(last.started_at), last.id) : null,
    };
  }

  async get(id: string): Promise<ViewJson & { timeline: TimelineEntry[]; states: StateInterval[] }> {
    const view = await viewById(this.#db, id);
    if (!view) throw new AppError('FH_ERR_NOT_FOUND', 'No view has this id.');
    const events = await viewEvents(this.#db, id, MAX_TIMELINE_EVENTS);
    return {
      ...presentView(view),
      timeline: presentTimeline(view, events),
      states: stateIntervals(view, events),
    };
  }
}
