import type { Kysely, Transaction } from 'kysely';
import type { AssetTracksTable, Database, TrackRow } from '../db/schema.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** SQL for an asset's subtitle and caption tracks. Nothing else in the app writes this table. */
export const tracksRepo = {
  /** Tracks of these assets, each asset's in the order they were added. */
  async ofAssets(db: Executor, assetIds: string[]): Promise<TrackRow[]> {
    if (assetIds.length === 0) return [];
    return db
      .selectFrom('asset_tracks')
      .selectAll()
      .where('asset_id', 'in', assetIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  },

  async get(db: Executor, assetId: string, trackId: string): Promise<TrackRow | undefined> {
    return db
      .selectFrom('asset_tracks')
      .selectAll()
      .where('asset_id', '=', assetId)
      .where('id', '=', trackId)
      .executeTakeFirst();
  },

  async nameTaken(db: Executor, assetId: string, name: string): Promise<boolean> {
    const row = await db
      .selectFrom('asset_tracks')
      .select('id')
      .where('asset_id', '=', assetId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row !== undefined;
  },

  async insert(db: Executor, row: AssetTracksTable): Promise<void> {
    await db.insertInto('asset_tracks').values(row).execute();
  },

  /** One default per asset: HLS allows one DEFAULT=YES rendition in a group. */
  async clearDefault(db: Executor, assetId: string): Promise<void> {
    await db.updateTable('asset_tracks').set({ is_default: 0 }).where('asset_id', '=', assetId).execute();
  },

  async delete(db: Executor, assetId: string, trackId: string): Promise<TrackRow | undefined> {
    const row = await tracksRepo.get(db, assetId, trackId);
    if (row) await db.deleteFrom('asset_tracks').where('id', '=', trackId).execute();
    return row;
  },
};
