import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '../../test/helpers/wait.ts';
import { openDatabase, pingDatabase } from '../db/database.ts';
import { postgresSkip, TEST_DIALECTS } from '../db/test-databases.ts';
import { type AnyJobDefinition, defineJob, type JobContext, JobRegistry, PermanentJobError } from './jobs.ts';
import { type ClaimedJob, JobQueue } from './queue.ts';
import { openTestDatabase, type TestDatabase } from './testing.ts';
import {
  type JobOutcome,
  JobTimeoutError,
  LeaseLostError,
  WorkerPool,
  type WorkerPoolOptions,
  WorkerShutdownError,
} from './worker.ts';

for (const dialect of TEST_DIALECTS) {
  describe(`on ${dialect}`, { skip: postgresSkip(dialect) }, () => {
    let t: TestDatabase;
    let pools: WorkerPool[];

    beforeEach(async () => {
      t = await openTestDatabase(dialect);
      pools = [];
    });

    afterEach(async () => {
      await Promise.all(pools.map((p) => p.stop({ graceMs: 0 })));
      await t.close();
    });

    function pool(
      queue: JobQueue,
      jobs: AnyJobDefinition[],
      options: Partial<WorkerPoolOptions> = {},
    ): WorkerPool {
      const p = new WorkerPool({
        queue,
        registry: new JobRegistry(jobs),
        concurrency: 2,
        workerId: `test-${pools.length + 1}`,
        pollIntervalMs: 10,
        abortWaitMs: 200,
        ...options,
      });
      pools.push(p);
      return p;
    }

    // These jobs take milliseconds: look often.
    const waitUntil = (check: () => boolean | Promise<boolean>) =>
      waitFor(check, { timeoutMs: 5000, intervalMs: 5 });

    /** Resolves with the next `settled` event of a job. */
    function settledOnce(p: WorkerPool, jobId: string): Promise<{ outcome: JobOutcome; error: unknown }> {
      return new Promise((resolve) => {
        const on = (job: ClaimedJob, outcome: JobOutcome, error: unknown) => {
          if (job.id !== jobId) return;
          p.off('settled', on);
          resolve({ outcome, error });
        };
        p.on('settled', on);
      });
    }

    function deferred(): { promise: Promise<void>; resolve: () => void } {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      return { promise, resolve };
    }

    /** A worker that looks alive to itself but whose heartbeats never reach the database. */
    class NoHeartbeatQueue extends JobQueue {
      override async heartbeat(): Promise<boolean> {
        return true;
      }
    }

    describe('WorkerPool', () => {
      test('runs a job with its parsed payload and completes it', async () => {
        const queue = new JobQueue({ db: t.db });
        const seen: Array<{ payload: unknown; attempt: number }> = [];
        const logs: object[] = [];
        const job = defineJob<{ n: number }>('double', {
          parse: (raw) => {
            const n = (raw as { n?: unknown }).n;
            if (typeof n !== 'number') throw new Error('n must be a number');
            return { n };
          },
          handler: async (ctx: JobContext<{ n: number }>) => {
            seen.push({ payload: ctx.payload, attempt: ctx.attempt });
            ctx.log.info({ doubled: ctx.payload.n * 2 }, 'doubled');
          },
        });
        const logger = { info: (o: object) => logs.push(o), warn: () => {}, error: () => {} };
        const p = pool(queue, [job], { logger });
        p.start();
        const { id } = await queue.enqueue(t.db, 'double', { n: 21 });
        const bad = await queue.enqueue(t.db, 'double', { n: 'x' });
        assert.equal((await settledOnce(p, id)).outcome, 'completed');
        await waitUntil(async () => (await queue.get(bad.id))?.state === 'dead');
        assert.deepEqual(seen, [{ payload: { n: 21 }, attempt: 1 }]);
        assert.equal((await queue.get(id))?.state, 'completed');
        assert.match((await queue.get(bad.id))?.lastError ?? '', /payload is not valid: n must be a number/);
        assert.ok(logs.some((o) => 'doubled' in o && (o as { jobId?: string }).jobId === id));
      });

      test('a crash is a failed attempt that is retried; a PermanentJobError is dead at once', async () => {
        const queue = new JobQueue({ db: t.db, backoff: { baseMs: 5 } });
        let calls = 0;
        const flaky = defineJob<null>('flaky', {
          handler: async (ctx) => {
            calls++;
            if (ctx.attempt < 3) throw new Error(`crash ${ctx.attempt}`);
          },
        });
        const hopeless = defineJob<null>('hopeless', {
          handler: async () => {
            throw new PermanentJobError('not media');
          },
        });
        const p = pool(queue, [flaky, hopeless]);
        const outcomes: JobOutcome[] = [];
        p.on('settled', (_job, outcome) => outcomes.push(outcome));
        p.start();
        const a = await queue.enqueue(t.db, 'flaky', null);
        const b = await queue.enqueue(t.db, 'hopeless', null);
        await waitUntil(async () => (await queue.get(a.id))?.state === 'completed');
        await waitUntil(async () => (await queue.get(b.id))?.state === 'dead');
        assert.equal(calls, 3);
        assert.equal((await queue.get(a.id))?.attempts, 3);
        assert.equal((await queue.get(a.id))?.lastError, 'crash 2');
        const deadJob = await queue.get(b.id);
        assert.equal(deadJob?.attempts, 1);
        assert.equal(deadJob?.lastError, 'not media');
        assert.deepEqual(outcomes.sort(), ['completed', 'dead', 'retrying', 'retrying']);
      });

      test('a job failing because the database is unreachable does not use up its attempts', async () => {
        const queue = new JobQueue({ db: t.db, backoff: { baseMs: 5 } });
        // A real pg error: a database nobody listens for.
        const down = openDatabase('postgres://nobody@127.0.0.1:1/none');
        let calls = 0;
        const job = defineJob<null>('needs-db', {
          maxAttempts: 2,
          handler: async () => {
            calls++;
            if (calls <= 4) await pingDatabase(down);
          },
        });
        try {
          const p = pool(queue, [job]);
          const outcomes: JobOutcome[] = [];
          p.on('settled', (_job, outcome) => outcomes.push(outcome));
          p.start();
          const { id } = await queue.enqueue(t.db, 'needs-db', null);
          await waitUntil(async () => (await queue.get(id))?.state === 'completed');
          assert.equal(calls, 5);
          assert.equal((await queue.get(id))?.attempts, 1);
          assert.deepEqual(outcomes, ['retrying', 'retrying', 'retrying', 'retrying', 'completed']);
        } finally {
          await down.destroy();
        }
      });

      test('a full disk is a coded failure (FH_ERR_STORAGE_FULL) that is retried, even under a PermanentJobError', async () => {
        const queue = new JobQueue({ db: t.db, backoff: { baseMs: 5 } });
        const enospc = () =>
          Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
        let calls = 0;
        const writer = defineJob<null>('writer', {
          handler: async (ctx) => {
            calls++;
            // ffmpeg's failure as a handler reports it: permanent, caused by the disk being full.
            if (calls === 1) throw new PermanentJobError('ffmpeg failed', { cause: enospc() });
            if (calls === 2) throw enospc();
            // Not the job's fault: like an outage, the full disk used up no attempt.
            assert.equal(ctx.attempt, 1);
          },
        });
        const p = pool(queue, [writer]);
        const errors: string[] = [];
        p.on('settled', async (job, outcome) => {
          if (outcome === 'retrying') errors.push((await queue.get(job.id))?.lastError ?? '');
        });
        p.start();
        const a = await queue.enqueue(t.db, 'writer', null);
        await waitUntil(async () => (await queue.get(a.id))?.state === 'completed');
        assert.equal(calls, 3);
        await waitUntil(async () => errors.length === 2);
        for (const e of errors) assert.match(e, /^FH_ERR_STORAGE_FULL: /);
      });

      test('never runs more than `concurrency` jobs at once', async () => {
        const queue = new JobQueue({ db: t.db });
        let running = 0;
        let started = 0;
        let peak = 0;
        const job = defineJob<null>('slow', {
          handler: async () => {
            running++;
            started++;
            peak = Math.max(peak, running);
            // Held until three run at once (or the last one started): a fixed pause would leave
            // the peak to the machine's load, which a slow database claim can keep below three.
            const until = Date.now() + 2000;
            while (running < 3 && started < 10 && Date.now() < until) await delay(5);
            running--;
          },
        });
        const p = pool(queue, [job], { concurrency: 3 });
        let activePeak = 0;
        p.on('claimed', () => {
          activePeak = Math.max(activePeak, p.activeCount);
        });
        for (let i = 0; i < 10; i++) await queue.enqueue(t.db, 'slow', null);
        p.start();
        await waitUntil(async () => (await queue.stats()).slow === undefined);
        assert.equal(peak, 3);
        assert.equal(activePeak, 3);
        assert.equal(p.activeCount, 0);
      });

      test('a local enqueue wakes an idle pool at once instead of at its next poll', async () => {
        const queue = new JobQueue({ db: t.db });
        const job = defineJob<null>('ping', { handler: async () => {} });
        const p = pool(queue, [job], { pollIntervalMs: 60_000 });
        p.start();
        await delay(30); // the first (empty) claim is over; the pool now sleeps for a minute
        const started = Date.now();
        const { id } = await queue.enqueue(t.db, 'ping', null);
        assert.equal((await settledOnce(p, id)).outcome, 'completed');
        assert.ok(Date.now() - started < 1000);
      });

      test('a database error in the loop is reported and retried, never thrown', async () => {
        class FlakyQueue extends JobQueue {
          failures = 2;
          override async claim(...args: Parameters<JobQueue['claim']>): Promise<ClaimedJob[]> {
            if (this.failures-- > 0) throw new Error('SQLITE_BUSY: database is locked');
            return super.claim(...args);
          }
        }
        const queue = new FlakyQueue({ db: t.db });
        const job = defineJob<null>('work', { handler: async () => {} });
        const errors: unknown[] = [];
        const p = pool(queue, [job], { errorPauseMs: 5 });
        p.on('loop-error', (err) => errors.push(err));
        const { id } = await queue.enqueue(t.db, 'work', null);
        p.start();
        await waitUntil(async () => (await queue.get(id))?.state === 'completed');
        assert.equal(errors.length, 2);
      });

      test('start-up fails when a job type has no handler', () => {
        const queue = new JobQueue({ db: t.db });
        const job = defineJob<null>('known', { handler: async () => {} });
        assert.throws(
          () =>
            new WorkerPool({
              queue,
              registry: new JobRegistry([job]),
              concurrency: 1,
              workerId: 'w',
              types: ['known', 'probe', 'transcode'],
            }),
          /No handler is registered for job type\(s\): probe, transcode/,
        );
        assert.throws(() => new JobRegistry([job, job]), /defined twice/);
      });

      test('two pools on two connections to one SQLite file run each of 50 jobs exactly once', async () => {
        const queueA = new JobQueue({ db: t.db });
        const queueB = new JobQueue({ db: t.connect() });
        const runs = new Map<string, number>();
        const ranOn = { a: 0, b: 0 };
        const make = (name: 'a' | 'b') =>
          defineJob<{ i: number }>('unit', {
            visibilityTimeoutMs: 5000,
            handler: async (ctx) => {
              runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
              ranOn[name]++;
              await delay(2);
            },
          });
        const a = pool(queueA, [make('a')], { concurrency: 3 });
        const b = pool(queueB, [make('b')], { concurrency: 3 });
        a.start();
        b.start();
        const ids: string[] = [];
        for (let i = 0; i < 50; i++) ids.push((await queueA.enqueue(t.db, 'unit', { i })).id);
        await waitUntil(async () => {
          const rows = await t.db
            .selectFrom('jobs')
            .select('state')
            .where('state', '=', 'completed')
            .execute();
          return rows.length === 50;
        });
        await Promise.all([a.stop(), b.stop()]);
        assert.equal(runs.size, 50);
        for (const id of ids) assert.equal(runs.get(id), 1, `job ${id} ran ${runs.get(id)} times`);
        assert.ok(ranOn.a > 0 && ranOn.b > 0, `both pools worked (a ${ranOn.a}, b ${ranOn.b})`);
        const attempts = await t.db.selectFrom('jobs').select('attempts').execute();
        assert.ok(attempts.every((r) => r.attempts === 1));
      });

      test('heartbeats keep a job that outlives its visibility timeout leased', async () => {
        const queue = new JobQueue({ db: t.db });
        const other = new JobQueue({ db: t.connect() });
        let runs = 0;
        const job = defineJob<null>('long', {
          visibilityTimeoutMs: 200,
          handler: async () => {
            runs++;
            await delay(500);
          },
        });
        const p = pool(queue, [job]);
        const thief = pool(other, [job]);
        const { id } = await queue.enqueue(t.db, 'long', null);
        p.start();
        await waitUntil(() => p.activeCount === 1);
        thief.start();
        assert.equal((await settledOnce(p, id)).outcome, 'completed');
        assert.equal(runs, 1);
        assert.equal((await queue.get(id))?.attempts, 1);
      });

      test('a hung worker that stops heartbeating loses the job to another pool after the lease expires', async () => {
        // Pool A "dies": its heartbeats never reach the database and its handler hangs.
        const hungQueue = new NoHeartbeatQueue({ db: t.db });
        const healthyQueue = new JobQueue({ db: t.connect() });
        const hang = deferred();
        const runsBy: string[] = [];
        const jobFor = (name: string, work: () => Promise<void>) =>
          defineJob<null>('transcode', {
            visibilityTimeoutMs: 250,
            handler: async () => {
              runsBy.push(name);
              await work();
            },
          });
        // One slot, so A cannot re-claim the job itself once the lease expires (with a free slot it
        // would, under a new lease owner: that is correct, but not this test).
        const a = pool(hungQueue, [jobFor('a', () => hang.promise)], { concurrency: 1 });
        const { id } = await hungQueue.enqueue(t.db, 'transcode', null);
        a.start();
        await waitUntil(() => a.activeCount === 1);

        const b = pool(healthyQueue, [jobFor('b', async () => {})]);
        b.start();
        // Not before the lease expires.
        await delay(50);
        assert.deepEqual(runsBy, ['a']);
        const { outcome } = await settledOnce(b, id);
        assert.equal(outcome, 'completed');
        assert.deepEqual(runsBy, ['a', 'b']);
        const done = await healthyQueue.get(id);
        assert.equal(done?.state, 'completed');
        assert.equal(done?.attempts, 2);

        // When the hung handler finally returns, its result is not recorded.
        const late = settledOnce(a, id);
        hang.resolve();
        assert.equal((await late).outcome, 'lease-lost');
        assert.equal((await healthyQueue.get(id))?.state, 'completed');
      });

      test('a pool that re-claims its own expired job fences off the stale run (lease owner per claim)', async () => {
        const queue = new NoHeartbeatQueue({ db: t.db });
        const hang = deferred();
        const job = defineJob<null>('transcode', {
          visibilityTimeoutMs: 60,
          handler: async (ctx) => {
            if (ctx.attempt === 1) await hang.promise;
          },
        });
        const p = pool(queue, [job], { concurrency: 2 });
        const outcomes: Array<[number, JobOutcome]> = [];
        p.on('settled', (j, outcome) => outcomes.push([j.attempts, outcome]));
        const { id } = await queue.enqueue(t.db, 'transcode', null);
        p.start();
        await waitUntil(() => outcomes.length === 1);
        assert.deepEqual(outcomes, [[2, 'completed']]);
        hang.resolve();
        await waitUntil(() => outcomes.length === 2);
        assert.deepEqual(outcomes[1], [1, 'lease-lost']);
        const info = await queue.get(id);
        assert.equal(info?.state, 'completed');
        assert.equal(info?.attempts, 2);
      });

      test('when a heartbeat finds the lease lost, the job is aborted and nothing is recorded', async () => {
        const queue = new JobQueue({ db: t.db });
        let reason: unknown;
        const job = defineJob<null>('cancellable', {
          visibilityTimeoutMs: 60,
          handler: async (ctx) => {
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
            reason = ctx.signal.reason;
            throw ctx.signal.reason;
          },
        });
        const p = pool(queue, [job]);
        const { id } = await queue.enqueue(t.db, 'cancellable', null);
        const settled = settledOnce(p, id);
        p.start();
        await waitUntil(() => p.activeCount === 1);
        // Another worker takes it over (as if our lease had expired).
        await t.db.updateTable('jobs').set({ lease_owner: 'someone-else' }).where('id', '=', id).execute();
        const { outcome, error } = await settled;
        assert.equal(outcome, 'lease-lost');
        assert.ok(reason instanceof LeaseLostError);
        assert.ok(error instanceof LeaseLostError);
        const info = await queue.get(id);
        assert.equal(info?.state, 'running');
        assert.equal(info?.lastError, null);
      });

      test('a manual heartbeat throws once the lease is lost', async () => {
        const queue = new JobQueue({ db: t.db });
        let thrown: unknown;
        const job = defineJob<null>('manual', {
          visibilityTimeoutMs: 60_000,
          handler: async (ctx) => {
            await ctx.heartbeat();
            await t.db.deleteFrom('jobs').where('id', '=', ctx.id).execute();
            try {
              await ctx.heartbeat();
            } catch (err) {
              thrown = err;
              throw err;
            }
          },
        });
        const p = pool(queue, [job]);
        const { id } = await queue.enqueue(t.db, 'manual', null);
        const settled = settledOnce(p, id);
        p.start();
        assert.equal((await settled).outcome, 'lease-lost');
        assert.ok(thrown instanceof LeaseLostError);
      });

      test('graceful stop lets short jobs finish and releases long ones for another worker', async () => {
        const queueA = new JobQueue({ db: t.db });
        const queueB = new JobQueue({ db: t.connect() });
        let abortReason: unknown;
        const jobsFor = (name: string) => [
          defineJob<null>('short', { handler: () => delay(20) }),
          defineJob<null>('long', {
            handler: async (ctx) => {
              if (name === 'b') return;
              await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
              abortReason = ctx.signal.reason;
              throw ctx.signal.reason;
            },
          }),
        ];
        const a = pool(queueA, jobsFor('a'));
        const short = await queueA.enqueue(t.db, 'short', null);
        const long = await queueA.enqueue(t.db, 'long', null);
        const outcomes = new Map<string, JobOutcome>();
        a.on('settled', (job, outcome) => outcomes.set(job.id, outcome));
        a.start();
        await waitUntil(() => a.activeCount === 2);

        await a.stop({ graceMs: 80 });
        assert.equal(a.activeCount, 0);
        assert.equal(outcomes.get(short.id), 'completed');
        assert.equal(outcomes.get(long.id), 'released');
        assert.ok(abortReason instanceof WorkerShutdownError);
        const released = await queueA.get(long.id);
        assert.equal(released?.state, 'queued');
        assert.equal(released?.attempts, 0, 'a released attempt does not count');

        const b = pool(queueB, jobsFor('b'));
        b.start();
        await waitUntil(async () => (await queueB.get(long.id))?.state === 'completed');
        assert.equal((await queueB.get(long.id))?.attempts, 1);
      });

      test('stop() does not wait forever for a handler that ignores its signal', async () => {
        const queue = new JobQueue({ db: t.db });
        const never = deferred();
        const job = defineJob<null>('stubborn', { handler: () => never.promise });
        const p = pool(queue, [job], { abortWaitMs: 30 });
        const { id } = await queue.enqueue(t.db, 'stubborn', null);
        p.start();
        await waitUntil(() => p.activeCount === 1);
        await p.stop({ graceMs: 10 });
        assert.equal((await queue.get(id))?.state, 'queued');
        never.resolve();
      });

      test('the pool reaps jobs whose leases expired on their last attempt', async () => {
        const queue = new JobQueue({ db: t.db });
        const job = defineJob<null>('fragile', { handler: async () => {} });
        const { id } = await queue.enqueue(t.db, 'fragile', null, { maxAttempts: 1 });
        // A worker claims it and dies.
        await queue.claim(['fragile'], 1, 'dead-worker', 20);
        const p = pool(queue, [job], { reapIntervalMs: 10 });
        const reaped = new Promise<Array<{ id: string }>>((resolve) => p.once('reaped', resolve));
        p.start();
        assert.deepEqual(
          (await reaped).map((j) => j.id),
          [id],
        );
        assert.equal((await queue.get(id))?.state, 'dead');
      });

      test('onDead runs once for a job dead after its last attempt and for one reaped after its worker died', async () => {
        const queue = new JobQueue({ db: t.db, backoff: { baseMs: 5 } });
        const deaths: Array<[string, string]> = [];
        const onDead = async (payload: { name: string }, error: string) => {
          deaths.push([payload.name, error]);
        };
        const failing = defineJob<{ name: string }>('failing', {
          maxAttempts: 2,
          handler: async () => {
            throw new Error('ffprobe vanished');
          },
          onDead,
        });
        const orphan = defineJob<{ name: string }>('orphan', { handler: async () => {}, onDead });
        const a = await queue.enqueue(t.db, 'failing', { name: 'a' }, { maxAttempts: 2 });
        const b = await queue.enqueue(t.db, 'orphan', { name: 'b' }, { maxAttempts: 1 });
        await queue.claim(['orphan'], 1, 'dead-worker', 20); // claimed by a worker that then dies
        const p = pool(queue, [failing, orphan], { reapIntervalMs: 10 });
        p.start();
        await waitUntil(
          async () => (await queue.get(a.id))?.state === 'dead' && (await queue.get(b.id))?.state === 'dead',
        );
        await waitUntil(() => deaths.length === 2);
        assert.deepEqual(deaths.sort(), [
          ['a', 'ffprobe vanished'],
          ['b', 'the worker running it stopped answering'],
        ]);
      });

      test('a handler that never settles is aborted at its time limit, and its attempts run out to dead', async () => {
        // Heartbeats would keep this job leased for ever: only a run-time limit ends it.
        const queue = new JobQueue({ db: t.db, backoff: { baseMs: 5 } });
        const reasons: unknown[] = [];
        const hangs = defineJob<null>('hangs', {
          // Past its lease: the heartbeats keep it leased until the limit.
          timeoutMs: 600,
          visibilityTimeoutMs: 240,
          handler: (ctx) => {
            ctx.signal.addEventListener('abort', () => reasons.push(ctx.signal.reason));
            return new Promise<void>(() => {}); // ignores its signal, never settles
          },
        });
        const p = pool(queue, [hangs], { abortWaitMs: 20, concurrency: 1 });
        const outcomes: JobOutcome[] = [];
        p.on('settled', (_job, outcome) => outcomes.push(outcome));
        const { id } = await queue.enqueue(t.db, 'hangs', null, { maxAttempts: 3 });
        p.start();
        await waitFor(async () => (await queue.get(id))?.state === 'dead', {
          timeoutMs: 10_000,
          intervalMs: 20,
        });
        const dead = await queue.get(id);
        assert.equal(dead?.attempts, 3);
        assert.match(dead?.lastError ?? '', /JOB_TIMEOUT: Job .* ran longer than its time limit of 600 ms/);
        assert.deepEqual(outcomes, ['retrying', 'retrying', 'dead']);
        assert.equal(reasons.length, 3);
        assert.ok(reasons.every((r) => r instanceof JobTimeoutError));
        assert.equal(p.activeCount, 0); // the slots were freed without the handlers
      });

      test('a handler that stops on its aborted signal after the time limit is recorded as timed out', async () => {
        const queue = new JobQueue({ db: t.db, backoff: { baseMs: 5 } });
        const slow = defineJob<null>('slow-but-polite', {
          handler: (ctx) =>
            new Promise<void>((_resolve, reject) => {
              ctx.signal.addEventListener('abort', () => reject(new Error('ffmpeg killed')));
            }),
        });
        // The pool-level default applies to job types that set no limit of their own.
        const p = pool(queue, [slow], { jobTimeoutMs: 80 });
        const { id } = await queue.enqueue(t.db, 'slow-but-polite', null, { maxAttempts: 1 });
        p.start();
        const settled = await settledOnce(p, id);
        assert.equal(settled.outcome, 'dead');
        assert.ok(settled.error instanceof JobTimeoutError);
        assert.match((await queue.get(id))?.lastError ?? '', /time limit of 80 ms/);
      });

      test('timeoutMs null means no limit; a job within its limit completes', async () => {
        const queue = new JobQueue({ db: t.db });
        const unbounded = defineJob<null>('unbounded', {
          timeoutMs: null,
          handler: () => delay(150),
        });
        const quick = defineJob<null>('quick', { timeoutMs: 1000, handler: () => delay(20) });
        const p = pool(queue, [unbounded, quick], { jobTimeoutMs: 50 });
        const a = await queue.enqueue(t.db, 'unbounded', null, { maxAttempts: 1 });
        const b = await queue.enqueue(t.db, 'quick', null, { maxAttempts: 1 });
        const settledA = settledOnce(p, a.id);
        const settledB = settledOnce(p, b.id);
        p.start();
        assert.equal((await settledA).outcome, 'completed');
        assert.equal((await settledB).outcome, 'completed');
      });
    });
  });
}
