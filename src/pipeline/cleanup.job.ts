import { defineJob } from '../queue/jobs.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import { deleteAssetObjectsSpec } from './job-specs.ts';
import type { PipelineDeps } from './pipeline-deps.ts';

/** After an asset is deleted: remove its source and every output. Retried while the store is down. */
export const deleteAssetObjectsJob = (deps: Pick<PipelineDeps, 'store'>) =>
  defineJob<{ assetId: string }>(deleteAssetObjectsSpec.type, {
    ...deleteAssetObjectsSpec,
    async handler({ payload }) {
      const prefixes = [
        mediaKeys.sourcePrefix,
        mediaKeys.hlsPrefix,
        mediaKeys.imagesPrefix,
        mediaKeys.tracksPrefix,
      ];
      for (const prefix of prefixes) {
        await deps.store.deletePrefix(prefix(payload.assetId));
      }
      await deps.store.deletePrefix(mediaKeys.downloadsPrefix(payload.assetId));
    },
  });
