import { assetsRepo } from './assets.repo.ts';

/**
 * What other features may do to an asset's rows, inside their own transactions: the pipeline
 * and the image jobs (and the downloads made from a ladder) read and record what they learn (kind, media info, status, progress, renditions).
 * Making, listing, editing and deleting assets, and their playback ids, stay with
 * AssetsService; the assets repository itself is private to this folder.
 */
export const assetRecords = {
  get: assetsRepo.get,
  /** For the events that name them: a cache in front purges what it holds of these ids. */
  playbackIds: assetsRepo.playbackIds,
  renditions: assetsRepo.renditions,
  update: assetsRepo.update,
  replaceRenditions: assetsRepo.replaceRenditions,
  updateRenditions: assetsRepo.updateRenditions,
  failUnfinishedRenditions: assetsRepo.failUnfinishedRenditions,
};
