import { type Config, loadConfig } from '../config/config.ts';
import { type Role, startServer } from '../server.ts';

/**
 * `framehouse serve` (API and workers in one process), `framehouse api` (HTTP only) and
 * `framehouse worker` (jobs only): one process of a role until SIGTERM or SIGINT.
 */
export async function serveCommand(
  flags: Record<string, unknown>,
  opts: { role?: Role; jobTypes?: string[] } = {},
): Promise<void> {
  const config: Config = loadConfig(process.env, flags);
  const server = await startServer(config, opts);
  server.log.info(
    {
      role: opts.role ?? 'all',
      url: server.url,
      dataDir: config.dataDir,
      workers: server.workers ? 'on' : 'off',
    },
    'framehouse is serving',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      server.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    server.log.info({ signal }, 'shutting down: no new jobs, finishing or releasing running ones');
    server.close().then(
      () => process.exit(0),
      (e) => {
        server.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
