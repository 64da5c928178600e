/**
 * `npm run bench:queue [-- --jobs N --runs R]` — P7: jobs claimed and completed per second with
 * 4 consumers, Framehouse's SQL lease queue against pg-boss on the same PostgreSQL in the same
 * run (same no-op payloads, same concurrency: 4 consumers holding 1 or 50 jobs at a time), and the
 * same queue on SQLite. Needs DATABASE_URL=postgres://… (each run uses schemas of its own).
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import PgBoss from 'pg-boss';
import { openDatabase } from '../src/db/database.ts';
import { openTestDatabase, POSTGRES_URL, type TestDialect } from '../src/db/test-databases.ts';
import { defineJob, JobRegistry } from '../src/queue/jobs.ts';
import { PostgresNotifier } from '../src/queue/pg-notifier.ts';
import { JobQueue } from '../src/queue/queue.ts';
import { WorkerPool } from '../src/queue/worker.ts';
import { newId } from '../src/shared/ids.ts';
import { fmt, markdownTable, textTable } from './table.ts';
import { median } from './util.ts';

const { values: flags } = parseArgs({ options: { jobs: { type: 'string' }, runs: { type: 'string' } } });
const JOBS = Number(flags.jobs ?? 400);
const RUNS = Number(flags.runs ?? 3);
const CONSUMERS = 4;
if (!POSTGRES_URL) throw new Error('Set DATABASE_URL=postgres://… (P7 is measured on PostgreSQL)');
const log = (s: string) => process.stderr.write(`${s}\n`);

/**
 * Framehouse: jobs enqueued first, then 4 worker pools (own connections) of `slots` slots each:
 * one slot is one job in hand at a time; 50 slots hold up to 50, as a pg-boss batch of 50 does.
 */
async function framehouse(dialect: TestDialect, slots: number): Promise<number> {
  const t = await openTestDatabase(dialect);
  const notifier = dialect === 'postgres' ? new PostgresNotifier(t.url) : undefined;
  await notifier?.start();
  const queue = new JobQueue({ db: t.db, ...(notifier ? { notifier } : {}) });
  for (let i = 0; i < JOBS; i += 200) {
    await t.db.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(JOBS, i + 200); j++) await queue.enqueue(trx, 'bench', { n: j });
    });
  }
  let done = 0;
  let finished: () => void = () => {};
  const all = new Promise<void>((r) => {
    finished = r;
  });
  const job = defineJob<{ n: number }>('bench', {
    handler: async () => {
      if (++done === JOBS) finished();
    },
  });
  const started = performance.now();
  const pools = Array.from({ length: CONSUMERS }, (_, i) => {
    const pool = new WorkerPool({
      queue: new JobQueue({ db: t.connect(), ...(notifier ? { notifier } : {}) }),
      registry: new JobRegistry([job]),
      concurrency: slots,
      workerId: `bench-${i}`,
      pollIntervalMs: 100,
    });
    pool.start();
    return pool;
  });
  await all;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pools.map((p) => p.stop({ graceMs: 1000 })));
  await notifier?.close();
  await t.close();
  return JOBS / seconds;
}

/**
 * pg-boss: the same jobs inserted first, then 4 workers. pg-boss waits its polling interval
 * (0.5 s at least) between fetches, so one job a fetch is not its throughput setting: it is
 * measured both ways, one job a fetch (like ours) and 50 (its own way to go fast).
 */
async function pgBoss(batchSize: number): Promise<number> {
  const schema = `pgboss_bench_${newId(8)}`;
  const boss = new PgBoss({ connectionString: POSTGRES_URL as string, schema });
  boss.on('error', (e) => log(`pg-boss: ${(e as Error).message}`));
  await boss.start();
  await boss.createQueue('bench');
  for (let i = 0; i < JOBS; i += 200) {
    const batch = Array.from({ length: Math.min(200, JOBS - i) }, (_, j) => ({
      name: 'bench',
      data: { n: i + j },
    }));
    await boss.insert(batch);
  }
  let done = 0;
  let finished: () => void = () => {};
  const all = new Promise<void>((r) => {
    finished = r;
  });
  const started = performance.now();
  for (let i = 0; i < CONSUMERS; i++) {
    await boss.work('bench', { batchSize, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      done += jobs.length;
      if (done >= JOBS) finished();
    });
  }
  await all;
  const seconds = (performance.now() - started) / 1000;
  await boss.stop({ graceful: true, wait: true });
  const admin = openDatabase(POSTGRES_URL as string);
  await sql`drop schema ${sql.id(schema)} cascade`.execute(admin);
  await admin.destroy();
  return JOBS / seconds;
}

const rows: Record<'fhPg' | 'fhPg50' | 'boss' | 'boss50' | 'fhSqlite' | 'fhSqlite50', number[]> = {
  fhPg: [],
  fhPg50: [],
  boss: [],
  boss50: [],
  fhSqlite: [],
  fhSqlite50: [],
};
for (let r = 1; r <= RUNS; r++) {
  // Alternated, so that drift in the machine's load hits all alike.
  rows.fhPg.push(await framehouse('postgres', 1));
  rows.boss.push(await pgBoss(1));
  rows.fhPg50.push(await framehouse('postgres', 50));
  rows.boss50.push(await pgBoss(50));
  rows.fhSqlite.push(await framehouse('sqlite', 1));
  rows.fhSqlite50.push(await framehouse('sqlite', 50));
  log(
    `run ${r}/${RUNS}: framehouse pg ${fmt(rows.fhPg.at(-1) ?? 0, 0)}/s (50 slots ${fmt(rows.fhPg50.at(-1) ?? 0, 0)}/s), pg-boss ${fmt(rows.boss.at(-1) ?? 0, 0)}/s (batch 50 ${fmt(rows.boss50.at(-1) ?? 0, 0)}/s)`,
  );
}
const ratios = rows.fhPg.map((v, i) => v / (rows.boss[i] ?? 1));
const ratios50 = rows.fhPg50.map((v, i) => v / (rows.boss50[i] ?? 1));
const head = ['', ...rows.fhPg.map((_, i) => `run ${i + 1}`), 'median', 'target'];
const line = (label: string, xs: number[], digits: number, target = '') => [
  label,
  ...xs.map((x) => fmt(x, digits)),
  fmt(median(xs), digits),
  target,
];
const table = {
  head,
  rows: [
    line('Framehouse, PostgreSQL, 1 slot a pool (jobs/s)', rows.fhPg, 0),
    line('pg-boss 10, one job a fetch (jobs/s)', rows.boss, 0),
    line('**P7** one job in hand = Framehouse ÷ pg-boss', ratios, 2, '≥ 1.0'),
    line('Framehouse, PostgreSQL, 50 slots a pool (jobs/s)', rows.fhPg50, 0),
    line('pg-boss 10, 50 jobs a fetch (jobs/s)', rows.boss50, 0),
    line('**P7** 50 jobs in hand = Framehouse ÷ pg-boss', ratios50, 2, '≥ 1.0'),
    line('Framehouse, SQLite, 1 slot a pool (jobs/s)', rows.fhSqlite, 0),
    line('Framehouse, SQLite, 50 slots a pool (jobs/s)', rows.fhSqlite50, 0),
  ],
};
const setup = `${JOBS} no-op jobs enqueued first, then ${CONSUMERS} consumers (Framehouse: 4 worker pools, each on its own connections, of 1 or 50 slots; pg-boss: 4 workers fetching 1 or 50 jobs); ${RUNS} runs; medians`;
process.stdout.write(
  `\nP7 — ${setup}\n\n${textTable(table)}\n\n<!-- bench:queue:begin -->\n${markdownTable(table)}\n<!-- bench:queue:end -->\n`,
);
