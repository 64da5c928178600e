import { createServer, type Server } from 'node:http';
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

/** Worker processes have no API: with FRAMEHOUSE_METRICS_PORT they serve /metrics on their own. */
export async function serveWorkerMetrics(
  metrics: Metrics,
  port: number,
  host: string,
  opts: Options,
): Promise<Server> {
  const allowed = metricsGuard(opts.token, opts.allowedIps);
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics' || req.method !== 'GET') return void res.writeHead(404).end();
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
