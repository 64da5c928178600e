import { removeDownloadObjectsJob } from '../downloads/remove-objects.job.ts';
import { JobRegistry } from '../queue/jobs.ts';
import { deleteAssetObjectsJob } from './cleanup.job.ts';
import { makeDownloadJob } from './make-download.job.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { probeJob } from './probe.job.ts';
import { transcodeJob } from './transcode.job.ts';

/** Every job type of the VOD pipeline, declared once. Start-up fails if a type lacks a handler. */
export function pipelineJobs(deps: PipelineDeps): JobRegistry {
  const registry = new JobRegistry();
  registry.register(probeJob(deps));
  registry.register(transcodeJob(deps));
  registry.register(deleteAssetObjectsJob(deps));
  registry.register(makeDownloadJob(deps));
  registry.register(removeDownloadObjectsJob(deps));
  return registry;
}
