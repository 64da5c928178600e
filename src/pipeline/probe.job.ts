import { assetRecords } from '../assets/asset-records.ts';
import { recordEvent } from '../events/outbox.ts';
import { probeImage } from '../images/image-probe.ts';
import { sniffImage } from '../images/sniff.ts';
import { classify } from '../media/classify.ts';
import { probeFile } from '../media/ffprobe.ts';
import { planLadder } from '../media/ladder.ts';
import { defineJob, enqueueJob } from '../queue/jobs.ts';
import { AppError } from '../shared/errors.ts';
import { isoNow } from '../shared/time.ts';
import { sha256Of } from '../uploads/hashing.ts';
import { givenUpOnOurSide, markErrored, markGivenUp } from './asset-state.ts';
import { probeSpec, transcodeSpec } from './job-specs.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { renditionRows } from './renditions.ts';

const PROBE_TIMEOUT_MS = 60_000;

/**
 * Probe: what is this file? Records the source's hash, rejects what is not media with a code a
 * person understands, plans the ladder, and hands over to transcoding in one transaction.
 */
export const probeJob = (deps: PipelineDeps) =>
  defineJob<{ assetId: string }>(probeSpec.type, {
    ...probeSpec,
    // Out of attempts for a reason that is not the file's (a store or ffprobe failure):
    // the asset must not wait for ever.
    onDead: ({ assetId }) => markGivenUp(deps.db, assetId),
    async handler({ payload, signal, log }) {
      const asset = await assetRecords.get(deps.db, payload.assetId);
      if (!asset) return; // deleted meanwhile: nothing to do
      // Already probed by an earlier attempt, unless a redrive takes up an asset we gave up on.
      if (asset.status !== 'waiting' && !givenUpOnOurSide(asset)) return;

      const source = await deps.store.stat(asset.source_key);
      if (!source) throw new Error(`source object missing: ${asset.source_key}`);
      const sha256 = asset.source_sha256 ?? (await sha256Of(await deps.store.get(asset.source_key))).sha256;

      // Photos take the image branch: no ffprobe, no ladder, ready once their header is read.
      const imageKind =
        source.size > 0
          ? sniffImage(await readHead(deps.store, asset.source_key, source.size), asset.source_filename)
          : null;
      if (imageKind) {
        try {
          await probeImage(
            { db: deps.db, store: deps.store, limits: deps.imageLimits },
            asset,
            imageKind,
            sha256,
            source.size,
            signal,
          );
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          log.info({ code: e.code }, 'image rejected');
          await assetRecords.update(deps.db, asset.id, { source_sha256: sha256, source_size: source.size });
          await markErrored(deps.db, asset.id, e);
        }
        return;
      }

      let info: ReturnType<typeof classify>;
      try {
        const probe = await deps.store.withLocalFile(asset.source_key, (path) =>
          probeFile(path, { ffprobePath: deps.ffprobePath, timeoutMs: PROBE_TIMEOUT_MS, signal }),
        );
        info = classify(probe, source.size);
      } catch (e) {
        if (!(e instanceof AppError)) throw e; // infrastructure trouble: retry
        log.info({ code: e.code }, 'source rejected');
        await assetRecords.update(deps.db, asset.id, { source_sha256: sha256, source_size: source.size });
        await markErrored(deps.db, asset.id, e);
        return;
      }

      const plan = planLadder(info);
      const now = isoNow();
      await deps.db.transaction().execute(async (trx) => {
        await assetRecords.update(trx, asset.id, {
          status: 'processing',
          errors: '[]',
          kind: info.kind,
          duration: info.duration,
          width: info.video?.width ?? null,
          height: info.video?.height ?? null,
          is_360: info.is360 ? 1 : 0,
          progress: 0,
          source_sha256: sha256,
          source_size: source.size,
          media_info: JSON.stringify(info),
        });
        await assetRecords.replaceRenditions(trx, asset.id, renditionRows(plan, now));
        await enqueueJob(
          deps.queue,
          trx,
          transcodeSpec,
          { assetId: asset.id },
          { dedupeKey: `transcode:${asset.id}` },
        );
        await recordEvent(trx, 'asset.processing', asset.id, { kind: info.kind, duration: info.duration });
      });
    },
  });

/** The first bytes of an object: enough to tell an image by its signature. */
async function readHead(store: PipelineDeps['store'], key: string, size: number): Promise<Buffer> {
  // Within the object: a range past its end is an error on S3.
  const stream = await store.get(key, { start: 0, end: Math.min(63, size - 1) });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
