import type { Kysely, Transaction } from 'kysely';
import type { Database, ImportedObjectsTable } from '../db/schema.ts';
import { isoNow } from '../shared/time.ts';

type Executor = Kysely<Database> | Transaction<Database>;

/** SQL for the ledger of imported objects (one row per object key + ETag). */
export const importsRepo = {
  /** The asset a version of an object became, if that asset still exists (and is not in the trash). */
  async find(db: Executor, key: string, etag: string): Promise<string | null> {
    const row = await db
      .selectFrom('imported_objects')
      .innerJoin('assets', 'assets.id', 'imported_objects.asset_id')
      .select('imported_objects.asset_id')
      .where('imported_objects.object_key', '=', key)
      .where('imported_objects.etag', '=', etag)
      .where('assets.deleted_at', 'is', null)
      .executeTakeFirst();
    return row?.asset_id ?? null;
  },

  /**
   * Claims a version of an object for an asset, inside the transaction that creates the asset.
   * False when another transaction has claimed it (it waits for that one to end first, on
   * PostgreSQL). A claim whose asset was deleted since (or moved to the trash) is stale and given
   * up: the same bytes put again after their asset was deleted become an asset again.
   */
  async claim(trx: Transaction<Database>, row: Omit<ImportedObjectsTable, 'created_at'>): Promise<boolean> {
    await trx
      .deleteFrom('imported_objects')
      .where('object_key', '=', row.object_key)
      .where('etag', '=', row.etag)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('assets')
              .select('assets.id')
              .whereRef('assets.id', '=', 'imported_objects.asset_id')
              .where('assets.deleted_at', 'is', null),
          ),
        ),
      )
      .execute();
    const inserted = await trx
      .insertInto('imported_objects')
      .values({ ...row, created_at: isoNow() })
      .onConflict((oc) => oc.columns(['object_key', 'etag']).doNothing())
      .returning('asset_id')
      .executeTakeFirst();
    return inserted !== undefined;
  },
};
