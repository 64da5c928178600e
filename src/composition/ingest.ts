import type { Config } from '../config/config.ts';
import { importObjectJob, scanImportsJob } from '../imports/imports.jobs.ts';
import { importsFromConfig } from '../imports/imports.service.ts';
import { fetchUrlJob } from '../ingest/fetch-url.job.ts';
import { ingestLimitsOf, UrlIngest } from '../ingest/url-ingest.ts';
import type { AnyJobDefinition } from '../queue/jobs.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { VodServices } from './vod.ts';

/**
 * Sources that are not uploads: a URL a worker fetches, and objects dropped under imports/
 * (S3 notifications to the storage hook, or a periodic scan).
 */
export function ingestServices(
  config: Config,
  { db, queue, store }: Infrastructure,
  { assets }: VodServices,
) {
  return {
    urlIngest: new UrlIngest({ assets, queue }),
    imports: importsFromConfig({ db, queue, store, assets }, config),
  };
}

export type IngestServices = ReturnType<typeof ingestServices>;

/** The fetch and import jobs, for roles with job slots. */
export function ingestJobs(
  config: Config,
  { db, store }: Infrastructure,
  { assets }: VodServices,
  { imports }: IngestServices,
): AnyJobDefinition[] {
  return [
    fetchUrlJob({ db, store, assets, limits: ingestLimitsOf(config) }),
    importObjectJob(imports),
    scanImportsJob(imports),
  ];
}

/** Drop-ins on stores that send no notifications: worker nodes ask for scans, one runs at a time. */
export function startImportScans({ log }: Infrastructure, { imports }: IngestServices) {
  return imports.startScanning((err) => log.warn({ err }, 'could not queue a scan of imports/'));
}
