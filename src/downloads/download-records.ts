import { downloadsRepo } from './downloads.repo.ts';

/**
 * What the job that makes a download (in the pipeline, beside the other ffmpeg jobs) may do to
 * its row; choosing, listing and removing downloads stay with downloads.service.ts.
 */
export const downloadRecords = {
  get: downloadsRepo.get,
  markReady: downloadsRepo.markReady,
  markErrored: downloadsRepo.markErrored,
};
