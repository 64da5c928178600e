import { jobSpec } from '../queue/jobs.ts';

/** The pipeline's job types, their payloads and defaults: one place for enqueuers and handlers. */
export const probeSpec = jobSpec<{ assetId: string }>('probe', { maxAttempts: 3, priority: 10 });
export const transcodeSpec = jobSpec<{ assetId: string }>('transcode', { maxAttempts: 3 });
export const deleteAssetObjectsSpec = jobSpec<{ assetId: string }>('delete-asset-objects', {
  maxAttempts: 10,
});
