/**
 * poison-jobs (docs/reliability.md): a job type that always throws, one that hangs past its lease
 * (async, and a synchronous hang that blocks its process), one that crashes its process — run by
 * harness-owned worker processes on the real queue code (chaos/poison-worker.ts) — next to
 * ordinary uploads that the real `framehouse` workers transcode meanwhile.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.ts';
import { JobQueue } from '../../src/queue/queue.ts';
import { POISON_TYPES } from '../poison-worker.ts';
import { type Check, check, type Scenario } from '../scenario.ts';
import { jobsOpenFor, makeClips, statuses, uploadClip, waitUntil } from '../upload-clips.ts';

const LEASE_MS = 2000;
const TIMEOUT_MS = 5000;
const MAX_ATTEMPTS = 3;
const POISON_WORKER = new URL('../poison-worker.ts', import.meta.url).pathname;

interface JobState {
  id: string;
  type: string;
  state: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
}

/** A poison worker process kept running as a supervisor would: started again whenever it exits. */
class Supervised {
  child: ChildProcess | undefined;
  restarts = 0;
  log = '';
  #stopping = false;

  readonly name: string;
  readonly env: Record<string, string>;

  constructor(name: string, env: Record<string, string>) {
    this.name = name;
    this.env = env;
  }

  start(): void {
    const child = spawn(process.execPath, [POISON_WORKER], {
      env: { ...process.env, ...this.env, POISON_ID: this.name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (d) => {
      this.log += d;
    });
    child.stderr?.on('data', (d) => {
      this.log += d;
    });
    child.once('exit', () => {
      if (this.#stopping) return;
      this.restarts++;
      setTimeout(() => {
        if (!this.#stopping) this.start();
      }, 200);
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }
}

export const poisonJobs: Scenario = {
  id: 'poison-jobs',
  title:
    'a job type that always throws, one that hangs past its lease, one that crashes its process, next to ordinary uploads',
  topologies: ['embedded', 'scale-out'],
  async run(ctx) {
    const uploads = 4;
    const clips = await makeClips(ctx.tmp, uploads, 'ordinary');
    const cluster = await ctx.startCluster();
    const marker = join(ctx.tmp, 'poison-throws.marker');
    await writeFile(marker, 'while this file exists, chaos.poison-throws throws\n');

    const env = {
      POISON_DATABASE_URL: cluster.databaseUrl,
      POISON_MARKER: marker,
      POISON_LEASE_MS: String(LEASE_MS),
      POISON_TIMEOUT_MS: String(TIMEOUT_MS),
    };
    const workers = [
      new Supervised('poison-main', { ...env, POISON_TYPES: `${POISON_TYPES.throws},${POISON_TYPES.hangs}` }),
      new Supervised('poison-crash', { ...env, POISON_TYPES: POISON_TYPES.crashes }),
      // Two for the synchronous hang: while one is blocked, the other takes the expired lease over.
      new Supervised('poison-block-1', { ...env, POISON_TYPES: POISON_TYPES.blocks }),
      new Supervised('poison-block-2', { ...env, POISON_TYPES: POISON_TYPES.blocks }),
    ];
    const db = openDatabase(cluster.databaseUrl);
    const queue = new JobQueue({ db });
    const checks: Check[] = [];
    try {
      for (const w of workers) w.start();
      const started = Date.now();
      // The uploads and the poison at once.
      const uploading = Promise.all(clips.map((file) => uploadClip(cluster, file)));
      const poison = new Map<string, string>();
      for (const type of Object.values(POISON_TYPES)) {
        const { id } = await queue.enqueue(db, type, null, { maxAttempts: MAX_ATTEMPTS });
        poison.set(type, id);
      }
      const ids = await uploading;
      ctx.log(`${ids.length} uploads and ${poison.size} poison jobs enqueued`);

      const poisonState = async () => {
        const rows: JobState[] = [];
        for (const id of poison.values()) {
          const [row] = await cluster.query<JobState>(
            'select id, type, state, attempts, max_attempts, last_error from jobs where id = ?',
            [id],
          );
          if (row)
            rows.push({ ...row, attempts: Number(row.attempts), max_attempts: Number(row.max_attempts) });
        }
        return rows;
      };
      let uploadsReadyMs: number | undefined;
      let poisonDeadMs: number | undefined;
      let poisonOpenWhenUploadsReady = 0;
      await waitUntil(
        async () => {
          const s = await statuses(cluster, ids);
          const rows = await poisonState();
          const dead = rows.filter((r) => r.state === 'dead').length;
          if (uploadsReadyMs === undefined && ids.every((id) => s.get(id) === 'ready')) {
            uploadsReadyMs = Date.now() - started;
            poisonOpenWhenUploadsReady = poison.size - dead;
          }
          if (poisonDeadMs === undefined && dead === poison.size) poisonDeadMs = Date.now() - started;
          ctx.progress(dead + ids.filter((id) => s.get(id) === 'ready').length, poison.size + ids.length);
          return uploadsReadyMs !== undefined && poisonDeadMs !== undefined;
        },
        5 * 60_000,
        250,
      );

      // Each poison job dead after exactly its attempts.
      const rows = await poisonState();
      for (const type of Object.values(POISON_TYPES)) {
        const row = rows.find((r) => r.type === type);
        checks.push(
          check(
            `${type} is dead-lettered after exactly its ${MAX_ATTEMPTS} attempts`,
            row?.state === 'dead' && row.attempts === MAX_ATTEMPTS,
            row ? `${row.state} after ${row.attempts} attempts: ${row.last_error ?? ''}` : 'no such job',
          ),
        );
      }
      const hangs = rows.find((r) => r.type === POISON_TYPES.hangs);
      checks.push(
        check(
          'the async hang (heartbeats holding its lease) is ended by its time limit, not held for ever',
          /JOB_TIMEOUT/.test(hangs?.last_error ?? ''),
          hangs?.last_error ?? 'no error recorded',
        ),
      );
      const blockLog = workers
        .filter((w) => w.name.startsWith('poison-block'))
        .map((w) => w.log)
        .join('');
      const blockRuns = new Set(
        blockLog
          .split('\n')
          .filter((l) => l.includes(POISON_TYPES.blocks) && l.includes('"attempt"') && !l.includes('outcome'))
          .map((l) => {
            const o = JSON.parse(l) as { attempt: number };
            return o.attempt;
          }),
      );
      const fenced = (blockLog.match(/"outcome":"lease-lost"/g) ?? []).length;
      const blockers = workers.filter(
        (w) =>
          w.name.startsWith('poison-block') && w.log.includes(`"type":"${POISON_TYPES.blocks}","attempt"`),
      ).length;
      checks.push(
        check(
          'the synchronous hang loses its lease: claimed again by the other process, its late result refused',
          blockRuns.size === MAX_ATTEMPTS && blockers === 2 && fenced >= 1,
          `attempts started: ${[...blockRuns].sort().join(', ')}, by ${blockers} processes; late results refused: ${fenced}`,
        ),
      );
      const crash = workers.find((w) => w.name === 'poison-crash');
      checks.push(
        check(
          'the crashing job took its process down on each attempt and the supervisor restarted it',
          (crash?.restarts ?? 0) >= MAX_ATTEMPTS,
          `${crash?.restarts ?? 0} restarts`,
        ),
      );

      // The dead-letter list shows them.
      const listed = await cluster.api('/v1/admin/jobs?state=dead&limit=500');
      const deadList = listed.ok
        ? ((await listed.json()) as { data: Array<{ id: string; attempts: number }> }).data
        : [];
      const missing = [...poison.values()].filter((id) => !deadList.some((j) => j.id === id));
      checks.push(
        check(
          'the dead-letter list (GET /v1/admin/jobs?state=dead) shows every poison job',
          listed.ok && missing.length === 0,
          `${listed.status}; ${deadList.length} dead listed${missing.length ? `; missing ${missing.join(', ')}` : ''}`,
        ),
      );

      // The uploads finished meanwhile.
      const s = await statuses(cluster, ids);
      const ready = ids.filter((id) => s.get(id) === 'ready');
      checks.push(
        check(
          `${uploads} of ${uploads} ordinary uploads ready while the poison was being failed`,
          ready.length === uploads && uploadsReadyMs !== undefined,
          `${ready.length} ready after ${fmt(uploadsReadyMs)}; ${poisonOpenWhenUploadsReady} of ${poison.size} poison jobs not yet dead then; all dead after ${fmt(poisonDeadMs)}`,
        ),
      );

      // Redrive runs them again: the 'throws' job, its marker gone, completes; the others die again.
      await rm(marker);
      const redriven: string[] = [];
      for (const id of poison.values()) {
        const res = await cluster.api(`/v1/admin/jobs/${id}/redrive`, { method: 'POST' });
        if (res.status === 204) redriven.push(id);
      }
      const redriveStarted = Date.now();
      await waitUntil(
        async () => (await poisonState()).every((r) => r.state === 'dead' || r.state === 'completed'),
        3 * 60_000,
        250,
      );
      const redriveMs = Date.now() - redriveStarted;
      const after = await poisonState();
      const throws = after.find((r) => r.type === POISON_TYPES.throws);
      const others = after.filter((r) => r.type !== POISON_TYPES.throws);
      checks.push(
        check(
          'redrive (POST /v1/admin/jobs/:id/redrive) runs each again: the mended one completes, the others are dead again after fresh attempts',
          redriven.length === poison.size &&
            throws?.state === 'completed' &&
            throws.attempts === 1 &&
            others.every((r) => r.state === 'dead' && r.attempts === MAX_ATTEMPTS),
          `${redriven.length}/${poison.size} redriven; ${after.map((r) => `${r.type.replace('chaos.poison-', '')} ${r.state} (${r.attempts})`).join(', ')}`,
        ),
      );
      const open = await jobsOpenFor(cluster, ids);
      checks.push(
        check(
          'no job of the uploads left queued or running',
          open.length === 0,
          open.length ? open.slice(0, 3).join(', ') : undefined,
        ),
      );

      return {
        runs: poison.size * MAX_ATTEMPTS * 2,
        checks,
        figures: {
          'poison dead after': fmt(poisonDeadMs),
          'uploads ready after': fmt(uploadsReadyMs),
          'redrive settled after': fmt(redriveMs),
          'poison-worker restarts': String(workers.reduce((n, w) => n + w.restarts, 0)),
        },
      };
    } finally {
      for (const w of workers) await w.stop();
      await db.destroy();
    }
  },
};

function fmt(ms: number | undefined): string {
  return ms === undefined ? 'never' : `${(ms / 1000).toFixed(0)} s`;
}
