import { defineJob } from '../queue/jobs.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { removeDownloadObjectsSpec } from './job-specs.ts';

/** Removes the objects of downloads whose rows are gone (turned off, or replaced by another rung). */
export const removeDownloadObjectsJob = (deps: { store: ObjectStore }) =>
  defineJob<{ keys: string[] }>(removeDownloadObjectsSpec.type, {
    ...removeDownloadObjectsSpec,
    async handler({ payload }) {
      for (const key of payload.keys) {
        // Only download objects: the payload is ours, but a key elsewhere would be a bug to stop at.
        if (!key.startsWith('downloads/')) throw new Error(`not a download object: ${key}`);
        await deps.store.delete(key);
      }
    },
  });
