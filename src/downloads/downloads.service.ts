import type { Kysely } from 'kysely';
import { assetRecords } from '../assets/asset-records.ts';
import type { AssetRow, Database, DownloadRow } from '../db/schema.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';
import { AppError } from '../shared/errors.ts';
import { downloadTarget } from './download-target.ts';
import { downloadsRepo } from './downloads.repo.ts';
import { makeDownloadSpec, removeDownloadObjectsSpec } from './job-specs.ts';

/**
 * Brings an asset's downloads in line with its `mp4_support` and its ladder: removes the ones
 * no longer wanted (rows now, objects by a job) and queues the wanted one once every rendition
 * it is made from is ready. Called in the caller's transaction whenever either side changes (a
 * PATCH, a pass of the ladder landing), so a download job exists if and only if the change
 * that needs it commits. Idempotent: a download already made or being made is left alone.
 *
 * Every transition to `preparing` enqueues its own job (no dedupe key): a job deduplicated
 * against one that is just finishing could otherwise leave a download preparing for ever.
 */
export async function syncDownloads(
  trx: Kysely<Database>,
  queue: JobQueue,
  assetId: string,
  opts: { retryErrored?: boolean } = {},
): Promise<void> {
  if (!(await downloadsRepo.lockAsset(trx, assetId))) return;
  const asset = await assetRecords.get(trx, assetId);
  if (!asset) return;
  const target = downloadTarget(asset.mp4_support, await assetRecords.renditions(trx, [assetId]));
  const rows = await downloadsRepo.forAssets(trx, [assetId]);

  const stale = rows.filter((r) => r.name !== target?.name);
  await downloadsRepo.delete(
    trx,
    assetId,
    stale.map((r) => r.name),
  );
  const keys = stale.flatMap((r) => (r.object_key ? [r.object_key] : []));
  if (keys.length > 0) await enqueueJob(queue, trx, removeDownloadObjectsSpec, { keys });

  if (!target?.ready) return;
  const current = rows.find((r) => r.name === target.name);
  const queued = current
    ? opts.retryErrored === true && (await downloadsRepo.retry(trx, assetId, target.name))
    : await downloadsRepo.insertPreparing(trx, {
        asset_id: assetId,
        name: target.name,
        rendition: target.video,
        width: target.width,
        height: target.height,
      });
  if (queued) await enqueueJob(queue, trx, makeDownloadSpec, { assetId, name: target.name });
}

/**
 * The ready download behind `/play/{id}/download.{ext}`, or the coded reason there is none:
 * not offered (404) or not made yet (409, worth asking again).
 */
export async function readyDownload(
  db: Kysely<Database>,
  asset: Pick<AssetRow, 'id' | 'kind' | 'mp4_support'>,
  ext: 'mp4' | 'm4a',
): Promise<DownloadRow & { object_key: string }> {
  if (asset.mp4_support === 'none') throw new AppError('FH_ERR_DOWNLOAD_NOT_AVAILABLE');
  if (asset.kind === 'image') {
    throw new AppError('FH_ERR_DOWNLOAD_NOT_AVAILABLE', 'Images have no MP4 download.');
  }
  const expected = asset.kind === 'audio' ? 'm4a' : asset.kind === 'video' ? 'mp4' : null;
  if (expected !== null && expected !== ext) {
    throw new AppError(
      'FH_ERR_DOWNLOAD_NOT_AVAILABLE',
      expected === 'm4a'
        ? 'This asset is audio only: its download is download.m4a.'
        : 'This asset has video: its download is download.mp4.',
    );
  }
  const rows = await downloadsRepo.forAssets(db, [asset.id]);
  const ready = rows.find((r) => r.status === 'ready' && r.object_key && r.name.endsWith(`.${ext}`));
  if (ready?.object_key) return { ...ready, object_key: ready.object_key };
  if (rows.some((r) => r.status === 'errored')) {
    throw new AppError(
      'FH_ERR_DOWNLOAD_NOT_AVAILABLE',
      'Making the download failed: set mp4_support again (PATCH /v1/assets/{id}) to try once more.',
    );
  }
  throw new AppError('FH_ERR_DOWNLOAD_NOT_READY');
}

/** Rows of the listed assets, for presenting them. */
export function downloadRows(db: Kysely<Database>, assetIds: string[]): Promise<DownloadRow[]> {
  return downloadsRepo.forAssets(db, assetIds);
}

/** With the asset: the rows now; the objects go with the asset's (`downloads/{assetId}/`). */
export function deleteDownloadRows(trx: Kysely<Database>, assetId: string): Promise<void> {
  return downloadsRepo.deleteAll(trx, assetId);
}
