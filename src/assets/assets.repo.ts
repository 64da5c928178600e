import { type Kysely, sql, type Transaction } from 'kysely';
import type {
  AssetRow,
  AssetUpdate,
  Database,
  NewAsset,
  PlaybackIdRow,
  RenditionRow,
  RenditionsTable,
} from '../db/schema.ts';
import { isoNow } from '../shared/time.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** SQL for assets, their renditions and playback ids. Nothing else in the app writes these tables. */
export interface AssetFilter {
  status?: AssetRow['status'];
  /** Words in the title or file name. */
  q?: string;
  /** The trash instead of the library: newest deletion first, the cursor on `deleted_at`. */
  trashed?: boolean;
  /** Only the assets this actor made (`user:{id}`): an editor's view of the trash. */
  createdBy?: string;
}

/** A page's last row: where the next one starts (`at` is created_at, or deleted_at in the trash). */
export interface ListCursor {
  at: string;
  id: string;
}

export const assetsRepo = {
  async insert(db: Executor, asset: NewAsset): Promise<void> {
    await db.insertInto('assets').values(asset).execute();
  },

  /** Any asset, in the trash or not: what the pipeline and the trash itself work on. */
  async get(db: Executor, id: string): Promise<AssetRow | undefined> {
    return db.selectFrom('assets').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** The asset unless it is in the trash: what every reader outside the pipeline sees. */
  async getVisible(db: Executor, id: string): Promise<AssetRow | undefined> {
    return db
      .selectFrom('assets')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
  },

  /** Ids and titles of the assets among `ids` (a few hundred at a time); the trash's are left out. */
  async titles(db: Executor, ids: string[]): Promise<{ id: string; title: string | null }[]> {
    const out: { id: string; title: string | null }[] = [];
    for (let i = 0; i < ids.length; i += 500)
      out.push(
        ...(await db
          .selectFrom('assets')
          .select(['id', 'title'])
          .where('id', 'in', ids.slice(i, i + 500))
          .where('deleted_at', 'is', null)
          .execute()),
      );
    return out;
  },

  /**
   * Newest first; the cursor is the (created_at, id) of the last row of the previous page. The
   * trash (`filter.trashed`) lists newest deletion first, its cursor on (deleted_at, id).
   */
  async list(db: Executor, limit: number, after?: ListCursor, filter: AssetFilter = {}): Promise<AssetRow[]> {
    const order = filter.trashed ? 'deleted_at' : 'created_at';
    let q = db
      .selectFrom('assets')
      .selectAll()
      .where('deleted_at', filter.trashed ? 'is not' : 'is', null)
      .orderBy(order, 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (filter.createdBy) q = q.where('created_by', '=', filter.createdBy);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.q) {
      // Title or file name contains the words, in any case; LIKE's wildcards in the query are literal.
      const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) =>
        eb.or([
          eb(sql`lower(coalesce(title, ''))`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`lower(coalesce(source_filename, ''))`, 'like', sql`${pattern} escape '\\'`),
        ]),
      );
    }
    if (after) {
      q = q.where((eb) =>
        eb.or([eb(order, '<', after.at), eb.and([eb(order, '=', after.at), eb('id', '<', after.id)])]),
      );
    }
    return q.execute();
  },

  /** Into the trash; false when there is no such asset or it is in the trash already. */
  async moveToTrash(db: Executor, id: string, by: string, at: string): Promise<boolean> {
    const r = await db
      .updateTable('assets')
      .set({ deleted_at: at, deleted_by: by, updated_at: at })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /** Out of the trash; false when the asset is not in it. */
  async restoreFromTrash(db: Executor, id: string): Promise<boolean> {
    const r = await db
      .updateTable('assets')
      .set({ deleted_at: null, deleted_by: null, updated_at: isoNow() })
      .where('id', '=', id)
      .where('deleted_at', 'is not', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /**
   * Takes the row lock of an asset in the trash (a write that changes nothing), so that a restore
   * and a purge of one asset are serialized: the purge goes on only if the asset is still in the
   * trash, deleted before `before` when given. False otherwise.
   */
  async lockTrashed(db: Executor, id: string, before?: string): Promise<boolean> {
    let q = db
      .updateTable('assets')
      .set((eb) => ({ deleted_at: eb.ref('deleted_at') }))
      .where('id', '=', id)
      .where('deleted_at', 'is not', null);
    if (before) q = q.where('deleted_at', '<', before);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /** Assets deleted before `before`, oldest deletion first: the purge's next batch. */
  async trashedBefore(db: Executor, before: string, limit: number): Promise<string[]> {
    const rows = await db
      .selectFrom('assets')
      .select('id')
      .where('deleted_at', 'is not', null)
      .where('deleted_at', '<', before)
      .orderBy('deleted_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  },

  async update(db: Executor, id: string, patch: AssetUpdate): Promise<number> {
    const r = await db
      .updateTable('assets')
      .set({ ...patch, updated_at: isoNow() })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /** Sets the policy of every playback id of the asset; returns the policies they had. */
  async setPlaybackPolicy(db: Executor, assetId: string, policy: 'public' | 'signed'): Promise<string[]> {
    const before = await db
      .selectFrom('playback_ids')
      .select('policy')
      .where('asset_id', '=', assetId)
      .execute();
    await db.updateTable('playback_ids').set({ policy }).where('asset_id', '=', assetId).execute();
    return before.map((r) => r.policy);
  },

  async delete(db: Executor, id: string): Promise<boolean> {
    // Children first: no reliance on ON DELETE CASCADE being enabled on a connection.
    await db.deleteFrom('renditions').where('asset_id', '=', id).execute();
    await db.deleteFrom('playback_ids').where('asset_id', '=', id).execute();
    const r = await db.deleteFrom('assets').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },

  async renditions(db: Executor, assetIds: string[]): Promise<RenditionRow[]> {
    if (assetIds.length === 0) return [];
    return db
      .selectFrom('renditions')
      .selectAll()
      .where('asset_id', 'in', assetIds)
      .orderBy('position')
      .execute();
  },

  async replaceRenditions(
    db: Executor,
    assetId: string,
    rows: Omit<RenditionsTable, 'asset_id'>[],
  ): Promise<void> {
    await db.deleteFrom('renditions').where('asset_id', '=', assetId).execute();
    if (rows.length)
      await db
        .insertInto('renditions')
        .values(rows.map((r) => ({ ...r, asset_id: assetId })))
        .execute();
  },

  async updateRenditions(
    db: Executor,
    assetId: string,
    patch: Partial<Pick<RenditionsTable, 'status' | 'bandwidth' | 'average_bandwidth'>>,
    name?: string,
    /** Only renditions not `ready` (what turns ready is counted once: usage metering). */
    o: { unlessReady?: boolean } = {},
  ): Promise<number> {
    let q = db
      .updateTable('renditions')
      .set({ ...patch, updated_at: isoNow() })
      .where('asset_id', '=', assetId);
    if (name) q = q.where('name', '=', name);
    if (o.unlessReady) q = q.where('status', '!=', 'ready');
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows);
  },

  /** Renditions that did not land become `errored`; the ready ones stay. */
  async failUnfinishedRenditions(db: Executor, assetId: string): Promise<void> {
    await db
      .updateTable('renditions')
      .set({ status: 'errored' })
      .where('asset_id', '=', assetId)
      .where('status', '!=', 'ready')
      .execute();
  },

  async playbackIds(db: Executor, assetIds: string[]): Promise<PlaybackIdRow[]> {
    if (assetIds.length === 0) return [];
    return db
      .selectFrom('playback_ids')
      .selectAll()
      .where('asset_id', 'in', assetIds)
      .orderBy('created_at')
      .execute();
  },

  async insertPlaybackId(db: Executor, row: PlaybackIdRow): Promise<void> {
    await db.insertInto('playback_ids').values(row).execute();
  },

  async assetByPlaybackId(
    db: Executor,
    playbackId: string,
  ): Promise<(AssetRow & { policy: string }) | undefined> {
    // An asset in the trash plays nowhere.
    return db
      .selectFrom('playback_ids')
      .innerJoin('assets', 'assets.id', 'playback_ids.asset_id')
      .selectAll('assets')
      .select('playback_ids.policy')
      .where('playback_ids.id', '=', playbackId)
      .where('assets.deleted_at', 'is', null)
      .executeTakeFirst();
  },
};
