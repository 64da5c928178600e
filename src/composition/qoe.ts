import type { FastifyInstance } from 'fastify';
import type { AssetsService } from '../assets/assets.service.ts';
import type { Config } from '../config/config.ts';
import { sqlitePathOf } from '../db/database.ts';
import { WalCheckpointer } from '../db/wal-checkpointer.ts';
import type { LiveStreamsService } from '../live/streams/live-streams.service.ts';
import type { Metrics } from '../ops/metrics.ts';
import { ClientClassifier } from '../qoe/client-class.ts';
import { ContentLookup } from '../qoe/content-lookup.ts';
import { CountryLookup } from '../qoe/country.ts';
import { registerQoeIngestRoutes } from '../qoe/ingest.routes.ts';
import { QoeIngestService } from '../qoe/ingest.service.ts';
import { ReportRateLimit } from '../qoe/report-rate-limit.ts';
import { ReportWriter } from '../qoe/report-writer.ts';
import type { Infrastructure } from './infrastructure.ts';

export interface QoeIngest {
  /** FRAMEHOUSE_QOE: players report (GET /v1/instance says so to ours). */
  enabled: boolean;
  /** The report endpoints, on the HTTP app; the writer closes with it. */
  register(app: FastifyInstance): void;
}

/**
 * The report ingest of an HTTP process (docs/qoe.md): the endpoints, the per-address limit, and
 * the group-commit writer behind them. What a report needs that an idle server does not (the
 * CMCD decoder, bowser, the country database) is loaded with the first report.
 */
export function qoeIngest(
  config: Config,
  { db, log }: Infrastructure,
  deps: { assets: AssetsService; streams: LiveStreamsService; metrics: Metrics },
): QoeIngest {
  const onError = (err: unknown) => log.error({ err }, 'viewer analytics: reports could not be stored');
  const writer = new ReportWriter({ db, onError });
  // SQLite: reports are many small commits; the log's checkpoints are kept off their path (and
  // off the requests' thread) from the first report on.
  const sqlite = sqlitePathOf(config.databaseUrl);
  const checkpointer = sqlite ? new WalCheckpointer({ path: sqlite, onError }) : null;
  const ingest = new QoeIngestService({
    content: new ContentLookup({ assets: deps.assets, streams: deps.streams }),
    clients: new ClientClassifier(),
    countries: new CountryLookup(),
    writer: {
      write(batches) {
        checkpointer?.start();
        return writer.write(batches);
      },
    },
    count: (result, n) => deps.metrics.qoeReports.inc({ result }, n),
  });
  const limit = config.qoeRateLimit > 0 ? new ReportRateLimit({ perMinute: config.qoeRateLimit }) : null;
  return {
    enabled: config.qoe,
    register(app) {
      registerQoeIngestRoutes(app, { enabled: config.qoe, ingest, limit });
      app.addHook('onClose', async () => {
        await writer.close();
        await checkpointer?.stop();
      });
    },
  };
}
