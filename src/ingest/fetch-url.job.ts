import { assetRecords } from '../assets/asset-records.ts';
import type { AssetsService } from '../assets/assets.service.ts';
import type { Db } from '../db/database.ts';
import { markErrored, markGivenUp } from '../pipeline/asset-state.ts';
import { defineJob } from '../queue/jobs.ts';
import { AppError } from '../shared/errors.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { hashingPassThrough } from '../uploads/hashing.ts';
import { FetchError, type FetchLimits, fetchGuarded } from './fetch-url.ts';
import { type FetchUrlPayload, fetchUrlSpec } from './url-ingest.ts';

/**
 * Fetches an asset's source from its URL into the object store (streamed and hashed on the
 * way), then hands over to the probe as an upload would. A refusal (address, size, a 404) ends
 * the asset `errored` with its code at once; the network's passing trouble is retried, and the
 * asset errs with FH_ERR_FETCH_FAILED when the attempts are spent.
 */
export const fetchUrlJob = (deps: {
  db: Db;
  store: ObjectStore;
  assets: AssetsService;
  limits: FetchLimits;
}) =>
  defineJob<FetchUrlPayload>(fetchUrlSpec.type, {
    ...fetchUrlSpec,
    // No run-time limit from the pool: a large file may take long; a stalled one is ended by
    // the idle time-out and the size limit.
    timeoutMs: null,
    // The lease outlives a silent connection; the worker heartbeats while the body streams.
    visibilityTimeoutMs: Math.max(60_000, (deps.limits.idleTimeoutMs ?? 60_000) * 2),
    // Out of attempts for a reason that is not the URL's (the store, a worker that kept dying).
    onDead: ({ assetId }) => markGivenUp(deps.db, assetId),
    async handler({ payload: { assetId, url }, signal, log, attempt, maxAttempts }) {
      // In the trash too: fetched all the same, so that a restore gives the asset as it would be.
      const asset = await assetRecords.get(deps.db, assetId);
      // Deleted meanwhile, or fetched by an earlier run of this job.
      if (asset?.status !== 'waiting' || asset.source_size !== null) return;
      const key = mediaKeys.source(assetId);
      let stored: { size: number; sha256: string };
      try {
        stored = await fetchGuarded(
          url,
          deps.limits,
          async (body) => {
            const hashing = hashingPassThrough();
            body.on('error', (e) => hashing.stream.destroy(e));
            // A failed or cut-short body fails the put, which leaves no object behind.
            await deps.store.put(key, body.pipe(hashing.stream));
            return hashing.result();
          },
          signal,
        );
      } catch (e) {
        if (!(e instanceof FetchError)) throw e; // the store's trouble, or a lost lease: retry
        if (e.retryable && attempt < maxAttempts) throw e;
        log.info({ code: e.code, message: e.message }, 'URL not fetched');
        await markErrored(deps.db, assetId, new AppError(e.code, e.message));
        return;
      }
      if (!(await deps.assets.sourceStored(assetId, stored))) {
        // Deleted while we fetched: its objects were removed before ours landed.
        if (!(await assetRecords.get(deps.db, assetId)))
          await deps.store.deletePrefix(mediaKeys.sourcePrefix(assetId));
      }
    },
  });
