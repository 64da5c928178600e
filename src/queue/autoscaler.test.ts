import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../test/helpers/wait.ts';
import { openTestDatabase, type TestDatabase } from '../db/test-databases.ts';
import { PoolAutoscaler } from './autoscaler.ts';
import { defineJob, JobRegistry } from './jobs.ts';
import { JobQueue } from './queue.ts';
import { WorkerPool } from './worker.ts';

let t: TestDatabase;
let queue: JobQueue;
let pool: WorkerPool;
let running = 0;
let peak = 0;

beforeEach(async () => {
  t = await openTestDatabase('sqlite');
  queue = new JobQueue({ db: t.db });
  running = 0;
  peak = 0;
  const work = defineJob<{ n: number }>('work', {
    handler: async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(150);
      running--;
    },
  });
  pool = new WorkerPool({
    queue,
    registry: new JobRegistry([work]),
    concurrency: 1,
    workerId: 'w',
    pollIntervalMs: 20,
  });
});
afterEach(async () => {
  await pool.stop({ graceMs: 1000 });
  await t.close();
});

const burst = async (n: number) => {
  for (let i = 0; i < n; i++) await queue.enqueue(t.db, 'work', { n: i });
};

test('the pool grows at once under a burst, up to max, and shrinks one slot at a time after it', async () => {
  const changes: Array<[number, number]> = [];
  const scaler = new PoolAutoscaler(
    pool,
    queue,
    { min: 1, max: 4, intervalMs: 50, scaleDownAfter: 4 },
    {
      loadPerCore: () => 0.2,
      onChange: (from, to) => changes.push([from, to]),
    },
  );
  pool.start();
  scaler.start();
  await burst(30);
  await waitFor(async () => !(await queue.stats()).work?.queued, { timeoutMs: 5000, intervalMs: 25 });
  await waitFor(() => pool.concurrency <= 1, { timeoutMs: 5000, intervalMs: 25 });
  await scaler.stop();

  const slots = scaler.history.map((s) => s.slots);
  const t0 = scaler.history[0]?.at ?? 0;
  process.stdout.write(
    `# slots over time (ms: slots/busy/backlog): ${scaler.history.map((s) => `${s.at - t0}:${s.slots}/${s.busy}/${s.backlog}`).join(' ')}\n`,
  );
  assert.equal(Math.max(...slots), 4, `slots over time: ${slots.join(' ')}`);
  assert.equal(peak, 4, 'four jobs ran at once');
  assert.equal(pool.concurrency, 1, 'back to min once quiet');
  // Up in one step; down one slot at a time: no flapping.
  const ups = changes.filter(([a, b]) => b > a);
  const downs = changes.filter(([a, b]) => b < a);
  assert.deepEqual(ups, [[1, 4]], JSON.stringify(changes));
  assert.deepEqual(
    downs,
    [
      [4, 3],
      [3, 2],
      [2, 1],
    ],
    JSON.stringify(changes),
  );
  const firstDown = scaler.history.findIndex(
    (s, i) => i > 0 && s.slots < (scaler.history[i - 1]?.slots ?? 0),
  );
  // The first slot is given back on the 4th sample in a row that wanted fewer than 4.
  const beforeDown = scaler.history.slice(firstDown - 3, firstDown + 1);
  assert.equal(beforeDown.length, 4);
  assert.ok(
    beforeDown.every((s) => s.busy + s.backlog < 4),
    JSON.stringify(beforeDown),
  );
});

test('an overloaded host does not grow the pool; min and max are kept', async () => {
  const scaler = new PoolAutoscaler(
    pool,
    queue,
    { min: 2, max: 3, intervalMs: 1_000_000 },
    { loadPerCore: () => 4 },
  );
  scaler.start();
  assert.equal(pool.concurrency, 2, 'min at start');
  await burst(10);
  assert.equal(await scaler.sample(), 2, 'the host is the bottleneck');
  const relaxed = new PoolAutoscaler(
    pool,
    queue,
    { min: 2, max: 3, intervalMs: 1_000_000 },
    { loadPerCore: () => 0.1 },
  );
  assert.equal(await relaxed.sample(), 3, 'never above max');
  await scaler.stop();
  assert.throws(() => new PoolAutoscaler(pool, queue, { min: 3, max: 2 }), RangeError);
});
