import { type Config, loadConfig } from '../config/config.ts';
import { startServer } from '../server.ts';

/** `framehouse serve`: API, web and workers in one process, on embedded defaults. */
export async function serveCommand(flags: Record<string, unknown>): Promise<void> {
  const config: Config = loadConfig(process.env, flags);
  const server = await startServer(config);
  server.app.log.info(
    { url: server.url, dataDir: config.dataDir, workers: config.workerConcurrency },
    'framehouse is serving',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      server.app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: no new jobs, finishing or releasing running ones');
    server.close().then(
      () => process.exit(0),
      (e) => {
        server.app.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
