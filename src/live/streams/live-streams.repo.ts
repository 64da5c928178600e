import { type Kysely, sql, type Transaction, type Updateable } from 'kysely';
import type {
  Database,
  LiveBroadcastRow,
  LiveBroadcastsTable,
  LiveNodeRow,
  LiveNodesTable,
  LivePlaybackIdRow,
  LiveSegmentRow,
  LiveStreamRow,
  LiveStreamStatus,
  LiveStreamsTable,
} from '../../db/schema.ts';
import { isoNow } from '../../shared/time.ts';
import type { PortRange } from './stream-keys.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** SQL for live streams, their playback ids, broadcasts, segments and live nodes. Nothing else writes these tables. */
export const liveStreamsRepo = {
  async insert(db: Executor, row: LiveStreamRow): Promise<void> {
    await db.insertInto('live_streams').values(row).execute();
  },

  get(db: Executor, id: string): Promise<LiveStreamRow | undefined> {
    return db.selectFrom('live_streams').selectAll().where('id', '=', id).executeTakeFirst();
  },

  byKeyHash(db: Executor, hash: string): Promise<LiveStreamRow | undefined> {
    return db.selectFrom('live_streams').selectAll().where('stream_key_hash', '=', hash).executeTakeFirst();
  },

  /** Newest first; the cursor is the (created_at, id) of the last row of the previous page. */
  list(db: Executor, limit: number, after?: { createdAt: string; id: string }): Promise<LiveStreamRow[]> {
    let q = db
      .selectFrom('live_streams')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
        ]),
      );
    }
    return q.execute();
  },

  /**
   * Updates the stream; with `fromStatus`, only while it is in one of those states (a state
   * change decided in SQL, so two nodes racing cannot both win). Returns whether a row changed.
   */
  async update(
    db: Executor,
    id: string,
    patch: Updateable<LiveStreamsTable>,
    fromStatus?: readonly LiveStreamStatus[],
  ): Promise<boolean> {
    let q = db
      .updateTable('live_streams')
      .set({ ...patch, updated_at: isoNow() })
      .where('id', '=', id);
    if (fromStatus) q = q.where('status', 'in', fromStatus);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  async delete(db: Executor, id: string): Promise<boolean> {
    await db.deleteFrom('live_playback_ids').where('live_stream_id', '=', id).execute();
    const r = await db.deleteFrom('live_streams').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },

  /** SRT ports of the range that streams hold. */
  async usedSrtPorts(db: Executor, range: PortRange): Promise<Set<number>> {
    const rows = await db
      .selectFrom('live_streams')
      .select('srt_port')
      .where('srt_port', '>=', range.first)
      .where('srt_port', '<=', range.last)
      .execute();
    return new Set(rows.map((r) => Number(r.srt_port)));
  },

  async insertPlaybackId(db: Executor, row: LivePlaybackIdRow): Promise<void> {
    await db.insertInto('live_playback_ids').values(row).execute();
  },

  async playbackIds(db: Executor, streamIds: string[]): Promise<LivePlaybackIdRow[]> {
    if (streamIds.length === 0) return [];
    return db
      .selectFrom('live_playback_ids')
      .selectAll()
      .where('live_stream_id', 'in', streamIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  },

  async setPlaybackPolicy(db: Executor, streamId: string, policy: 'public' | 'signed'): Promise<void> {
    await db
      .updateTable('live_playback_ids')
      .set({ policy })
      .where('live_stream_id', '=', streamId)
      .execute();
  },

  streamByPlaybackId(
    db: Executor,
    playbackId: string,
  ): Promise<(LiveStreamRow & { policy: 'public' | 'signed' }) | undefined> {
    return db
      .selectFrom('live_playback_ids')
      .innerJoin('live_streams', 'live_streams.id', 'live_playback_ids.live_stream_id')
      .selectAll('live_streams')
      .select('live_playback_ids.policy')
      .where('live_playback_ids.id', '=', playbackId)
      .executeTakeFirst();
  },

  /** The recordings' asset ids of the streams' broadcasts, oldest broadcast first (none in the trash). */
  recordings(db: Executor, streamIds: string[]): Promise<{ live_stream_id: string; asset_id: string }[]> {
    if (streamIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('live_broadcasts')
      .select(['live_stream_id', 'asset_id'])
      .where('live_stream_id', 'in', streamIds)
      .where('asset_id', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('assets')
              .select('assets.id')
              .whereRef('assets.id', '=', 'live_broadcasts.asset_id')
              .where('assets.deleted_at', 'is not', null),
          ),
        ),
      )
      .orderBy('started_at')
      .orderBy('id')
      .execute() as Promise<{ live_stream_id: string; asset_id: string }[]>;
  },

  /** Streams receiving a publish now (`active`), counted per owner (`created_by`); `owner` narrows it to one. */
  async receivingByOwner(db: Executor, owner?: string): Promise<{ owner: string; streams: number }[]> {
    let q = db
      .selectFrom('live_streams')
      .select(['created_by as owner', (eb) => eb.fn.countAll<number | string>().as('streams')])
      .where('status', '=', 'active')
      .where('created_by', 'is not', null)
      .groupBy('created_by');
    if (owner !== undefined) q = q.where('created_by', '=', owner);
    const rows = await q.execute();
    return rows.map((r) => ({ owner: r.owner ?? '', streams: Number(r.streams) }));
  },

  withSrtPort(db: Executor): Promise<LiveStreamRow[]> {
    return db.selectFrom('live_streams').selectAll().where('srt_port', 'is not', null).execute();
  },

  withStatus(db: Executor, status: LiveStreamStatus): Promise<LiveStreamRow[]> {
    return db.selectFrom('live_streams').selectAll().where('status', '=', status).execute();
  },

  /** Streams held (active or disconnected) by any of these nodes. */
  streamsOnNodes(db: Executor, nodeIds: string[]): Promise<LiveStreamRow[]> {
    if (nodeIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('live_streams')
      .selectAll()
      .where('node_id', 'in', nodeIds)
      .where('status', 'in', ['active', 'disconnected'])
      .execute();
  },

  // Broadcasts.

  async insertBroadcast(db: Executor, row: LiveBroadcastRow): Promise<void> {
    await db.insertInto('live_broadcasts').values(row).execute();
  },

  getBroadcast(db: Executor, id: string): Promise<LiveBroadcastRow | undefined> {
    return db.selectFrom('live_broadcasts').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async updateBroadcast(
    db: Executor,
    id: string,
    patch: Updateable<LiveBroadcastsTable>,
    fromStatus?: readonly LiveBroadcastRow['status'][],
  ): Promise<boolean> {
    let q = db.updateTable('live_broadcasts').set(patch).where('id', '=', id);
    if (fromStatus) q = q.where('status', 'in', fromStatus);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  async deleteBroadcast(db: Executor, id: string): Promise<void> {
    await db.deleteFrom('live_segments').where('broadcast_id', '=', id).execute();
    await db.deleteFrom('live_broadcasts').where('id', '=', id).execute();
  },

  // Segments.

  /** Idempotent: a segment written twice (a retried upload) keeps its first row. */
  async insertSegment(db: Executor, row: LiveSegmentRow): Promise<void> {
    await db
      .insertInto('live_segments')
      .values(row)
      .onConflict((oc) => oc.columns(['broadcast_id', 'rendition', 'msn']).doNothing())
      .execute();
  },

  /** next_msn only moves forward (segments of several renditions land in any order). */
  async advanceNextMsn(db: Executor, broadcastId: string, nextMsn: number, discontinuitySequence?: number) {
    await db
      .updateTable('live_broadcasts')
      .set({
        next_msn: sql<number>`case when next_msn > ${nextMsn} then next_msn else ${nextMsn} end`,
        ...(discontinuitySequence !== undefined
          ? {
              discontinuity_sequence: sql<number>`case when discontinuity_sequence > ${discontinuitySequence} then discontinuity_sequence else ${discontinuitySequence} end`,
            }
          : {}),
      })
      .where('id', '=', broadcastId)
      .execute();
  },

  listSegments(
    db: Executor,
    broadcastId: string,
    opts: { rendition?: string; fromMsn?: number; limit: number },
  ): Promise<LiveSegmentRow[]> {
    let q = db.selectFrom('live_segments').selectAll().where('broadcast_id', '=', broadcastId);
    if (opts.rendition !== undefined) q = q.where('rendition', '=', opts.rendition);
    if (opts.fromMsn !== undefined) q = q.where('msn', '>=', opts.fromMsn);
    return q.orderBy('rendition').orderBy('msn').limit(opts.limit).execute();
  },

  // Live nodes.

  async upsertNode(db: Executor, row: LiveNodeRow): Promise<void> {
    await db
      .insertInto('live_nodes')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          host: row.host,
          internal_url: row.internal_url,
          rtmp_port: row.rtmp_port,
          streams: row.streams,
          max_streams: row.max_streams,
          started_at: row.started_at,
          last_seen_at: row.last_seen_at,
        }),
      )
      .execute();
  },

  async updateNode(db: Executor, id: string, patch: Updateable<LiveNodesTable>): Promise<boolean> {
    const r = await db.updateTable('live_nodes').set(patch).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  getNode(db: Executor, id: string): Promise<LiveNodeRow | undefined> {
    return db.selectFrom('live_nodes').selectAll().where('id', '=', id).executeTakeFirst();
  },

  nodesSeenSince(db: Executor, since: string): Promise<LiveNodeRow[]> {
    return db.selectFrom('live_nodes').selectAll().where('last_seen_at', '>=', since).orderBy('id').execute();
  },

  nodesNotSeenSince(db: Executor, since: string): Promise<LiveNodeRow[]> {
    return db.selectFrom('live_nodes').selectAll().where('last_seen_at', '<', since).orderBy('id').execute();
  },

  async deleteNode(db: Executor, id: string): Promise<void> {
    await db.deleteFrom('live_nodes').where('id', '=', id).execute();
  },
};

/** A unique index refused the row: which column, when we can tell (SQLite and PostgreSQL word it differently). */
export function uniqueViolation(err: unknown): string | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { code?: unknown; errcode?: unknown; message?: unknown; constraint?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.code === '23505') return typeof e.constraint === 'string' ? e.constraint : message;
  if (e.errcode === 2067 || e.errcode === 1555 || /UNIQUE constraint failed/.test(message)) return message;
  return null;
}
