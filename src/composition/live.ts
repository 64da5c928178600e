import type { Config } from '../config/config.ts';
import { IngestAddresses } from '../live/streams/ingest-addresses.ts';
import { LiveStreamsService } from '../live/streams/live-streams.service.ts';
import type { Infrastructure } from './infrastructure.ts';

/**
 * Live: the streams service (every role: the API manages streams, live nodes authorize publishes
 * and report state through it) and the ingest addresses the API shows. The live node (ingest,
 * transcoding, packaging) is added here for the roles that run it.
 */
export function liveServices(config: Config, { db, log }: Infrastructure) {
  const addresses = new IngestAddresses({
    ingestHost: config.liveIngestHost,
    publicUrl: config.publicUrl,
    rtmpPort: config.rtmpPort,
    // RTMPS only with both a certificate and its key.
    rtmpsPort: config.rtmpsCert && config.rtmpsKey ? config.rtmpsPort : null,
    srtEnabled: config.srtPorts !== null,
  });
  const streams = new LiveStreamsService({
    db,
    srtPorts: config.srtPorts,
    onError: (err) => log.warn({ err }, 'dropping a live publisher failed'),
  });
  return { streams, addresses };
}

export type LiveServices = ReturnType<typeof liveServices>;
