import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The start-up sweep of a worker's scratch folder (`{data dir}/work`). A worker killed mid-job
 * (SIGKILL, out of memory, power) leaves its attempts' folders behind, and its ffmpeg children —
 * in process groups of their own — run on and write into them. Another attempt of the job may run
 * on another node, so nobody else will ever remove them: the next process that starts on this
 * data folder does, and ends those orphaned encoders first.
 *
 * The folder may be shared by live processes (a `serve` and a `worker` on one data folder): each
 * one that starts adds its pid to `work.owner` beside it, and the sweep runs only when no other pid
 * listed there is alive — so a process restarting beside a live sibling never touches the
 * sibling's attempts. (A pid reused by an unrelated process only skips a sweep: safe.)
 */
export interface ScratchSweepResult {
  /** False: another live process shares the folder; nothing was touched. */
  swept: boolean;
  removed: string[];
  /** Pids of orphaned encoders (ffmpeg/ffprobe of a dead predecessor) that were killed. */
  killed: number[];
}

export async function sweepScratch(
  workDir: string,
  opts: { pid?: number; procDir?: string } = {},
): Promise<ScratchSweepResult> {
  const pid = opts.pid ?? process.pid;
  const procDir = opts.procDir ?? '/proc';
  // Beside the folder, not in it: the folder holds only scratch.
  const ownerFile = `${workDir.replace(/\/+$/, '')}.owner`;
  const listed = (await readFile(ownerFile, 'utf8').catch(() => ''))
    .split('\n')
    .map((line) => Number.parseInt(line, 10))
    .filter((p) => Number.isInteger(p) && p > 0 && p !== pid);
  const siblings = listed.filter(isAlive);
  if (siblings.length > 0) {
    await writeFile(ownerFile, `${[...siblings, pid].join('\n')}\n`).catch(() => {});
    return { swept: false, removed: [], killed: [] };
  }
  const killed = await killOrphans(workDir, procDir, pid);
  const removed: string[] = [];
  for (const entry of await readdir(workDir).catch((): string[] => [])) {
    await rm(join(workDir, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  await writeFile(ownerFile, `${pid}\n`).catch(() => {});
  return { swept: true, removed, killed };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Kills (SIGKILL, whole process group) the orphaned encoders working in the folder: ffmpeg or
 * ffprobe processes whose parent is gone (re-parented to init, or to us when we are pid 1 in a
 * container and have spawned nothing yet) with an argument inside the folder. Nothing else: not an
 * editor or `tail` on a file there, not a live sibling's encoder, not another instance's folder
 * whose path merely contains ours.
 */
async function killOrphans(workDir: string, procDir: string, self: number): Promise<number[]> {
  const killed: number[] = [];
  const prefix = workDir.endsWith('/') ? workDir : `${workDir}/`;
  for (const entry of await readdir(procDir).catch((): string[] => [])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === self) continue;
    const comm = (await readFile(join(procDir, entry, 'comm'), 'utf8').catch(() => '')).trim();
    if (comm !== 'ffmpeg' && comm !== 'ffprobe') continue;
    const status = await readFile(join(procDir, entry, 'status'), 'utf8').catch(() => '');
    const parent = Number(/^PPid:\s*(\d+)/m.exec(status)?.[1] ?? Number.NaN);
    if (parent !== 1 && parent !== self) continue;
    const cmdline = await readFile(join(procDir, entry, 'cmdline'), 'utf8').catch(() => '');
    const inFolder = (arg: string) => arg.startsWith(prefix) || arg.startsWith(`file:${prefix}`);
    if (!cmdline.split('\0').some(inFolder)) continue;
    try {
      // ffmpeg runs detached: its pid is its process group's id.
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        continue; // gone meanwhile, or not ours to kill
      }
    }
    killed.push(pid);
  }
  return killed;
}
