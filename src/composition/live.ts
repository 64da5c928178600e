import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import { LiveNode } from '../live/node/live-node.ts';
import { type LiveDirectory, LiveOrigin, type LocalPackagers } from '../live/origin/live-origin.ts';
import { finishBroadcastJob, finishBroadcastSpec } from '../live/recording/finish-broadcast.job.ts';
import { announceRoomStatus } from '../live/room/room-log.ts';
import { IngestAddresses } from '../live/streams/ingest-addresses.ts';
import { LiveStreamsService } from '../live/streams/live-streams.service.ts';
import type { LocalWhep } from '../live/whep/whep-origin.ts';
import { enqueueJob } from '../queue/jobs.ts';
import type { PublishQuotaCheck } from '../quotas/quotas.service.ts';
import { newId } from '../shared/ids.ts';
import type { UsageSink } from '../usage/usage-records.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { VodServices } from './vod.ts';

/**
 * Live: the streams service (every role: the API manages streams, live nodes authorize publishes
 * and report state through it), the ingest addresses the API shows, and the live origin that
 * answers `/play/{id}/…` for streams on air (from this process's live node, or from the node
 * holding the stream). The live node itself starts only in the roles that run it.
 */
export function liveServices(config: Config, { db, log, queue }: Infrastructure, usage?: UsageSink) {
  const addresses = new IngestAddresses({
    ingestHost: config.liveIngestHost,
    publicUrl: config.publicUrl,
    rtmpPort: config.rtmpPort,
    // RTMPS only with both a certificate and its key.
    rtmpsPort: config.rtmpsCert && config.rtmpsKey ? config.rtmpsPort : null,
    srtEnabled: config.srtPorts !== null,
  });
  // Set once this process runs a live node: the API's complete/disable drop its publisher at once
  // (other nodes find out from the database within seconds).
  let node: LiveNode | null = null;
  const streams = new LiveStreamsService({
    db,
    srtPorts: config.srtPorts,
    kick: (streamId) => node?.kick(streamId),
    onError: (err) => log.warn({ err }, 'dropping a live publisher failed'),
    // Every ended broadcast gets its recording made (or its segments cleared) by a worker.
    onBroadcastEnded: async (trx, broadcastId) => {
      await enqueueJob(
        queue,
        trx,
        finishBroadcastSpec,
        { broadcastId },
        { dedupeKey: `live-finish:${broadcastId}` },
      );
    },
    // The stream's room tells its viewers when the broadcast goes on or off air.
    onStatusChanged: announceRoomStatus,
  });
  const local: LocalPackagers = {
    get nodeId() {
      return node?.nodeId ?? null;
    },
    packager: (broadcastId) => node?.packager(broadcastId) ?? null,
  };
  const localWhep: LocalWhep = {
    get nodeId() {
      return node?.nodeId ?? null;
    },
    get hub() {
      return node?.hub ?? null;
    },
    feed: (broadcastId) => node?.feed(broadcastId) ?? null,
  };
  const directory: LiveDirectory = {
    async byPlaybackId(playbackId) {
      const found = await streams.byPlaybackId(playbackId);
      if (!found) return null;
      return {
        streamId: found.stream.id,
        owner: found.stream.created_by,
        title: found.stream.title,
        latencyMode: found.stream.latency_mode,
        policy: found.policy,
        status: found.stream.status,
        broadcastId: found.stream.broadcast_id,
        nodeId: found.stream.node_id,
        internalUrl: found.node?.internal_url ?? null,
      };
    },
  };
  return {
    streams,
    addresses,
    directory,
    /** Usage metering of the live node (input and live encoding seconds). */
    usage: usage ?? null,
    local,
    localWhep,
    attachNode(n: LiveNode) {
      node = n;
    },
  };
}

export type LiveServices = ReturnType<typeof liveServices>;

/** The live origin of an HTTP role (`all`, `api`, `live`). */
export function liveOrigin(live: LiveServices, { store }: Infrastructure): LiveOrigin {
  return new LiveOrigin({ directory: live.directory, local: live.local, store });
}

/** Ingest, transcoding and packaging, for `framehouse serve` and `framehouse live`. */
export async function startLiveNode(
  config: Config,
  { store, log }: Infrastructure,
  live: LiveServices,
  quota?: PublishQuotaCheck,
): Promise<LiveNode> {
  const tls =
    config.rtmpsCert && config.rtmpsKey
      ? { cert: readFileSync(config.rtmpsCert), key: readFileSync(config.rtmpsKey) }
      : null;
  const node = new LiveNode(
    {
      id: `live-${newId(10)}`,
      host: config.host,
      rtmpPort: config.rtmpPort,
      rtmpsPort: config.rtmpsPort,
      tls,
      srtEnabled: config.srtPorts !== null,
      internalUrl: config.liveInternalUrl,
      maxStreams: config.liveMaxStreams,
      maxBitrateKbps: config.liveMaxBitrateKbps,
      maxRungs: config.liveMaxRungs,
      dvrSeconds: config.liveDvrSeconds,
      ffmpegPath: config.ffmpegPath,
      x264Preset: config.liveX264Preset,
      whep: {
        maxViewers: config.whepMaxViewers,
        publicIp: config.whepPublicIp ?? null,
        portRange: config.whepPorts,
      },
    },
    { streams: live.streams, store, log, usage: live.usage, ...(quota ? { quota } : {}) },
  );
  live.attachNode(node);
  await node.start();
  // With FRAMEHOUSE_RTMP_PORT=0 the API shows the port actually bound.
  live.addresses.setRtmpPort(node.rtmpPort);
  return node;
}

/** The job that turns an ended broadcast into its recording, for roles with job slots. */
export function liveJobs(config: Config, { store }: Infrastructure, live: LiveServices, vod: VodServices) {
  return [
    finishBroadcastJob({
      streams: live.streams,
      assets: vod.assets,
      store,
      ffmpegPath: config.ffmpegPath,
      workDir: join(config.dataDir, 'work'),
    }),
  ];
}
