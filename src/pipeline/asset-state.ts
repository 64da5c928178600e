import { assetRecords } from '../assets/asset-records.ts';
import type { Db } from '../db/database.ts';
import { recordEvent } from '../events/outbox.ts';
import { AppError, ERROR_CODES } from '../shared/errors.ts';

/**
 * Status changes of an asset, each with its event in the same transaction. The pipeline's
 * jobs go through these instead of writing rows and events separately.
 */
export async function markErrored(db: Db, assetId: string, error: unknown): Promise<void> {
  const { code, message } =
    error instanceof AppError
      ? { code: error.code, message: error.message }
      : { code: 'FH_ERR_TRANSCODE_FAILED' as const, message: ERROR_CODES.FH_ERR_TRANSCODE_FAILED.message };
  await db.transaction().execute(async (trx) => {
    const changed = await assetRecords.update(trx, assetId, {
      status: 'errored',
      progress: null,
      errors: JSON.stringify([{ code, message }]),
    });
    if (!changed) return;
    await assetRecords.updateRenditions(trx, assetId, { status: 'errored' });
    await recordEvent(trx, 'asset.errored', assetId, { code, message });
  });
}

/** The first moment the asset can be played: emitted once, whatever happens after. */
export async function markReady(db: Db, assetId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const asset = await assetRecords.get(trx, assetId);
    if (!asset || asset.status === 'ready') return false;
    await assetRecords.update(trx, assetId, { status: 'ready' });
    await recordEvent(trx, 'asset.ready', assetId, { duration: asset.duration });
    return true;
  });
}

/**
 * A job gave up on the asset for a reason that is not the file's (its worker kept dying, the
 * store or ffmpeg kept failing). An asset still waiting or processing becomes `errored`; one
 * already playable stays `ready` with the renditions that landed, the others `errored`.
 */
export async function markGivenUp(db: Db, assetId: string): Promise<void> {
  const asset = await assetRecords.get(db, assetId);
  if (!asset || asset.status === 'errored') return;
  if (asset.status !== 'ready') {
    await markErrored(db, assetId, new AppError('FH_ERR_PROCESSING_FAILED'));
    return;
  }
  await db.transaction().execute(async (trx) => {
    await assetRecords.failUnfinishedRenditions(trx, assetId);
    await assetRecords.update(trx, assetId, { progress: 1 });
  });
}

/**
 * Errored only because we gave up on our side (FH_ERR_PROCESSING_FAILED), not because of the
 * file: a job an operator redrives may take such an asset up again.
 */
export function givenUpOnOurSide(asset: { status: string; errors: string }): boolean {
  if (asset.status !== 'errored') return false;
  const errors = JSON.parse(asset.errors) as Array<{ code: string }>;
  return errors.length > 0 && errors.every((e) => e.code === 'FH_ERR_PROCESSING_FAILED');
}
