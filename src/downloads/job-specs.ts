import { jobSpec } from '../queue/jobs.ts';

/** Remux one download from the ladder (src/pipeline/make-download.job.ts). */
export const makeDownloadSpec = jobSpec<{ assetId: string; name: string }>('make-download', {
  maxAttempts: 3,
});

/** Remove the objects of downloads no longer wanted (their rows are gone already). */
export const removeDownloadObjectsSpec = jobSpec<{ keys: string[] }>('remove-download-objects', {
  maxAttempts: 10,
});
