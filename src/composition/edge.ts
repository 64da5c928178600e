import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, pino } from 'pino';
import type { EdgeConfig } from '../edge/edge-config.ts';
import { EdgeFetcher } from '../edge/edge-fetch.ts';
import { edgeMetrics } from '../edge/edge-metrics.ts';
import { edgeHandler } from '../edge/edge-server.ts';
import { EdgeUsage } from '../edge/edge-usage.ts';
import { ObjectCache } from '../edge/object-cache.ts';
import { OriginPool } from '../edge/origin-pool.ts';
import { PurgeFollower } from '../edge/purge-follower.ts';
import { TokenCheck } from '../edge/token-check.ts';
import { metricsGuard } from '../ops/metrics.ts';
import { EDGE_REPORT_HEADER } from '../shared/playback-headers.ts';

export interface RunningEdge {
  url: string;
  log: Logger;
  close(): Promise<void>;
}

/**
 * `framehouse edge`: a caching reverse proxy, nothing else. It opens no database and builds no
 * app (no Fastify, no storage adapters): an origin pool, the two-tier cache, the token check and
 * the purge follower around one node:http server.
 */
export async function startEdge(config: EdgeConfig): Promise<RunningEdge> {
  const log: Logger = pino({ level: config.logLevel, enabled: config.logLevel !== 'silent' });
  let metrics: ReturnType<typeof edgeMetrics> | undefined;
  const pool = new OriginPool(config.origins, (origin, reason) => {
    metrics?.originErrors.labels(origin.name).inc();
    log.warn({ origin: origin.name, reason }, 'origin failed: left out for a while');
  });
  const cache = new ObjectCache({
    dir: config.cacheDir,
    cap: config.cacheSize,
    memorySize: config.memorySize,
    onEvict: () => metrics?.evictions.inc(),
  });
  metrics = edgeMetrics(cache);
  const m = metrics;
  const loaded = await cache.load();
  // With an API key the edge reports what it serves viewers; its fills are then not counted at the origin.
  const usage = config.apiKey
    ? new EdgeUsage({
        pool,
        apiKey: config.apiKey,
        everyMs: config.usageReportSeconds * 1000,
        log,
      }).start()
    : null;
  const fetcher = new EdgeFetcher(
    pool,
    cache,
    {
      coalesced: () => m.coalesced.inc(),
      originRequest: () => m.originRequests.inc(),
      originBytes: (n) => m.fromOrigin.inc(n),
    },
    usage ? { [EDGE_REPORT_HEADER]: usage.fillHeader } : {},
  );

  let tokens: TokenCheck | null = null;
  let follower: PurgeFollower | null = null;
  if (config.apiKey) {
    tokens = new TokenCheck(pool, config.apiKey, (message) => log.warn(message));
    await tokens.start();
    follower = new PurgeFollower({
      pool,
      apiKey: config.apiKey,
      cacheDir: config.cacheDir,
      purge: (ids, type) => {
        let n = 0;
        for (const id of ids) n += cache.purgePlayback(id);
        m.purged.inc(n);
        log.info({ event: type, playback_ids: ids, objects: n }, 'purged');
      },
      log: (message) => log.info(message),
    });
    await follower.start();
  }

  const server = createServer(
    { keepAliveTimeout: 65_000, requestTimeout: 0, highWaterMark: 256 * 1024 },
    edgeHandler({
      pool,
      cache,
      fetcher,
      tokens,
      metrics,
      log,
      trustForwarded: config.trustForwarded,
      usage,
      metricsAllowed: metricsGuard(config.metricsToken, config.metricsAllowedIps),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;
  log.info(
    {
      url,
      origins: config.origins.map((o) => o.origin),
      cacheDir: config.cacheDir,
      cacheSize: config.cacheSize,
      memorySize: config.memorySize,
      objects: loaded.objects,
      cachedBytes: loaded.bytes,
    },
    'framehouse edge is serving',
  );
  if (!config.apiKey)
    log.warn(
      'no --api-key (FRAMEHOUSE_EDGE_API_KEY): signed playback passes through to the origin uncached, nothing is purged when assets are deleted, and deliveries are not reported for usage metering',
    );
  return {
    url,
    log,
    async close() {
      follower?.stop();
      tokens?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // What was served since the last report (the connections are closed: nothing more comes).
      await usage?.stop().catch((err: unknown) => log.warn({ err }, 'last usage report failed'));
      await pool.close();
    },
  };
}
