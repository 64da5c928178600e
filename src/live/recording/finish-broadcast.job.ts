import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AssetsService } from '../../assets/assets.service.ts';
import { defineJob, jobSpec } from '../../queue/jobs.ts';
import { newId } from '../../shared/ids.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import type { LiveStreamsService } from '../streams/live-streams.service.ts';
import { writeRecordingFile } from './recording-file.ts';
import { liveKeys } from './segment-recorder.ts';

/**
 * After a broadcast ends (enqueued in the transaction that ends it): a recorded broadcast becomes
 * a VOD asset; then the broadcast's live segments leave the store either way.
 */
export const finishBroadcastSpec = jobSpec<{ broadcastId: string }>('live.finish-broadcast', {
  maxAttempts: 5,
});

/**
 * The recording: the top rung's segments, as the store holds them, joined into one MP4 without
 * encoding (recording-file.ts), become the source of a new asset, which the usual VOD jobs then
 * turn into every rung, a poster and a storyboard, with the asset's own events. The stream
 * lists it in `recordings`, and `live_stream.recording.ready` names it.
 *
 * Idempotent: the asset and the broadcast's link to it commit together, so a second run finds
 * the link and only finishes the clean-up.
 */
export const finishBroadcastJob = (deps: {
  streams: LiveStreamsService;
  assets: AssetsService;
  store: ObjectStore;
  ffmpegPath: string;
  workDir: string;
}) =>
  defineJob<{ broadcastId: string }>(finishBroadcastSpec.type, {
    ...finishBroadcastSpec,
    // No run-time limit from the pool: a recording is as long as its broadcast.
    timeoutMs: null,
    async handler({ payload: { broadcastId }, signal, log }) {
      const broadcast = await deps.streams.getBroadcast(broadcastId);
      if (!broadcast) return;
      if (broadcast.record === 1 && !broadcast.asset_id) {
        const segments = await deps.streams.listSegments(broadcastId);
        const rendition = topRendition(broadcast.renditions, segments);
        const own = segments.filter((s) => s.rendition === rendition);
        if (own.length > 0 && rendition) {
          const stream = await deps.streams.row(broadcast.live_stream_id);
          const duration = own.reduce((sum, s) => sum + s.duration, 0);
          const work = join(deps.workDir, `recording-${broadcastId}-${newId(8)}`);
          await mkdir(work, { recursive: true });
          try {
            const file = await writeRecordingFile(
              deps,
              broadcastId,
              rendition,
              own.map((s) => ({ msn: s.msn, initId: s.init_id, objectKey: s.object_key })),
              work,
              { signal, durationSeconds: duration },
            );
            const assetId = newId();
            const sourceKey = `sources/${assetId}/recording.mp4`;
            const size = (await stat(file)).size;
            await deps.store.putFile(sourceKey, file, { link: true });
            const title = `${stream?.title ?? 'Live stream'} (${broadcast.started_at.slice(0, 16).replace('T', ' ')} UTC)`;
            await deps.assets.createFromSource(
              { assetId, sourceKey, filename: 'recording.mp4', title, size, sha256: null },
              { actor: stream?.created_by ?? 'system:live', credential: null, ip: null },
              (trx) => deps.streams.linkRecording(trx, broadcastId, assetId),
            );
            await deps.streams.recordingReady(broadcastId);
            log.info(
              { broadcastId, assetId, rendition, seconds: Math.round(duration), bytes: size },
              'recording made',
            );
          } finally {
            await rm(work, { recursive: true, force: true });
          }
        }
      }
      await deps.store.deletePrefix(liveKeys.prefix(broadcastId));
    },
  });

/** The rung a recording is made from: the broadcast's first (largest) rung with segments. */
function topRendition(renditionsJson: string, segments: { rendition: string }[]): string | undefined {
  const present = new Set(segments.map((s) => s.rendition));
  let listed: { name?: string }[] = [];
  try {
    listed = JSON.parse(renditionsJson) as { name?: string }[];
  } catch {}
  return listed.map((r) => r.name).find((n): n is string => !!n && present.has(n)) ?? segments[0]?.rendition;
}
