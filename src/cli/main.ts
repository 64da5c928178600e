import { Command, Option } from 'commander';
import { ConfigError } from '../config/config.ts';
import { migrateCommand } from './migrate.ts';
import { serveCommand } from './serve.ts';
import { defaultStateDir, uploadCommand } from './upload.ts';

const program = new Command()
  .name('framehouse')
  .description('Self-hostable media cloud: upload, transcode to adaptive HLS, deliver and play.')
  .showHelpAfterError();

const dataDir = new Option(
  '--data-dir <dir>',
  'where the embedded database and files live (FRAMEHOUSE_DATA_DIR)',
);

program
  .command('serve')
  .description('run the API, the playback origin and the workers in one process')
  .option('--port <port>', 'HTTP port (PORT, default 8080)')
  .option('--host <host>', 'address to listen on (FRAMEHOUSE_HOST, default 0.0.0.0)')
  .addOption(dataDir)
  .option('--concurrency <n>', 'jobs run at once; 0 runs no worker (FRAMEHOUSE_WORKER_CONCURRENCY)')
  .action(async (o: { port?: string; host?: string; dataDir?: string; concurrency?: string }) => {
    await serveCommand({ port: o.port, host: o.host, dataDir: o.dataDir, workerConcurrency: o.concurrency });
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .addOption(dataDir)
  .action(async (o: { dataDir?: string }) => {
    await migrateCommand({ dataDir: o.dataDir });
  });

program
  .command('upload <file>')
  .description('upload a file with resumable tus, showing progress; resumes after interruptions')
  .option(
    '--server <url>',
    'Framehouse server (FRAMEHOUSE_URL)',
    process.env.FRAMEHOUSE_URL ?? 'http://localhost:8080',
  )
  .option('--title <title>', 'title of the new asset')
  .option('--wait', 'wait until the asset is processed, showing progress', false)
  .option('--no-resume', 'do not resume an earlier, interrupted upload of the same file')
  .option('--chunk-size <bytes>', 'bytes per PATCH request', (v) => Number.parseInt(v, 10), 32 * 1024 * 1024)
  .action(
    async (
      file: string,
      o: { server: string; title?: string; wait: boolean; resume: boolean; chunkSize: number },
    ) => {
      await uploadCommand(file, { ...o, stateDir: defaultStateDir(), out: process.stderr });
    },
  );

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`${e instanceof ConfigError ? e.message : `framehouse: ${(e as Error).message}`}\n`);
  process.exit(1);
}
