import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { assetRecords } from '../assets/asset-records.ts';
import { downloadRecords } from '../downloads/download-records.ts';
import { downloadTarget } from '../downloads/download-target.ts';
import { makeDownloadSpec } from '../downloads/job-specs.ts';
import { recordEvent } from '../events/outbox.ts';
import { probeFile } from '../media/ffprobe.ts';
import { buildMp4RemuxArgs } from '../media/remux-args.ts';
import { runFfmpeg } from '../media/run-ffmpeg.ts';
import { defineJob } from '../queue/jobs.ts';
import { newId } from '../shared/ids.ts';
import { mediaKeys } from '../storage/media-keys.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { writeRenditionFile } from './rendition-file.ts';

const PROBE_TIMEOUT_MS = 60_000;

/**
 * Makes an asset's MP4 download from its ladder: the rung's and the audio's CMAF segments,
 * copied into one faststart MP4 by ffmpeg (`-c copy`): no second encode, so it costs seconds
 * and is bit for bit the picture and sound people stream.
 *
 * Each making writes a key of its own and the row takes it only while it is still `preparing`
 * (downloads.service.ts decides that under the asset's lock): a job that finds its download no
 * longer wanted, or the asset gone, removes what it wrote, and can never overwrite a newer one.
 */
export const makeDownloadJob = (
  deps: Pick<PipelineDeps, 'db' | 'store' | 'ffmpegPath' | 'ffprobePath' | 'workDir'>,
) =>
  defineJob<{ assetId: string; name: string }>(makeDownloadSpec.type, {
    ...makeDownloadSpec,
    // No run-time limit from the pool: ffmpeg's limit scales with the asset's duration.
    timeoutMs: null,
    // Out of attempts: the asset says so (`errored`) rather than `preparing` for ever.
    onDead: ({ assetId, name }) => downloadRecords.markErrored(deps.db, assetId, name),
    async handler({ payload: { assetId, name }, signal, log }) {
      const row = await downloadRecords.get(deps.db, assetId, name);
      if (row?.status !== 'preparing') return; // made already, or no longer wanted
      const asset = await assetRecords.get(deps.db, assetId);
      if (!asset) return;
      const target = downloadTarget(asset.mp4_support, await assetRecords.renditions(deps.db, [assetId]));
      if (target?.name !== name) return; // replaced meanwhile: its row goes with the next sync
      if (!target.ready) throw new Error(`the renditions of ${name} are not ready`);

      const work = join(deps.workDir, `download-${assetId}-${newId(8)}`);
      await mkdir(work, { recursive: true });
      try {
        const video = target.video ? join(work, 'video.mp4') : undefined;
        const audio = target.audio ? join(work, 'audio.mp4') : undefined;
        if (target.video && video) await writeRenditionFile(deps.store, assetId, target.video, video);
        if (target.audio && audio) await writeRenditionFile(deps.store, assetId, target.audio, audio);
        const output = join(work, `download.${target.ext}`);
        const started = performance.now();
        await runFfmpeg(
          deps.ffmpegPath,
          buildMp4RemuxArgs({
            video,
            audio,
            output,
            videoStartSeconds: video && audio ? await videoStart(deps.ffprobePath, video, signal) : undefined,
            spherical: asset.is_360 === 1,
          }),
          // Copying is I/O: a second per second of media is far more than it takes.
          { signal, timeoutMs: 60_000 + (asset.duration ?? 3600) * 1000 },
        );
        const key = mediaKeys.download(assetId, `${name.replace(/\.\w+$/, '')}-${newId(8)}.${target.ext}`);
        const stored = await deps.store.putFile(key, output, { link: true });
        const kept = await deps.db.transaction().execute(async (trx) => {
          if (!(await downloadRecords.markReady(trx, assetId, name, key, stored.size))) return false;
          // The playback ids: a cache in front (framehouse edge) purges its download.mp4.
          const playbackIds = (await assetRecords.playbackIds(trx, [assetId])).map((p) => p.id);
          await recordEvent(trx, 'asset.download.ready', assetId, {
            name,
            size: stored.size,
            playback_ids: playbackIds,
          });
          return true;
        });
        if (!kept) await deps.store.delete(key);
        log.info(
          { name, bytes: stored.size, kept, remuxSeconds: (performance.now() - started) / 1000 },
          'download made',
        );
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  });

/** When the rung's first frame is presented (B-frames put it after zero): see buildMp4RemuxArgs. */
async function videoStart(ffprobePath: string, file: string, signal: AbortSignal): Promise<number> {
  const probe = await probeFile(file, { ffprobePath, timeoutMs: PROBE_TIMEOUT_MS, signal });
  const start = Number(probe.streams?.find((s) => s.codec_type === 'video')?.start_time);
  return Number.isFinite(start) ? start : 0;
}
