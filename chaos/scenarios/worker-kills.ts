/**
 * worker-kills (docs/reliability.md): 20 uploads; a worker (embedded: the server itself) SIGKILLed
 * at 20 random moments while they transcode, restarted each time. Every job a killed process held
 * is taken over once its lease expires (a short FRAMEHOUSE_JOB_VISIBILITY_TIMEOUT_MS here).
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  namedByPlaylists,
  noDuplicateRows,
  noOrphanObjects,
  playlistsNameExistingObjects,
} from '../checks.ts';
import { type Check, check, type Scenario } from '../scenario.ts';
import {
  allSettled,
  jobsFor,
  jobsOpenFor,
  makeClips,
  statuses,
  uploadClip,
  waitUntil,
} from '../upload-clips.ts';

const VISIBILITY_MS = 4000;

export const workerKills: Scenario = {
  id: 'worker-kills',
  title: '20 uploads; a worker SIGKILLed at 20 random moments while they transcode, restarted each time',
  topologies: ['embedded', 'scale-out'],
  async run(ctx) {
    const uploads = ctx.quick ? 5 : 20;
    const killsWanted = ctx.quick ? 5 : 20;
    // Long enough that the work outlasts 20 kills at that pace: 8–10 s clips on one serve; two
    // workers get through a batch of those after 7–9 kills, so theirs are six times as long.
    const clips = await makeClips(ctx.tmp, uploads, 'kill', ctx.topology === 'scale-out' ? 48 : 8);
    const cluster = await ctx.startCluster({
      env: { FRAMEHOUSE_JOB_VISIBILITY_TIMEOUT_MS: String(VISIBILITY_MS) },
    });
    const scratchBefore = await cluster.scratchBytes();

    const started = Date.now();
    const ids: string[] = [];
    for (const file of clips) ids.push(await uploadClip(cluster, file));
    ctx.log(`${ids.length} uploads accepted; killing workers while they transcode`);

    // The kills: at random moments while work remains, a random worker process, restarted at once.
    let kills = 0;
    const killed: string[] = [];
    const settled = async () =>
      (await allSettled(cluster, ids)) && (await jobsOpenFor(cluster, ids)).length === 0;
    // A kill 2–6 s after the last victim is up again, of a random worker. Not faster: every kill
    // also costs the jobs the victim held, and a storm that kills each job's worker again before
    // any attempt can finish measures the crash allowance, not recovery (docs/reliability.md).
    while (kills < killsWanted && !(await settled())) {
      await delay(2000 + Math.random() * 4000);
      const victim = cluster.workers[Math.floor(Math.random() * cluster.workers.length)];
      if (!victim) break;
      await victim.kill('SIGKILL');
      kills++;
      killed.push(victim.name);
      ctx.progress(kills, killsWanted);
      await victim.restart();
    }
    ctx.log(`${kills} kills (${killed.join(', ')}); waiting for every upload to settle`);

    const finished = await waitUntil(settled, 15 * 60_000, 1000);
    const allReadyMs = Date.now() - started;
    const status = await statuses(cluster, ids);
    const ready = ids.filter((id) => status.get(id) === 'ready');
    const notReady = ids.filter((id) => status.get(id) !== 'ready').map((id) => `${id}: ${status.get(id)}`);

    const checks: Check[] = [];
    checks.push(
      check(
        `the worker was SIGKILLed ${killsWanted} times while work remained`,
        kills === killsWanted,
        `${kills} kills: ${[...new Set(killed)].map((n) => `${n} ×${killed.filter((k) => k === n).length}`).join(', ')}`,
      ),
    );
    checks.push(
      check(
        `${uploads} of ${uploads} uploads ready`,
        finished && ready.length === uploads,
        `${ready.length} ready${notReady.length ? `; not: ${notReady.slice(0, 5).join(', ')}` : ''}`,
      ),
    );
    checks.push(await playlistsNameExistingObjects(cluster, ready));
    checks.push(await noDuplicateRows(cluster, ids));

    // The sweep: each transcode attempt that finishes removes what earlier (killed) attempts left
    // under hls/{id}/ and in the scratch folder. Give restarted workers their start-up sweeps.
    const leftovers = async () => {
      const stray: string[] = [];
      for (const id of ready) {
        const named = new Set([...(await namedByPlaylists(cluster, id)), `hls/${id}/master.m3u8`]);
        for (const key of await cluster.listObjects(`hls/${id}/`)) if (!named.has(key)) stray.push(key);
      }
      return stray;
    };
    await waitUntil(
      async () => (await leftovers()).length === 0 && (await cluster.scratchBytes()) <= scratchBefore,
      60_000,
      2000,
    );
    checks.push(await noOrphanObjects(cluster));
    const stray = await leftovers();
    checks.push(
      check(
        'no object under hls/{id}/ beyond what its playlists name (no stray segments of killed attempts)',
        stray.length === 0,
        stray.length
          ? `${stray.length} stray, e.g. ${stray.slice(0, 3).join(', ')}`
          : `${ready.length} assets`,
      ),
    );
    const scratchAfter = await cluster.scratchBytes();
    checks.push(
      check(
        'scratch space back to where it was',
        scratchAfter <= scratchBefore,
        `before ${scratchBefore} B, after ${scratchAfter} B${scratchAfter > scratchBefore ? `: ${(await scratchEntries(cluster.procs.map((p) => p.dataDir))).slice(0, 6).join(', ')}` : ''}`,
      ),
    );

    const jobs = await jobsFor(cluster, ids);
    const all = [...jobs.values()].flat();
    const open = await jobsOpenFor(cluster, ids);
    const unrecorded = all.filter((j) => j.state === 'completed' && j.attempts < 1);
    checks.push(
      check(
        'no job left queued or running for these assets, and every finished job has its attempts recorded',
        open.length === 0 && unrecorded.length === 0 && ids.every((id) => (jobs.get(id) ?? []).length > 0),
        open.length
          ? `open: ${open.slice(0, 3).join(', ')}`
          : `${all.length} jobs: ${countBy(all.map((j) => `${j.type} ${j.state}`))}`,
      ),
    );
    const maxAttempts = Math.max(0, ...all.map((j) => j.attempts));
    // Every take-over of a job whose worker died, forgiven (crash allowance) or counted.
    const reclaims = all.reduce((sum, j) => sum + j.crashes, 0);
    const maxCrashes = Math.max(0, ...all.map((j) => j.crashes));

    return {
      runs: kills,
      checks,
      figures: {
        kills: String(kills),
        'all ready after': `${(allReadyMs / 1000).toFixed(0)} s`,
        'max attempts': String(maxAttempts),
        're-claims after a kill': String(reclaims),
        'most kills one job survived': String(maxCrashes),
      },
    };
  },
};

/** What is in the processes' scratch folders (`{data dir}/work/*`), with sizes. */
async function scratchEntries(dataDirs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dataDirs) {
    const work = join(dir, 'work');
    for (const e of await readdir(work).catch((): string[] => [])) out.push(`${basename(dir)}/work/${e}`);
  }
  return out;
}

function countBy(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ');
}
