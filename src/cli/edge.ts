import { startEdge } from '../composition/edge.ts';
import { type EdgeFlags, edgeConfig } from '../edge/edge-config.ts';

/** `framehouse edge`: the caching reverse proxy until SIGTERM or SIGINT. */
export async function edgeCommand(flags: EdgeFlags): Promise<void> {
  const { config, problems } = edgeConfig(process.env, flags);
  if (problems.length > 0) {
    // As ConfigError prints it, without loading the server's schema (zod) into a small process.
    process.stderr.write(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  const edge = await startEdge(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    edge.log.info({ signal }, 'edge shutting down');
    edge.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
