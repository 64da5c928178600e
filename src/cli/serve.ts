import { type Config, loadConfig } from '../config/config.ts';
import { type Role, startServer } from '../server.ts';
import { HttpSiblings } from './http-siblings.ts';

/**
 * `framehouse serve` (API and workers in one process), `framehouse api` (HTTP only) and
 * `framehouse worker` (jobs only): one process of a role until SIGTERM or SIGINT.
 */
export async function serveCommand(
  flags: Record<string, unknown>,
  opts: { role?: Role; jobTypes?: string[]; httpChild?: boolean } = {},
): Promise<void> {
  const config: Config = loadConfig(process.env, flags);
  const role = opts.role ?? 'all';
  // Several processes on the HTTP port (the api's and the origin's work spread over the cores):
  // this one, and siblings started below; a sibling (`httpChild`) starts none itself.
  const siblings = opts.httpChild ? 0 : (role === 'all' || role === 'api' ? config.httpProcesses : 1) - 1;
  const server = await startServer(config, {
    ...opts,
    ...(opts.httpChild || siblings > 0 ? { sharedPort: { child: opts.httpChild === true } } : {}),
  });
  const httpSiblings =
    siblings > 0 && server.url
      ? new HttpSiblings({
          count: siblings,
          bin: process.argv[1] ?? '',
          log: server.log,
          env: {
            ...process.env,
            // Resolved here (a flag, or port 0 made real), so every sibling binds the same port.
            PORT: new URL(server.url).port || '80',
            FRAMEHOUSE_HOST: config.host,
            FRAMEHOUSE_DATA_DIR: config.dataDir,
            DATABASE_URL: config.databaseUrl,
            STORAGE_URL: config.storageUrl,
          },
        })
      : null;
  httpSiblings?.start();
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
      // A sibling hears a stop twice when a whole cgroup is signalled (systemd) and its first
      // process passes the signal on: once is enough, it is stopping already.
      if (opts.httpChild) return;
      server.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    server.log.info({ signal }, 'shutting down: no new jobs, finishing or releasing running ones');
    Promise.all([httpSiblings?.stop(config.shutdownGraceMs), server.close()]).then(
      () => process.exit(0),
      (e) => {
        server.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A sibling whose first process is gone (even killed without a word) leaves too.
  if (opts.httpChild) process.once('disconnect', () => shutdown('disconnect'));
}
