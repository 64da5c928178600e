import { jobSpec } from '../queue/jobs.ts';

/** The pipeline's job types, their payloads and defaults: one place for enqueuers and handlers. */
// Crash allowances: a worker killed under a batch (deploys, autoscaling, the OOM killer elsewhere
// on the node) costs every job it held an attempt; these many such deaths are forgiven, so a
// batch survives them, while a job that itself kills its worker is still dead-lettered after its
// allowance and its attempts (docs/reliability.md, worker-kills and poison-jobs).
export const probeSpec = jobSpec<{ assetId: string }>('probe', {
  maxAttempts: 3,
  crashAllowance: 3,
  priority: 10,
});
export const transcodeSpec = jobSpec<{ assetId: string }>('transcode', {
  maxAttempts: 3,
  crashAllowance: 10,
});
export const deleteAssetObjectsSpec = jobSpec<{ assetId: string }>('delete-asset-objects', {
  maxAttempts: 10,
});
