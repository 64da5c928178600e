import { Counter, Gauge, Registry } from 'prom-client';
import type { ObjectCache } from './object-cache.ts';

/**
 * The edge's Prometheus metrics (`GET /metrics`). Counters with labels are resolved once
 * (`labels(…)` children), so counting on the hit path is one addition.
 */
export function edgeMetrics(cache: ObjectCache) {
  const registry = new Registry();
  const requests = new Counter({
    name: 'framehouse_edge_requests_total',
    help: 'Answers by how the cache made them',
    labelNames: ['cache'] as const,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'framehouse_edge_bytes_total',
    help: 'Body bytes sent to clients (served) and received from origins (origin)',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  const coalesced = new Counter({
    name: 'framehouse_edge_coalesced_total',
    help: "Requests that waited for another request's origin fetch of the same object",
    registers: [registry],
  });
  const originErrors = new Counter({
    name: 'framehouse_edge_origin_errors_total',
    help: 'Origin failures (no connection, a reset, a timeout, a 502/504, a body cut short), by origin',
    labelNames: ['origin'] as const,
    registers: [registry],
  });
  const originRequests = new Counter({
    name: 'framehouse_edge_origin_requests_total',
    help: 'Requests sent to origins for the cache (pass-through not included)',
    registers: [registry],
  });
  const evictions = new Counter({
    name: 'framehouse_edge_evictions_total',
    help: 'Objects evicted from the disk cache to stay under its cap',
    registers: [registry],
  });
  const purged = new Counter({
    name: 'framehouse_edge_purged_total',
    help: 'Objects purged on the origin events',
    registers: [registry],
  });
  new Gauge({
    name: 'framehouse_edge_cache_bytes',
    help: 'Bytes of the disk cache (files, and those being written) and of the memory tier',
    labelNames: ['tier'] as const,
    registers: [registry],
    collect() {
      this.set({ tier: 'disk' }, cache.disk.bytes);
      this.set({ tier: 'memory' }, cache.memory.calculatedSize);
    },
  });
  new Gauge({
    name: 'framehouse_edge_cache_objects',
    help: 'Objects in the disk cache and in the memory tier',
    labelNames: ['tier'] as const,
    registers: [registry],
    collect() {
      this.set({ tier: 'disk' }, cache.disk.index.size);
      this.set({ tier: 'memory' }, cache.memory.size);
    },
  });
  const kinds = ['hit', 'miss', 'stale', 'bypass', 'refused', 'failed'] as const;
  const by = Object.fromEntries(kinds.map((k) => [k, requests.labels(k)])) as Record<
    (typeof kinds)[number],
    ReturnType<typeof requests.labels>
  >;
  return {
    registry,
    requests: by,
    served: bytes.labels('served'),
    fromOrigin: bytes.labels('origin'),
    coalesced,
    originErrors,
    originRequests,
    evictions,
    purged,
  };
}

export type EdgeMetrics = ReturnType<typeof edgeMetrics>;
