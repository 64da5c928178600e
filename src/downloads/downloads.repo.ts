import type { Kysely, Transaction } from 'kysely';
import type { Database, DownloadRow } from '../db/schema.ts';
import { isoNow } from '../shared/time.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** SQL for asset_downloads. Nothing else in the app writes this table. */
export const downloadsRepo = {
  async forAssets(db: Executor, assetIds: string[]): Promise<DownloadRow[]> {
    if (assetIds.length === 0) return [];
    return db
      .selectFrom('asset_downloads')
      .selectAll()
      .where('asset_id', 'in', assetIds)
      .orderBy('name')
      .execute();
  },

  async get(db: Executor, assetId: string, name: string): Promise<DownloadRow | undefined> {
    return db
      .selectFrom('asset_downloads')
      .selectAll()
      .where('asset_id', '=', assetId)
      .where('name', '=', name)
      .executeTakeFirst();
  },

  /**
   * Takes the asset's row lock (a write that changes nothing) so that deciding on its downloads
   * is serialized with any other such decision and with a change of its `mp4_support`: without
   * it, on PostgreSQL, a PATCH and a rung landing at once could each miss the other's change.
   * False when there is no such asset.
   */
  async lockAsset(db: Executor, assetId: string): Promise<boolean> {
    const r = await db
      .updateTable('assets')
      .set((eb) => ({ mp4_support: eb.ref('mp4_support') }))
      .where('id', '=', assetId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /** A new download to make; false when the asset has one of this name already. */
  async insertPreparing(
    db: Executor,
    row: Pick<DownloadRow, 'asset_id' | 'name' | 'rendition' | 'width' | 'height'>,
  ): Promise<boolean> {
    const now = isoNow();
    const inserted = await db
      .insertInto('asset_downloads')
      .values({ ...row, status: 'preparing', size: null, object_key: null, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['asset_id', 'name']).doNothing())
      .returning('name')
      .executeTakeFirst();
    return inserted !== undefined;
  },

  /** An errored download tried again. */
  async retry(db: Executor, assetId: string, name: string): Promise<boolean> {
    const r = await db
      .updateTable('asset_downloads')
      .set({ status: 'preparing', updated_at: isoNow() })
      .where('asset_id', '=', assetId)
      .where('name', '=', name)
      .where('status', '=', 'errored')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /** Only a download still being prepared becomes ready: false means it is no longer wanted. */
  async markReady(db: Executor, assetId: string, name: string, objectKey: string, size: number) {
    const r = await db
      .updateTable('asset_downloads')
      .set({ status: 'ready', object_key: objectKey, size, updated_at: isoNow() })
      .where('asset_id', '=', assetId)
      .where('name', '=', name)
      .where('status', '=', 'preparing')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  async markErrored(db: Executor, assetId: string, name: string): Promise<void> {
    await db
      .updateTable('asset_downloads')
      .set({ status: 'errored', updated_at: isoNow() })
      .where('asset_id', '=', assetId)
      .where('name', '=', name)
      .where('status', '=', 'preparing')
      .execute();
  },

  async delete(db: Executor, assetId: string, names: string[]): Promise<void> {
    if (names.length === 0) return;
    await db
      .deleteFrom('asset_downloads')
      .where('asset_id', '=', assetId)
      .where('name', 'in', names)
      .execute();
  },

  async deleteAll(db: Executor, assetId: string): Promise<void> {
    await db.deleteFrom('asset_downloads').where('asset_id', '=', assetId).execute();
  },
};
