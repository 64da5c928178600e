import { defineJob } from '../queue/jobs.ts';
import { type Imports, importObjectSpec, scanImportsSpec } from './imports.service.ts';

/** One drop-in object → its asset; retried while the store or the database has trouble. */
export const importObjectJob = (imports: Imports) =>
  defineJob<{ key: string; via: 'hook' | 'scan' }>(importObjectSpec.type, {
    ...importObjectSpec,
    async handler({ payload, log }) {
      const result = await imports.importDropIn(payload.key, payload.via);
      log.info({ key: payload.key, via: payload.via, ...result }, 'drop-in import');
    },
  });

/**
 * A scan of imports/: queues a job per object. A failed scan is logged and left to the next
 * one (no retries piling up in the dead-letter list while the store is down).
 */
export const scanImportsJob = (imports: Imports) =>
  defineJob<Record<string, never>>(scanImportsSpec.type, {
    ...scanImportsSpec,
    async handler({ log }) {
      try {
        const queued = await imports.scan();
        if (queued > 0) log.info({ queued }, 'scan of imports/');
      } catch (err) {
        log.warn({ err }, 'scan of imports/ failed');
      }
    },
  });
