/**
 * A harness-owned worker process for the poison-jobs scenario: the real queue (src/queue: the SQL
 * lease queue and the WorkerPool) on the cluster's database, running job types the product does
 * not have, each of which misbehaves in one way:
 *
 * - `chaos.poison-throws`: throws while the marker file exists (after it is removed, it succeeds:
 *   a redrive then completes it).
 * - `chaos.poison-hangs`: never settles and ignores its signal; its heartbeats keep the lease, so
 *   only the pool's per-attempt time limit (`timeoutMs`) ends it.
 * - `chaos.poison-crashes`: kills its own process mid-job (SIGKILL, as the OOM killer would); the
 *   harness restarts the process as a supervisor would.
 * - `chaos.poison-blocks`: blocks the event loop (a synchronous hang) for three leases, then
 *   returns: no heartbeat can run meanwhile, so the lease expires and another process takes over.
 *
 * Environment: POISON_DATABASE_URL, POISON_TYPES (comma-separated), POISON_MARKER, POISON_ID,
 * POISON_LEASE_MS, POISON_TIMEOUT_MS.
 */
import { existsSync } from 'node:fs';
import { openDatabase } from '../src/db/database.ts';
import { defineJob, JobRegistry } from '../src/queue/jobs.ts';
import { JobQueue } from '../src/queue/queue.ts';
import { WorkerPool } from '../src/queue/worker.ts';

export const POISON_TYPES = {
  throws: 'chaos.poison-throws',
  hangs: 'chaos.poison-hangs',
  crashes: 'chaos.poison-crashes',
  blocks: 'chaos.poison-blocks',
} as const;

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`poison-worker: ${name} is not set`);
  return value;
};

async function main(): Promise<void> {
  const leaseMs = Number(env('POISON_LEASE_MS'));
  const timeoutMs = Number(env('POISON_TIMEOUT_MS'));
  const marker = env('POISON_MARKER');
  const db = openDatabase(env('POISON_DATABASE_URL'));
  const queue = new JobQueue({ db, backoff: { baseMs: 1000, maxMs: 4000 } });
  const say = (line: object) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...line })}\n`);

  const registry = new JobRegistry([
    defineJob<null>(POISON_TYPES.throws, {
      visibilityTimeoutMs: leaseMs,
      handler: async (ctx) => {
        say({ job: ctx.id, type: POISON_TYPES.throws, attempt: ctx.attempt });
        if (existsSync(marker)) throw new Error('poison: this job always throws (while its marker exists)');
      },
    }),
    defineJob<null>(POISON_TYPES.hangs, {
      visibilityTimeoutMs: leaseMs,
      timeoutMs,
      handler: (ctx) => {
        say({ job: ctx.id, type: POISON_TYPES.hangs, attempt: ctx.attempt });
        return new Promise<void>(() => {}); // never settles; ignores ctx.signal
      },
    }),
    defineJob<null>(POISON_TYPES.crashes, {
      visibilityTimeoutMs: leaseMs,
      handler: async (ctx) => {
        say({ job: ctx.id, type: POISON_TYPES.crashes, attempt: ctx.attempt });
        await new Promise((resolve) => setTimeout(resolve, 200));
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => {});
      },
    }),
    defineJob<null>(POISON_TYPES.blocks, {
      visibilityTimeoutMs: leaseMs,
      handler: async (ctx) => {
        say({ job: ctx.id, type: POISON_TYPES.blocks, attempt: ctx.attempt });
        await new Promise((resolve) => setTimeout(resolve, 10));
        const until = Date.now() + 3 * leaseMs;
        while (Date.now() < until) {
          // a synchronous hang: no timer, heartbeat or time limit runs in this process meanwhile
        }
        say({ job: ctx.id, type: POISON_TYPES.blocks, attempt: ctx.attempt, unblocked: true });
      },
    }),
  ]);

  const types = env('POISON_TYPES').split(',');
  const pool = new WorkerPool({
    queue,
    registry,
    types,
    concurrency: 2,
    workerId: env('POISON_ID'),
    pollIntervalMs: 250,
    reapIntervalMs: 1000,
    abortWaitMs: 500,
  });
  pool.on('settled', (job, outcome, error) =>
    say({
      job: job.id,
      type: job.type,
      attempt: job.attempts,
      outcome,
      error: error ? String(error) : undefined,
    }),
  );
  pool.on('reaped', (jobs) => say({ reaped: jobs }));
  pool.start();
  say({ started: env('POISON_ID'), types });
  const stop = async () => {
    await pool.stop({ graceMs: 0 });
    await db.destroy();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
