import type { Db } from '../db/database.ts';
import type { SavedSha256 } from './resumable-sha256.ts';

/** Where an upload's running SHA-256 is kept between its requests (see migration 0013). */
export const uploadHashesRepo = {
  /** The state of the bytes staged so far (local staging). */
  async forUpload(db: Db, uploadId: string): Promise<SavedSha256 | null> {
    const row = await db
      .selectFrom('uploads')
      .select(['hash_state', 'hash_bytes'])
      .where('id', '=', uploadId)
      .executeTakeFirst();
    return saved(row);
  },

  async saveForUpload(db: Db, uploadId: string, state: SavedSha256): Promise<void> {
    await db
      .updateTable('uploads')
      .set({ hash_state: state.state, hash_bytes: state.bytes })
      .where('id', '=', uploadId)
      .execute();
  },

  /** The state after part `partNumber` (S3 staging; it is written with the part's ledger row). */
  async afterPart(db: Db, uploadId: string, partNumber: number): Promise<SavedSha256 | null> {
    const row = await db
      .selectFrom('upload_parts')
      .select(['hash_state', 'hash_bytes'])
      .where('upload_id', '=', uploadId)
      .where('part_number', '=', partNumber)
      .executeTakeFirst();
    return saved(row);
  },

  /** The state after the last part recorded: the whole upload once it is complete. */
  async afterLastPart(db: Db, uploadId: string): Promise<SavedSha256 | null> {
    const row = await db
      .selectFrom('upload_parts')
      .select(['hash_state', 'hash_bytes'])
      .where('upload_id', '=', uploadId)
      .orderBy('part_number', 'desc')
      .limit(1)
      .executeTakeFirst();
    return saved(row);
  },
};

function saved(
  row: { hash_state: string | null; hash_bytes: number | null } | undefined,
): SavedSha256 | null {
  return row?.hash_state && row.hash_bytes !== null ? { state: row.hash_state, bytes: row.hash_bytes } : null;
}
