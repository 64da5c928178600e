import { createServer, type Server, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/errors.ts';
import { type Metrics, metricsGuard } from './metrics.ts';

interface Options {
  token: string | undefined;
  allowedIps: string[];
}

/** `GET /metrics` in Prometheus text format, for the configured token or addresses only. */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, opts: Options): void {
  const allowed = metricsGuard(opts.token, opts.allowedIps);
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (!allowed(request.headers.authorization, request.ip))
      throw new AppError('FH_ERR_FORBIDDEN', 'Metrics are for the configured scraper only.');
    reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store');
    return metrics.registry.metrics();
  });
}

/**
 * Worker processes have no API: with FRAMEHOUSE_METRICS_PORT they serve /metrics on their own,
 * and beside it `/healthz` (the process answers) and `/readyz` (`readiness`: database, store,
 * ffmpeg) for an orchestrator's probes. Those two are open, as on the HTTP roles: a probe comes
 * from the node, not from the scraper, and they tell nothing but ok or failing.
 */
export async function serveWorkerMetrics(
  metrics: Metrics,
  port: number,
  host: string,
  opts: Options,
  readiness?: () => Promise<{ ready: boolean; body: unknown }>,
): Promise<Server> {
  const allowed = metricsGuard(opts.token, opts.allowedIps);
  const json = (res: ServerResponse, status: number, body: unknown) =>
    void res
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body));
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(404).end();
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz' && readiness)
      return void readiness().then(
        (r) => json(res, r.ready ? 200 : 503, r.body),
        () => json(res, 503, { status: 'unavailable' }),
      );
    if (path !== '/metrics') return void res.writeHead(404).end();
    if (!allowed(req.headers.authorization, req.socket.remoteAddress ?? ''))
      return void res.writeHead(403).end();
    metrics.registry
      .metrics()
      .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
