import { Command, Option } from 'commander';
import type { EdgeFlags } from '../edge/edge-config.ts';
import { imagesCommand } from './images.ts';

// Each command imports what it runs only when it runs (`await import(…)` in its action): the
// server, the AWS SDK, accounts and sharp cost a second to load, and `--help`, `doctor` or
// `upload` need none of them. Nothing heavier than commander belongs at the top of this file
// or of images.ts; `npm run bench:cli` measures it.

const program = new Command()
  .name('framehouse')
  .description('Self-hostable media cloud: upload, transcode to adaptive HLS, deliver and play.')
  .showHelpAfterError();

const dataDir = new Option(
  '--data-dir <dir>',
  'where the embedded database and files live (FRAMEHOUSE_DATA_DIR)',
);

const httpProcesses = new Option(
  '--processes <n>',
  'HTTP processes sharing the port, or auto: one per core (FRAMEHOUSE_HTTP_PROCESSES)',
);

program
  .command('serve')
  .description('run the API, the playback origin and the workers in one process')
  .option('--port <port>', 'HTTP port (PORT, default 8080)')
  .option('--host <host>', 'address to listen on (FRAMEHOUSE_HOST, default 0.0.0.0)')
  .addOption(dataDir)
  .option('--concurrency <n>', 'jobs run at once; 0 runs no worker (FRAMEHOUSE_WORKER_CONCURRENCY)')
  .addOption(httpProcesses)
  .action(
    async (o: {
      port?: string;
      host?: string;
      dataDir?: string;
      concurrency?: string;
      processes?: string;
    }) => {
      const { serveCommand } = await import('./serve.ts');
      await serveCommand({
        port: o.port,
        host: o.host,
        dataDir: o.dataDir,
        workerConcurrency: o.concurrency,
        httpProcesses: o.processes,
      });
    },
  );

program
  .command('api')
  .description('run the HTTP API and playback origin only (no jobs); any number behind a load balancer')
  .option('--port <port>', 'HTTP port (PORT, default 8080)')
  .option('--host <host>', 'address to listen on (FRAMEHOUSE_HOST, default 0.0.0.0)')
  .addOption(new Option('--data-dir <dir>', 'where local state lives (FRAMEHOUSE_DATA_DIR)'))
  .addOption(httpProcesses)
  // Started by `serve` or `api` itself as one of their HTTP processes (see http-siblings.ts).
  .addOption(new Option('--http-child').hideHelp())
  .action(
    async (o: {
      port?: string;
      host?: string;
      dataDir?: string;
      processes?: string;
      httpChild?: boolean;
    }) => {
      const { serveCommand } = await import('./serve.ts');
      await serveCommand(
        { port: o.port, host: o.host, dataDir: o.dataDir, httpProcesses: o.processes },
        { role: 'api', httpChild: o.httpChild === true },
      );
    },
  );

program
  .command('live')
  .description(
    'run live ingest (RTMP/SRT), live transcoding and LL-HLS packaging only; any number behind a TCP load balancer',
  )
  .option('--port <port>', 'HTTP port api nodes fetch live playlists from (PORT, default 8080)')
  .option('--host <host>', 'address to listen on (FRAMEHOUSE_HOST, default 0.0.0.0)')
  .option('--rtmp-port <port>', 'RTMP port (FRAMEHOUSE_RTMP_PORT, default 1935)')
  .addOption(new Option('--data-dir <dir>', 'where local state lives (FRAMEHOUSE_DATA_DIR)'))
  .action(async (o: { port?: string; host?: string; rtmpPort?: string; dataDir?: string }) => {
    const { serveCommand } = await import('./serve.ts');
    await serveCommand(
      { port: o.port, host: o.host, rtmpPort: o.rtmpPort, dataDir: o.dataDir },
      { role: 'live' },
    );
  });

program
  .command('worker')
  .description('run jobs only (probe, transcode, …); any number, scaled on queue depth')
  .option('--concurrency <n>', 'jobs run at once (FRAMEHOUSE_WORKER_CONCURRENCY, at least 1)')
  .option('--types <list>', 'only these job types, comma-separated (e.g. transcode)')
  .option('--min <n>', 'autoscaling: fewest job slots (FRAMEHOUSE_WORKER_MIN, default 1)')
  .option(
    '--max <n>',
    'autoscaling: most job slots; sizes the pool on backlog and load (FRAMEHOUSE_WORKER_MAX)',
  )
  .addOption(new Option('--data-dir <dir>', 'where scratch files live (FRAMEHOUSE_DATA_DIR)'))
  .action(
    async (o: { concurrency?: string; types?: string; dataDir?: string; min?: string; max?: string }) => {
      const jobTypes = o.types
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const { serveCommand } = await import('./serve.ts');
      await serveCommand(
        { workerConcurrency: o.concurrency, dataDir: o.dataDir, workerMin: o.min, workerMax: o.max },
        { role: 'worker', jobTypes },
      );
    },
  );

program
  .command('edge')
  .description(
    'run a caching reverse proxy in front of one or more origins (disk + memory cache, failover, tokens checked at the edge)',
  )
  .option(
    '--origin <url>',
    'an origin (api or serve), repeatable, tried in order (FRAMEHOUSE_EDGE_ORIGINS, comma-separated)',
    (v: string, all: string[] = []) => [...all, v],
  )
  .option('--port <port>', 'HTTP port (PORT, default 8081)')
  .option('--host <host>', 'address to listen on (FRAMEHOUSE_HOST, default 0.0.0.0)')
  .option(
    '--cache-dir <dir>',
    'where cached objects are kept (FRAMEHOUSE_EDGE_CACHE_DIR, default ./edge-cache)',
  )
  .option(
    '--cache-size <size>',
    'disk cache cap, e.g. 10GB or 500MB (FRAMEHOUSE_EDGE_CACHE_SIZE, default 10GB)',
  )
  .option('--memory-size <size>', 'memory tier for hot objects (FRAMEHOUSE_EDGE_MEMORY_SIZE, default 64MB)')
  .option(
    '--api-key <key>',
    "an admin API key of the origin: tokens checked at the edge, purge on the origin's events, usage reports (FRAMEHOUSE_EDGE_API_KEY)",
  )
  .option(
    '--usage-report-seconds <n>',
    'with an API key: how often what viewers were served is reported to the origin (FRAMEHOUSE_EDGE_USAGE_REPORT_SECONDS, default 60)',
  )
  .option(
    '--trust-forwarded',
    'keep (and append to) the X-Forwarded-For/-Host/-Proto of a CDN in front (FRAMEHOUSE_EDGE_TRUST_FORWARDED)',
  )
  .action(async (o: EdgeFlags) => {
    const { edgeCommand } = await import('./edge.ts');
    await edgeCommand(o);
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .addOption(dataDir)
  .action(async (o: { dataDir?: string }) => {
    const { migrateCommand } = await import('./migrate.ts');
    await migrateCommand({ dataDir: o.dataDir });
  });

program
  .command('doctor')
  .description('security self-check of this configuration; exits 1 on a critical finding')
  .addOption(new Option('--data-dir <dir>', 'where the embedded database lives (FRAMEHOUSE_DATA_DIR)'))
  .action(async (o: { dataDir?: string }) => {
    const { doctorCommand } = await import('./doctor.ts');
    await doctorCommand({ dataDir: o.dataDir });
  });

const users = program.command('users').description('manage accounts');
users
  .command('create')
  .description('make an account (the first admin, or for automation); the password is read from stdin')
  .requiredOption('--email <email>', 'e-mail address to sign in with')
  .requiredOption('--role <role>', 'admin, editor or viewer')
  .option('--name <name>', 'display name (default: the part of the address before @)')
  .option('--password-stdin', 'read the password from standard input', false)
  .addOption(new Option('--data-dir <dir>', 'where the embedded database lives (FRAMEHOUSE_DATA_DIR)'))
  .action(
    async (o: { email: string; role: string; name?: string; passwordStdin: boolean; dataDir?: string }) => {
      const { createUserCommand } = await import('./users.ts');
      await createUserCommand(o);
    },
  );

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
      const { defaultStateDir, uploadCommand } = await import('./upload.ts');
      await uploadCommand(file, { ...o, stateDir: defaultStateDir(), out: process.stderr });
    },
  );

const storage = program.command('storage').description('the object store: lifecycle rules');
storage
  .command('lifecycle')
  .description(
    'print the storage lifecycle rules in effect and what they will do next; --apply writes the rules the store can run itself (S3 bucket lifecycle)',
  )
  .option('--apply', "write the store's own lifecycle rules (abort abandoned multipart uploads)", false)
  .addOption(dataDir)
  .action(async (o: { apply: boolean; dataDir?: string }) => {
    const { storageLifecycleCommand } = await import('./storage.ts');
    await storageLifecycleCommand({ apply: o.apply, dataDir: o.dataDir });
  });

program.addCommand(imagesCommand());

const backup = program
  .command('backup')
  .description(
    'back up the database and the objects to a folder or bucket prefix, verified (see `backup list`)',
  )
  .option(
    '--to <target>',
    'a folder, or s3://bucket/prefix?endpoint=… (AWS credentials from the environment)',
  )
  .option(
    '--objects <mode>',
    'all: copy the objects too (incremental); none: the bucket is replicated elsewhere',
    'all',
  )
  .option(
    '--include-secrets',
    'keep webhook and signing secrets, stream keys, sessions… encrypted with a passphrase',
  )
  .option(
    '--passphrase-file <file>',
    'the passphrase for --include-secrets (else FRAMEHOUSE_BACKUP_PASSPHRASE, or typed)',
  )
  .option('--keep <n>', 'then remove the oldest complete backups of the target beyond n')
  .addOption(new Option('--data-dir <dir>', 'where the embedded database lives (FRAMEHOUSE_DATA_DIR)'))
  .action(
    async (o: {
      to?: string;
      objects?: string;
      includeSecrets?: boolean;
      passphraseFile?: string;
      keep?: string;
      dataDir?: string;
    }) => {
      const { backupCommand } = await import('./backup.ts');
      await backupCommand(o);
    },
  );
backup
  .command('list')
  .description('the complete backups of a target, newest first')
  .requiredOption('--from <target>', 'a folder, or s3://bucket/prefix?endpoint=…')
  .action(async (o: { from: string }) => {
    const { backupListCommand } = await import('./backup.ts');
    await backupListCommand(o);
  });

program
  .command('restore')
  .description('restore a backup into an empty database and store, then verify every object')
  .requiredOption('--from <target>', 'a folder, or s3://bucket/prefix?endpoint=…')
  .option('--backup <id>', 'which backup (default: the newest complete one)')
  .option('--force', 'replace a database and store that are not empty (everything in them is deleted)')
  .option('--objects <mode>', 'all: copy the objects back; none: the store kept them (only verified)', 'all')
  .option(
    '--passphrase-file <file>',
    'to restore the secrets (else FRAMEHOUSE_BACKUP_PASSPHRASE; without: left out)',
  )
  .addOption(new Option('--data-dir <dir>', 'where the embedded database lives (FRAMEHOUSE_DATA_DIR)'))
  .action(
    async (o: {
      from: string;
      backup?: string;
      force?: boolean;
      objects?: string;
      passphraseFile?: string;
      dataDir?: string;
    }) => {
      const { restoreCommand } = await import('./restore.ts');
      await restoreCommand(o);
    },
  );

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Loaded by whichever command failed on its configuration, if one did.
  const { ConfigError } = await import('../config/config.ts');
  process.stderr.write(`${e instanceof ConfigError ? e.message : `framehouse: ${(e as Error).message}`}\n`);
  process.exit(1);
}
