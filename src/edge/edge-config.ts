import { resolve } from 'node:path';
import { parseSize } from './size.ts';

export interface EdgeConfig {
  /** Tried in this order; the next one when one fails. */
  origins: URL[];
  port: number;
  host: string;
  cacheDir: string;
  /** Bytes the disk cache may hold (files' sizes, metadata included). */
  cacheSize: number;
  /** Bytes of the hot-object tier in memory. */
  memorySize: number;
  /** An admin API key of the origin: token checks at the edge and purge on its events. */
  apiKey: string | undefined;
  /**
   * Behind a CDN or load balancer: keep the X-Forwarded-For/-Host/-Proto it sends (appending
   * the socket's address). Off by default: the edge is the first hop and overwrites them, so a
   * viewer cannot name its own address or host.
   */
  trustForwarded: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Seconds between usage reports to the origin (with an API key; docs/usage.md). */
  usageReportSeconds: number;
  /**
   * Who may read /metrics, as on the other roles: FRAMEHOUSE_METRICS_TOKEN as a bearer token when
   * set, else the addresses in FRAMEHOUSE_METRICS_ALLOWED_IPS (default: loopback). The edge faces
   * viewers: its counters are not theirs to read.
   */
  metricsToken: string | undefined;
  metricsAllowedIps: string[];
}

export interface EdgeFlags {
  origin?: string[];
  port?: string;
  host?: string;
  cacheDir?: string;
  cacheSize?: string;
  memorySize?: string;
  apiKey?: string;
  trustForwarded?: boolean;
  usageReportSeconds?: string;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/**
 * Flags win over their environment twins. Every bad value is collected, so one start-up error
 * names them all (the caller throws them as one ConfigError, as the other commands do).
 */
export function edgeConfig(
  env: NodeJS.ProcessEnv,
  flags: EdgeFlags,
): { config: EdgeConfig; problems: string[] } {
  const problems: string[] = [];
  const originTexts =
    flags.origin && flags.origin.length > 0
      ? flags.origin
      : (env.FRAMEHOUSE_EDGE_ORIGINS ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const origins: URL[] = [];
  for (const text of originTexts) {
    try {
      const url = new URL(text);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      if (url.pathname !== '/' || url.search) throw new Error('has a path');
      origins.push(url);
    } catch {
      problems.push(
        `--origin / FRAMEHOUSE_EDGE_ORIGINS: "${text}" is not an origin URL (http(s)://host:port)`,
      );
    }
  }
  if (originTexts.length === 0)
    problems.push('--origin / FRAMEHOUSE_EDGE_ORIGINS: name at least one origin (http://host:port)');

  const portText = flags.port ?? env.PORT ?? '8081';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`--port / PORT: "${portText}" is not a port number`);

  const size = (name: string, text: string) => {
    const bytes = parseSize(text);
    if (bytes === null || bytes <= 0) problems.push(`${name}: "${text}" is not a size (e.g. 10GB, 500MB)`);
    return bytes ?? 0;
  };
  const cacheSize = size(
    '--cache-size / FRAMEHOUSE_EDGE_CACHE_SIZE',
    flags.cacheSize ?? env.FRAMEHOUSE_EDGE_CACHE_SIZE ?? '10GB',
  );
  const memorySize = size(
    '--memory-size / FRAMEHOUSE_EDGE_MEMORY_SIZE',
    flags.memorySize ?? env.FRAMEHOUSE_EDGE_MEMORY_SIZE ?? '64MB',
  );
  const trustText = (env.FRAMEHOUSE_EDGE_TRUST_FORWARDED ?? '').trim().toLowerCase();
  if (!['', '0', '1', 'true', 'false', 'yes', 'no'].includes(trustText))
    problems.push(`FRAMEHOUSE_EDGE_TRUST_FORWARDED: "${trustText}" is not true or false`);
  const trustForwarded = flags.trustForwarded ?? ['1', 'true', 'yes'].includes(trustText);
  const reportText = flags.usageReportSeconds ?? env.FRAMEHOUSE_EDGE_USAGE_REPORT_SECONDS ?? '60';
  const usageReportSeconds = Number(reportText);
  if (!Number.isInteger(usageReportSeconds) || usageReportSeconds < 1 || usageReportSeconds > 3600)
    problems.push(
      `--usage-report-seconds / FRAMEHOUSE_EDGE_USAGE_REPORT_SECONDS: "${reportText}" is not a whole number of seconds from 1 to 3600`,
    );
  const metricsAllowedIps = (env.FRAMEHOUSE_METRICS_ALLOWED_IPS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const ip of metricsAllowedIps)
    if (!/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(ip))
      problems.push(`FRAMEHOUSE_METRICS_ALLOWED_IPS: "${ip}" is not an IP address or CIDR range`);
  const logLevel = (env.FRAMEHOUSE_LOG_LEVEL ?? 'info') as EdgeConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`FRAMEHOUSE_LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);

  return {
    config: {
      origins,
      port,
      host: flags.host ?? env.FRAMEHOUSE_HOST ?? '0.0.0.0',
      cacheDir: resolve(flags.cacheDir ?? env.FRAMEHOUSE_EDGE_CACHE_DIR ?? './edge-cache'),
      cacheSize,
      memorySize,
      apiKey: (flags.apiKey ?? env.FRAMEHOUSE_EDGE_API_KEY) || undefined,
      trustForwarded,
      logLevel,
      usageReportSeconds,
      metricsToken: env.FRAMEHOUSE_METRICS_TOKEN || undefined,
      metricsAllowedIps,
    },
    problems,
  };
}
