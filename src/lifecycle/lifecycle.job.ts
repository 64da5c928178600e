import { defineJob, jobSpec } from '../queue/jobs.ts';
import { applyLifecycleRules, type LifecycleDeps } from './lifecycle.service.ts';

/**
 * The storage lifecycle rules (docs/operations.md, "Lifecycle"): hourly, one at a time across
 * the cluster (its schedule enqueues it with a dedupe key). One attempt: the next hour's run is
 * the retry, and every step is idempotent.
 */
export const storageLifecycleSpec = jobSpec<Record<string, never>>('storage.lifecycle', {
  maxAttempts: 1,
  priority: 5,
});

export const storageLifecycleJob = (deps: Omit<LifecycleDeps, 'log'>) =>
  defineJob<Record<string, never>>(storageLifecycleSpec.type, {
    ...storageLifecycleSpec,
    // No run-time limit from the pool: it walks every asset, as long as that takes.
    timeoutMs: null,
    async handler({ log, signal }) {
      const summary = await applyLifecycleRules({ ...deps, log }, { signal });
      const { dropped, cold, multipart, failed } = summary;
      if (dropped.assets + cold.assets + multipart.aborted > 0 || summary.more)
        log.info({ dropped, cold, multipart, more: summary.more }, 'storage lifecycle: rules applied');
      // Dead, so the dead-letter list shows it; what could be done was done.
      if (failed.length > 0)
        throw new Error(
          `${failed.length} asset(s) could not be handled, first ${failed[0]?.assetId}: ${failed[0]?.error}`,
        );
    },
  });
