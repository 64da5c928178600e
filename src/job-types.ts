import { purgeTrashSpec } from './assets/purge-trash.job.ts';
import { backupRunSpec } from './backup/backup-schedule.ts';
import { makeDownloadSpec, removeDownloadObjectsSpec } from './downloads/job-specs.ts';
import { batchItemSpec } from './images/batches.ts';
import { importObjectSpec, scanImportsSpec } from './imports/imports.service.ts';
import { fetchUrlSpec } from './ingest/url-ingest.ts';
import { storageLifecycleSpec } from './lifecycle/lifecycle.job.ts';
import { finishBroadcastSpec } from './live/recording/finish-broadcast.job.ts';
import { assetMailSpec } from './notifications/asset-mail.ts';
import { sendMailSpec } from './notifications/mail.job.ts';
import { deleteAssetObjectsSpec, probeSpec, transcodeSpec } from './pipeline/job-specs.ts';
import { closeViewsSpec } from './qoe/close-views.job.ts';
import { pruneSpec } from './qoe/prune.job.ts';
import { quotaNoticesSpec } from './quotas/quota-notices.ts';
import { usageStorageWalkSpec } from './usage/storage-walk.job.ts';
import { deliverWebhookSpec } from './webhooks/delivery.ts';

/**
 * Every job type the application registers, known to every role — an api node has no worker
 * registry, yet its queue gauges speak for the whole cluster and show 0 for an idle type rather
 * than no series at all. A test checks this list against what a worker registers.
 */
export const JOB_TYPES: readonly string[] = [
  probeSpec,
  transcodeSpec,
  deleteAssetObjectsSpec,
  deliverWebhookSpec,
  assetMailSpec,
  sendMailSpec,
  batchItemSpec,
  makeDownloadSpec,
  removeDownloadObjectsSpec,
  fetchUrlSpec,
  importObjectSpec,
  scanImportsSpec,
  finishBroadcastSpec,
  closeViewsSpec,
  pruneSpec,
  purgeTrashSpec,
  storageLifecycleSpec,
  backupRunSpec,
  quotaNoticesSpec,
  usageStorageWalkSpec,
].map((s) => s.type);
